/**
 * `npm run bench:writes`: `createRequest` end to end — through the gateway (its
 * own process), the request subgraph's transaction with its outbox row, the relay
 * and RabbitMQ — for `BENCH_SECONDS` (10) with `BENCH_CONNECTIONS` (20), then
 * waits until the outbox is drained and checks that every request created has
 * exactly one `request.created` event on the broker. Prints requests/s, p50/p99,
 * the drain time and the counts; writes bench/results/writes.json.
 */
import { fork } from 'node:child_process';
import path from 'node:path';
import type autocannon from 'autocannon';
import { EnvReader, RabbitBus, type RequestEvent } from '@asky/shared';
import { adminQuery, startTestSystem, testAmqpUrl } from '../packages/launcher/src/testing';
import { cpus } from 'node:os';
import { cpuByGroup, freePort, startAskyGateway, stopProcess, usage, writeResult, runBench } from './lib';
import type { LoadOrder } from './loadClient';

const env = new EnvReader();
const SECONDS = env.int('BENCH_SECONDS', 10, 1, 120);
const CONNECTIONS = env.int('BENCH_CONNECTIONS', 20, 1, 500);
// Each request its own idempotency key, so none is a retry of another.
const CREATE = 'mutation ($unique: String) { createRequest(input: { kind: MEDICINE, priority: URGENT, medicineId: "22222222-2222-4222-8222-000000000003", quantity: 1, clientKey: $unique }) { id } }';

async function main() {
  const system = await startTestSystem({ production: true, userStatusTtlMs: 60_000 });
  const { nurse } = await system.loginAll();
  const port = await freePort();
  const gateway = await startAskyGateway(system, port);
  const tapBus = await RabbitBus.connect({ url: testAmqpUrl(), exchange: system.topology.exchange });
  const tap = await tapBus.subscribe({ queue: `${system.topology.queuePrefix}bench.writes`, bindings: ['request.created'] });
  const events = new Map<string, number>();
  void (async () => {
    for await (const delivery of tap) {
      const id = (delivery.body as RequestEvent).requestId;
      events.set(id, (events.get(id) ?? 0) + 1);
      delivery.ack();
    }
  })();
  const loader = fork(path.join(__dirname, 'loadClient.ts'), [], { execArgv: ['--conditions=typescript', '--import', 'tsx'] });
  await new Promise((resolve) => loader.once('message', resolve));
  const count = async () => Number((await adminQuery('SELECT count(*) AS n FROM request."Request"', system.database.url)).rows[0].n);
  try {
    const before = await count();
    const cpuBefore = usage(gateway.pid!).cpuSeconds;
    const processes = { gateway: gateway.pid, 'subgraphs (bench process)': process.pid, 'load generator': loader.pid };
    const groupsBefore = cpuByGroup(processes);
    const order: LoadOrder = { url: `http://127.0.0.1:${port}/graphql`, body: JSON.stringify({ query: CREATE }), token: nurse, connections: CONNECTIONS, seconds: SECONDS, unique: true };
    const result = await new Promise<autocannon.Result>((resolve) => {
      loader.once('message', resolve);
      loader.send(order);
    });
    const gatewayCpu = ((usage(gateway.pid!).cpuSeconds - cpuBefore) / SECONDS) * 100;
    const groupsAfter = cpuByGroup(processes);
    const answered = result.requests.total;
    // CPU milliseconds each create cost, by where it went (relay and broker work of the run included).
    const msPerCreate = Object.fromEntries(Object.keys(groupsAfter).map((group) => [group, ((groupsAfter[group]! - (groupsBefore[group] ?? 0)) * 1000) / answered]));
    const loadEnded = Date.now();
    await new Promise((r) => setTimeout(r, 500)); // requests still in flight when the load stopped
    const created = (await count()) - before;
    const backlog = async () => Number((await adminQuery('SELECT count(*) AS n FROM request."OutboxEvent" WHERE "sentAt" IS NULL', system.database.url)).rows[0].n);
    while ((await backlog()) > 0 || [...events.values()].reduce((a, b) => a + b, 0) < created) {
      if (Date.now() - loadEnded > 60_000) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const drainedMs = Date.now() - loadEnded;
    const delivered = [...events.values()].reduce((a, b) => a + b, 0);
    const duplicates = [...events.values()].filter((n) => n > 1).length;
    const failed = result.non2xx + result.errors + result.timeouts;
    console.log(`writes bench: createRequest through the gateway, ${CONNECTIONS} connections, ${SECONDS} s`);
    console.log(`  ${(result.requests.total / SECONDS).toFixed(0)} requests created/s (target ≥ 1,000), p50 ${result.latency.p50} ms, p99 ${result.latency.p99} ms, ${failed} failed`);
    console.log(`  created ${created}, events delivered ${delivered} (${duplicates} duplicated), outbox drained ${drainedMs} ms after the load`);
    console.log(`  gateway process CPU ${gatewayCpu.toFixed(0)}% of one core`);
    const machineMs = msPerCreate.machine!;
    console.log(`  CPU per create: ${machineMs.toFixed(2)} ms on the whole machine (${cpus().length} cores: at most ~${Math.round((cpus().length * 1000) / machineMs)} creates/s here) —`);
    console.log(`    ${Object.entries(msPerCreate).filter(([group]) => group !== 'machine').map(([group, ms]) => `${group} ${ms.toFixed(2)}`).join(', ')} ms`);
    const file = writeResult('writes', { connections: CONNECTIONS, seconds: SECONDS, created, createdPerSecond: created / SECONDS, p50Ms: result.latency.p50, p99Ms: result.latency.p99, failed, delivered, duplicates, drainedMs, gatewayCpu, cpuMsPerCreate: msPerCreate });
    console.log(`  written to ${path.relative(process.cwd(), file)}`);
  } finally {
    await stopProcess(loader);
    await stopProcess(gateway);
    await tap.close();
    await tapBus.close();
    await system.topology.remove(['bench.writes']);
    await system.stop();
  }
}

runBench(main);
