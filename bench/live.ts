/**
 * `npm run bench:live`: N subscribers (default 1,000, over client processes) on
 * loopback to a gateway running in its own process, as deployed (the subgraphs
 * and the writes run in this one); M status changes. Prints latency p50/p99 from
 * the broker's publish (a tap queue on the exchange gets each event as the
 * gateway's queue does) and from the commit to each client, deliveries per
 * second, the gateway process's CPU and memory, and how many follow-up
 * executions it ran per event (sharing makes that independent of the subscriber
 * count). Not a test: bounded, loopback only. `BENCH_PROFILE=dir` writes the
 * gateway's CPU profile there.
 */
import type { ChildProcess } from 'node:child_process';
import path from 'node:path';
import { EnvReader, RabbitBus, type RequestEvent } from '@asky/shared';
import { collectReceived, openScreens } from './liveScreens';
import { freePort, percentile, startAskyGateway, stopProcess, usage, writeResult, runBench } from './lib';
import { fillSlots, startTestSystem, testAmqpUrl, type TestSystem } from '@asky/testing';

const env = new EnvReader();
const SUBSCRIBERS = env.int('BENCH_SUBSCRIBERS', 1_000, 1, 20_000);
const CHANGES = env.int('BENCH_CHANGES', 40, 4, 2_000);
/** Events per second, on a fixed schedule (open loop); 0: each write as soon as the last returned. */
const RATE = env.int('BENCH_RATE', 10, 0, 1_000);
const PROCESSES = env.int('BENCH_CLIENT_PROCESSES', 2, 1, 16);
const PROFILE = env.string('BENCH_PROFILE');
/** Gateway replicas; client processes spread over them, as a load balancer would. */
const GATEWAYS = env.int('BENCH_GATEWAYS', 1, 1, 8);

const sorted = (values: number[]) => values.sort((a, b) => a - b);
const eventKey = (requestId: string, status: string) => `${requestId}|${status}`;

/** Creates a request and walks it through three transitions: four events, each once `step(n)` resolves. */
async function walkRequest(
  system: TestSystem,
  nurse: string,
  pharmacist: string,
  step: (n: number) => Promise<void> = async () => undefined,
): Promise<string> {
  await step(0);
  const created = await system.graphql<{ createRequest: { id: string } }>(
    'mutation { createRequest(input: { kind: MEDICINE, priority: URGENT, medicineId: "22222222-2222-4222-8222-000000000003", dispenserId: "44444444-4444-4444-8444-000000000002", quantity: 1, patient: { identifier: "MRN-1001" }, orderId: "RX-1001" }) { id } }',
    {},
    { token: nurse },
  );
  const id = created.data!.createRequest.id;
  for (const [n, status] of ['ACCEPTED', 'PREPARING', 'IN_TRANSIT'].entries()) {
    await step(n + 1);
    await system.graphql(
      'mutation ($id: ID!, $status: RequestStatus!) { updateRequestStatus(id: $id, status: $status) { status } }',
      { id, status },
      { token: pharmacist },
    );
  }
  return id;
}

/** Events received so far by every client process (the warm-up request's included). */
const receivedSoFar = (children: ChildProcess[]) =>
  Promise.all(
    children.map(
      (child) =>
        new Promise<number>((resolve) => {
          const answer = (m: { type: string; count: number }) => {
            if (m.type !== 'count') return;
            child.off('message', answer);
            resolve(m.count);
          };
          child.on('message', answer);
          child.send({ type: 'count' });
        }),
    ),
  ).then((counts) => counts.reduce((a, b) => a + b, 0));

