/**
 * `npm run bench:writes`: `createRequest` end to end — the request subgraph's
 * statement with its outbox row, the relay and RabbitMQ — for `BENCH_SECONDS`
 * (10) with `BENCH_CONNECTIONS` (20), straight to the request subgraph and then
 * through the gateway (its own process); after each, waits until the outbox is
 * drained and checks that every request created has exactly one
 * `request.created` event on the broker. Prints requests/s, p50/p99, the drain
 * time, the counts and the CPU one create cost, by process; writes
 * bench/results/writes.json.
 */
import { fork } from 'node:child_process';
import path from 'node:path';
import type autocannon from 'autocannon';
import { EnvReader, RabbitBus, type RequestEvent } from '@asky/shared';
import { adminQuery, startTestSystem, testAmqpUrl } from '@asky/testing';
import { cpus } from 'node:os';
import { cpuByGroup, DatabaseCpu, freePort, startAskyGateway, stopProcess, writeResult, runBench } from './lib';
import type { LoadOrder } from './loadClient';

const env = new EnvReader();
const SECONDS = env.int('BENCH_SECONDS', 10, 1, 120);
const CONNECTIONS = env.int('BENCH_CONNECTIONS', 20, 1, 500);
/** `BENCH_PROFILE=dir`: the gateway's CPU profile there. */
const PROFILE = env.string('BENCH_PROFILE');
// Each request its own idempotency key, so none is a retry of another.
const CREATE =
  'mutation ($unique: String) { createRequest(input: { kind: MEDICINE, priority: URGENT, medicineId: "22222222-2222-4222-8222-000000000003", dispenserId: "44444444-4444-4444-8444-000000000002", quantity: 1, clientKey: $unique, patient: { identifier: "MRN-1001" }, orderId: "RX-1001" }) { id } }';

async function main() {
  const system = await startTestSystem({ production: true, userStatusTtlMs: 60_000 });
  const databaseCpu = new DatabaseCpu(system.database.url);
  const { nurse } = await system.loginAll();
  const port = await freePort();
  const gateway = await startAskyGateway(system, port, {}, PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${PROFILE}`] : []);
  const tapBus = await RabbitBus.connect({ url: testAmqpUrl(), exchange: system.topology.exchange });
  const tap = await tapBus.subscribe({
    queue: `${system.topology.queuePrefix}bench.writes`,
    bindings: ['request.created'],
  });
  const events = new Map<string, number>();
  void (async () => {
    for await (const delivery of tap) {
      const id = (delivery.body as RequestEvent).requestId;
      events.set(id, (events.get(id) ?? 0) + 1);
      delivery.ack();
    }
  })();
  const loader = fork(path.join(__dirname, 'loadClient.ts'), [], {
    execArgv: ['--conditions=typescript', '--import', 'tsx'],
  });
  await new Promise((resolve) => loader.once('message', resolve));
  const count = async () =>
    Number((await adminQuery('SELECT count(*) AS n FROM request."Request"', system.database.url)).rows[0].n);
  const backlog = async () =>
    Number(
      (await adminQuery('SELECT count(*) AS n FROM request."OutboxEvent" WHERE "sentAt" IS NULL', system.database.url))
        .rows[0].n,
    );
  const processes = { gateway: gateway.pid, 'subgraphs (bench process)': process.pid, 'load generator': loader.pid };
  const load = (url: string, seconds: number) =>
    new Promise<autocannon.Result>((resolve) => {
      loader.once('message', resolve);
      loader.send({
        url,
        body: JSON.stringify({ query: CREATE }),
        token: nurse,
        connections: CONNECTIONS,
        seconds,
        unique: true,
      } satisfies LoadOrder);
    });

  const delivered = () => [...events.values()].reduce((a, b) => a + b, 0);
  /** Waits until every created request's event is on the broker and has reached the tap (at most 60 s). */
  const drained = async (created: number, since: number) => {
    while ((await backlog()) > 0 || delivered() < created) {
      if (Date.now() - since > 60_000) return;
      await new Promise((r) => setTimeout(r, 100));
    }
  };

  /** Creates for SECONDS through `url`, then waits for the outbox to drain and checks every event arrived once. */
  const measure = async (target: string, url: string) => {
    const warmUp = await count();
    await load(url, 2);
    await drained((await count()) - warmUp, Date.now());
    events.clear();
    const before = await count();
    const groupsBefore = await cpuByGroup(processes, databaseCpu);
    const result = await load(url, SECONDS);
    const groupsAfter = await cpuByGroup(processes, databaseCpu);
    const answered = result.requests.total;
    // CPU milliseconds each create cost, by where it went (relay and broker work of the run included).
    const cpuMsPerCreate = Object.fromEntries(
      Object.keys(groupsAfter).map((group) => [
        group,
        ((groupsAfter[group]! - (groupsBefore[group] ?? 0)) * 1000) / answered,
      ]),
    );
    const loadEnded = Date.now();
    await new Promise((r) => setTimeout(r, 500)); // requests still in flight when the load stopped
    const created = (await count()) - before;
    await drained(created, loadEnded);
    return {
      target,
      created,
      createdPerSecond: answered / SECONDS,
      p50Ms: result.latency.p50,
      p99Ms: result.latency.p99,
      failed: result.non2xx + result.errors + result.timeouts,
      delivered: delivered(),
      duplicates: [...events.values()].filter((n) => n > 1).length,
      drainedMs: Date.now() - loadEnded,
      cpuMsPerCreate,
    };
  };
  try {
    // Straight to the request subgraph (it checks the token itself), then through the gateway, as clients do.
    const runs = [
      await measure('request subgraph, direct', system.subgraphUrls.request),
      await measure('through the gateway', `http://127.0.0.1:${port}/graphql`),
    ];
    console.log(`writes bench: createRequest, ${CONNECTIONS} connections, ${SECONDS} s each`);
    for (const run of runs) {
      const machineMs = run.cpuMsPerCreate.machine!;
      console.log(
        `  ${run.target}: ${run.createdPerSecond.toFixed(0)} requests created/s (target ≥ 1,000 through the gateway), p50 ${run.p50Ms} ms, p99 ${run.p99Ms} ms, ${run.failed} failed`,
      );
      console.log(
        `    created ${run.created}, events delivered ${run.delivered} (${run.duplicates} duplicated), outbox drained ${run.drainedMs} ms after the load`,
      );
      console.log(
        `    CPU per create: ${machineMs.toFixed(2)} ms on the whole machine (${cpus().length} cores: at most ~${Math.round((cpus().length * 1000) / machineMs)} creates/s here) —`,
      );
      console.log(
        `      ${Object.entries(run.cpuMsPerCreate)
          .filter(([group]) => group !== 'machine')
          .map(([group, ms]) => `${group} ${ms.toFixed(2)}`)
          .join(', ')} ms`,
      );
    }
    console.log(
      `  through the gateway / direct: ${(runs[1]!.createdPerSecond / runs[0]!.createdPerSecond).toFixed(2)}`,
    );
    const file = writeResult('writes', { connections: CONNECTIONS, seconds: SECONDS, runs });
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
