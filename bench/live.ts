/**
 * `npm run bench:live`: N subscribers (default 1,000, over 4 client processes) on
 * loopback, M status changes; prints publish→client latency p50/p99, events
 * delivered per second, the server process's CPU and memory, and how many
 * follow-up executions the gateway ran per event (sharing makes it independent
 * of the subscriber count). Not a test: bounded, loopback only.
 */
import { fork, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { EnvReader } from '@asky/shared';
import { postGraphQL, startTestSystem } from '../packages/launcher/src/testing';

const env = new EnvReader();
const SUBSCRIBERS = env.int('BENCH_SUBSCRIBERS', 1_000, 1, 20_000);
const CHANGES = env.int('BENCH_CHANGES', 40, 4, 2_000);
const PROCESSES = 4;

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;

async function main() {
  const system = await startTestSystem({
    production: true,
    userStatusTtlMs: 10_000,
    // One dashboard user with many screens: the per-user connection limit is raised for the bench.
    liveLimits: { connectionsPerUser: SUBSCRIBERS },
  });
  const { nurse, pharmacist, admin } = await system.loginAll();
  process.stderr.write('bench: system up, opening subscriptions…\n');
  const children: ChildProcess[] = Array.from({ length: PROCESSES }, () =>
    fork(path.join(__dirname, 'liveClients.ts'), [], { execArgv: ['--conditions=typescript', '--import', 'tsx'] }),
  );
  const wsUrl = system.gatewayUrl.replace(/^http/, 'ws');
  await Promise.all(
    children.map((child, i) => {
      const count = Math.floor(SUBSCRIBERS / PROCESSES) + (i < SUBSCRIBERS % PROCESSES ? 1 : 0);
      return new Promise<void>((resolve) => {
        child.on('message', (m: { type: string }) => {
          if (m.type === 'started') child.send({ url: wsUrl, token: admin, count });
          if (m.type === 'ready') resolve();
        });
      });
    }),
  );

  process.stderr.write('bench: subscribers ready, changing requests…\n');
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  system.resetQueries();
  const requests = CHANGES / 4;
  for (let i = 0; i < requests; i++) {
    const created = await postGraphQL<any>(system.gatewayUrl, 'mutation { createRequest(input: { kind: MEDICINE, priority: URGENT, medicineId: "22222222-2222-4222-8222-000000000003", quantity: 1 }) { id } }', {}, { authorization: `Bearer ${nurse}` });
    const id = created.data.createRequest.id;
    for (const status of ['ACCEPTED', 'PREPARING', 'IN_TRANSIT']) {
      await postGraphQL(system.gatewayUrl, `mutation { updateRequestStatus(id: "${id}", status: ${status}) { status } }`, {}, { authorization: `Bearer ${pharmacist}` });
    }
  }
  await new Promise((r) => setTimeout(r, 3_000)); // let the last events arrive
  const seconds = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  const reports = await Promise.all(
    children.map(
      (child) =>
        new Promise<number[]>((resolve) => {
          child.on('message', (m: { type: string; latencies: number[] }) => m.type === 'report' && resolve(m.latencies));
          child.send({ type: 'report' });
        }),
    ),
  );
  const latencies = reports.flat().sort((a, b) => a - b);
  const expected = SUBSCRIBERS * CHANGES;
  const memory = process.memoryUsage();
  // Each follow-up execution reads its request by id in the request subgraph.
  const followUps = system.queries.request.filter((sql) => /"request"\."Request"\."id" IN/.test(sql)).length;
  console.log(`live bench: ${SUBSCRIBERS} subscribers over ${PROCESSES} processes, ${CHANGES} events`);
  console.log(`  delivered ${latencies.length} of ${expected} (${((latencies.length / expected) * 100).toFixed(1)}%), ${(latencies.length / seconds).toFixed(0)} deliveries/s`);
  console.log(`  publish→client latency p50 ${percentile(latencies, 50)} ms, p99 ${percentile(latencies, 99)} ms, max ${latencies.at(-1)} ms (target p99 < 50 ms)`);
  console.log(`  follow-up executions per event: ${(followUps / CHANGES).toFixed(2)} (same selection for all ${SUBSCRIBERS} subscribers)`);
  console.log(`  server process (gateway + subgraphs): CPU ${(((cpu.user + cpu.system) / 1e6 / seconds) * 100).toFixed(0)}% of one core over ${seconds.toFixed(1)} s, RSS ${(memory.rss / 2 ** 20).toFixed(0)} MiB, heap ${(memory.heapUsed / 2 ** 20).toFixed(0)} MiB`);
  await system.stop();
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