async function main() {
  const system = await startTestSystem({
    production: true,
    userStatusTtlMs: 10_000,
  });
  const { nurse, pharmacist, admin } = await system.loginAll();
  // Every walked request is accepted and never completes, so it holds one: stock for all of them.
  await fillSlots(
    system.database.url,
    `"dispenserId" = '44444444-4444-4444-8444-000000000002' AND "medicineId" = '22222222-2222-4222-8222-000000000003'`,
    1_000_000,
  );
  const gatewayPorts: number[] = [];
  for (let i = 0; i < GATEWAYS; i++) gatewayPorts.push(await freePort());
  // One dashboard user with many screens: the per-user connection limit is raised for the bench.
  const gateways = await Promise.all(
    gatewayPorts.map((port) =>
      startAskyGateway(
        system,
        port,
        { LIVE_CONNECTIONS_PER_USER: String(SUBSCRIBERS), LIVE_SUBSCRIPTIONS_PER_USER: String(SUBSCRIBERS) },
        PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${PROFILE}`] : [],
      ),
    ),
  );
  process.stderr.write('bench: system and gateway up, opening subscriptions…\n');
  await walkRequest(system, nurse, pharmacist); // warm before the idle reading: planned, compiled, connected
  const idle = gateways.map((g) => usage(g.pid!).rssMiB);
  const children = await openScreens(
    gatewayPorts.map((port) => `ws://127.0.0.1:${port}/graphql`),
    () => admin,
    SUBSCRIBERS,
    PROCESSES,
  );

  // When the broker delivered each event: the moment the gateway's own queue gets it too.
  const tapBus = await RabbitBus.connect({ url: testAmqpUrl(), exchange: system.topology.exchange });
  const tap = await tapBus.broadcast(['request.#']);
  const published = new Map<string, number>();
  void (async () => {
    for await (const delivery of tap) {
      const event = delivery.body as RequestEvent;
      published.set(eventKey(event.requestId, event.status), Date.now());
      delivery.ack();
    }
  })();

  process.stderr.write('bench: subscribers ready, warming up, then changing requests…\n');
  await walkRequest(system, nurse, pharmacist); // a running gateway has planned and compiled its queries
  await new Promise((r) => setTimeout(r, 1_000));
  const before = gateways.map((g) => usage(g.pid!));
  const clientsBefore = children.map((c) => usage(c.pid!).cpuSeconds);
  const benchBefore = process.cpuUsage();
  const started = performance.now();
  system.resetQueries();
  const measured = new Set<string>();
  if (RATE === 0) {
    for (let i = 0; i < CHANGES / 4; i++) measured.add(await walkRequest(system, nurse, pharmacist));
  } else {
    // Event k is due at k / RATE seconds; requests walk concurrently, so a slow write does not delay the schedule.
    const due = (k: number) =>
      new Promise<void>((resolve) => setTimeout(resolve, started + (k * 1000) / RATE - performance.now()));
    const walks = Array.from({ length: CHANGES / 4 }, (_, i) =>
      walkRequest(system, nurse, pharmacist, (n) => due(i * 4 + n)),
    );
    for (const id of await Promise.all(walks)) measured.add(id);
  }
  // Until every subscriber has every event (bounded: a gateway that loses some must not hang the bench).
  const expectedNow = SUBSCRIBERS * measured.size * 4;
  for (
    const deadline = Date.now() + 120_000;
    Date.now() < deadline && (await receivedSoFar(children)) < expectedNow + SUBSCRIBERS * 4;
  ) {
    await new Promise((r) => setTimeout(r, 250));
  }
  const seconds = (performance.now() - started) / 1000;
  const after = gateways.map((g) => usage(g.pid!));
  const clientCpu = children.reduce((sum, c, i) => sum + usage(c.pid!).cpuSeconds - clientsBefore[i]!, 0);
  const benchCpu = process.cpuUsage(benchBefore);

  const received = (await collectReceived(children)).filter((r) => measured.has(r.requestId));
  const fromCommit = sorted(received.map((r) => r.at - r.committedAt));
  const fromPublish = sorted(
    received.map((r) => r.at - (published.get(eventKey(r.requestId, r.status)) ?? NaN)).filter((v) => !Number.isNaN(v)),
  );
  const expected = SUBSCRIBERS * measured.size * 4;
  // Each follow-up execution reads its request by id in the request subgraph.
  const followUps = system.queries.request.filter((sql) => /"request"\."Request"\."id" IN/.test(sql)).length;
  console.log(
    `live bench: ${SUBSCRIBERS} subscribers over ${PROCESSES} client processes, ${expected / SUBSCRIBERS} events ${RATE ? `at ${RATE}/s` : 'as fast as the writes go'} (after one warm-up request)`,
  );
  console.log(
    `  delivered ${received.length} of ${expected} (${((received.length / expected) * 100).toFixed(1)}%), ${(received.length / seconds).toFixed(0)} deliveries/s`,
  );
  console.log(
    `  publish→client latency p50 ${percentile(fromPublish, 50)} ms, p99 ${percentile(fromPublish, 99)} ms, max ${fromPublish.at(-1)} ms (target p99 < 50 ms)`,
  );
  console.log(
    `  commit→client latency  p50 ${percentile(fromCommit, 50)} ms, p99 ${percentile(fromCommit, 99)} ms (adds the outbox relay)`,
  );
  console.log(
    `  follow-up executions per event: ${(followUps / (expected / SUBSCRIBERS)).toFixed(2)} (same selection for all ${SUBSCRIBERS} subscribers; one per gateway)`,
  );
  /** RSS the subscribers added, per 1,000 of them (a gateway's share: SUBSCRIBERS / GATEWAYS). */
  const perThousand = (a: { rssMiB: number }, i: number) => ((a.rssMiB - idle[i]!) / (SUBSCRIBERS / GATEWAYS)) * 1000;
  after.forEach((a, i) =>
    console.log(
      `  gateway process ${i + 1}/${GATEWAYS}: CPU ${(((a.cpuSeconds - before[i]!.cpuSeconds) / seconds) * 100).toFixed(0)}% of one core over ${seconds.toFixed(1)} s, RSS ${a.rssMiB.toFixed(0)} MiB (idle ${idle[i]!.toFixed(0)}: ${perThousand(a, i).toFixed(1)} MiB per 1,000 subscribers)`,
    ),
  );
  console.log(
    `  elsewhere: subgraphs + writes ${(((benchCpu.user + benchCpu.system) / 1e6 / seconds) * 100).toFixed(0)}%, client processes ${((clientCpu / seconds) * 100).toFixed(0)}% of one core`,
  );
  const file = writeResult(SUBSCRIBERS === 1000 && GATEWAYS === 1 ? 'live' : `live-${SUBSCRIBERS}-over-${GATEWAYS}`, {
    subscribers: SUBSCRIBERS,
    events: expected / SUBSCRIBERS,
    ratePerSecond: RATE,
    delivered: received.length,
    expected,
    publishToClientMs: { p50: percentile(fromPublish, 50), p99: percentile(fromPublish, 99), max: fromPublish.at(-1) },
    commitToClientMs: { p50: percentile(fromCommit, 50), p99: percentile(fromCommit, 99) },
    followUpsPerEvent: followUps / (expected / SUBSCRIBERS),
    gateways: after.map((a, i) => ({
      cpuPercentOfOneCore: ((a.cpuSeconds - before[i]!.cpuSeconds) / seconds) * 100,
      rssMiB: a.rssMiB,
      idleRssMiB: idle[i],
      rssMiBPerThousandSubscribers: perThousand(a, i),
    })),
  });
  console.log(`  written to ${path.relative(process.cwd(), file)}`);
  await Promise.all(gateways.map(stopProcess));
  await tap.close();
  await tapBus.close();
  await system.stop();
}

runBench(main);
