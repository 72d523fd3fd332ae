/**
 * `npm run bench:soak`: `BENCH_SECONDS` (120) of mixed traffic at a steady rate
 * (creates + acceptances, dashboard reads, `BENCH_SUBSCRIBERS` live dashboards)
 * through the gateway in its own process; counts every request and event at both
 * ends and samples the memory of the gateway process and of the subgraphs' process
 * every 5 s. Memory growth = median of the last quarter against the median of the
 * second quarter (after warm-up); bound: 1.25 ×. The gateway is judged by its RSS,
 * the subgraphs' process (this one: V8 may keep freed pages, so its RSS wanders)
 * by its heap in use after a full collection (`--expose-gc`). Writes
 * bench/results/soak.json.
 */
import path from 'node:path';
import { EnvReader } from '@asky/shared';
import { runSoak } from '@asky/testing';
import { startTestSystem } from '@asky/testing';
import { freePort, startAskyGateway, stopProcess, usage, writeResult, runBench } from './lib';

const env = new EnvReader();
const SECONDS = env.int('BENCH_SECONDS', 120, 20, 600);
const SUBSCRIBERS = env.int('BENCH_SUBSCRIBERS', 50, 1, 1000);
const GROWTH_BOUND = 1.25;

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? NaN;

/** Median of the second quarter (warmed up) and of the last quarter of the samples, and their ratio. */
function growth(samples: number[]) {
  const quarter = Math.max(1, Math.floor(samples.length / 4));
  const warm = median(samples.slice(quarter, 2 * quarter));
  const end = median(samples.slice(-quarter));
  return {
    warmMiB: Math.round(warm),
    endMiB: Math.round(end),
    peakMiB: Math.round(Math.max(...samples)),
    ratio: end / warm,
  };
}

async function main() {
  const system = await startTestSystem({ production: true, userStatusTtlMs: 10_000 });
  const port = await freePort();
  const gateway = await startAskyGateway(system, port, {
    LIVE_CONNECTIONS_PER_USER: String(SUBSCRIBERS),
    LIVE_SUBSCRIPTIONS_PER_USER: String(SUBSCRIBERS),
  });
  const gatewayRss: number[] = [];
  const subgraphsRss: number[] = [];
  const subgraphsHeap: number[] = [];
  try {
    // Every live dashboard is the pharmacist's: her connection limit must allow them all.
    const report = await runSoak(system, {
      gatewayUrl: `http://127.0.0.1:${port}/graphql`,
      seconds: SECONDS,
      createsPerSecond: 5,
      readsPerSecond: 10,
      subscribers: SUBSCRIBERS,
      sample: () => {
        gatewayRss.push(usage(gateway.pid!).rssMiB);
        subgraphsRss.push(process.memoryUsage().rss / 2 ** 20);
        // Live objects only (after a full collection): growth here is a leak, growth of RSS alone may be V8 keeping freed pages.
        // The test system records every SQL statement (for the tests that count them): not the servers' memory, dropped.
        system.resetQueries();
        globalThis.gc?.();
        subgraphsHeap.push(process.memoryUsage().heapUsed / 2 ** 20);
      },
    });
    // The subgraphs' process is judged by its live heap (collected before each sample, `--expose-gc`), the gateway's by RSS.
    const heapMeasured = subgraphsHeap.length > 0 && typeof globalThis.gc === 'function';
    const memory = {
      gateway: growth(gatewayRss),
      subgraphs: growth(subgraphsRss),
      ...(heapMeasured ? { 'subgraphs heap after GC': growth(subgraphsHeap) } : {}),
    };
    const expectedEvents = report.created + report.accepted;
    const lost = {
      requests: report.created - report.stored,
      acceptances: report.accepted - report.storedAccepted,
      brokerEvents: expectedEvents - report.brokerEvents,
      liveEvents: report.receivedBySubscriber.reduce((sum, n) => sum + (expectedEvents - n), 0),
    };
    const errors = Object.values(report.errors).reduce((a, b) => a + b, 0) + report.subscriberErrors;
    const judged = [memory.gateway, heapMeasured ? memory['subgraphs heap after GC']! : memory.subgraphs];
    const memoryOk = judged.every((m) => m.ratio <= GROWTH_BOUND);
    const ok = errors === 0 && Object.values(lost).every((n) => n === 0) && memoryOk;
    console.log(
      `soak bench: ${SECONDS} s, 5 creates/s (each accepted), 10 dashboard reads/s, ${SUBSCRIBERS} live dashboards`,
    );
    console.log(
      `  ${report.calls} calls, ${errors} errors ${JSON.stringify(report.errors)}, retried ${JSON.stringify(report.retried)}`,
    );
    for (const sample of report.errorSamples) console.log(`    ${sample}`);
    console.log(
      `  created ${report.created} / stored ${report.stored}; accepted ${report.accepted} / stored ${report.storedAccepted}`,
    );
    console.log(
      `  events on the broker ${report.brokerEvents} of ${expectedEvents}; live events missing over all dashboards: ${lost.liveEvents}`,
    );
    for (const [name, m] of Object.entries(memory)) {
      const what = name.includes('heap') ? name : `${name} RSS`;
      const bound = judged.includes(m) ? `bound × ${GROWTH_BOUND}` : 'not judged';
      console.log(
        `  ${what}: ${m.warmMiB} MiB warmed up → ${m.endMiB} MiB at the end (× ${m.ratio.toFixed(2)}, ${bound}), peak ${m.peakMiB} MiB`,
      );
    }
    console.log(`  ${ok ? 'PASS' : 'FAIL'}: no error, nothing lost, memory within the bound`);
    const file = writeResult('soak', {
      seconds: SECONDS,
      subscribers: SUBSCRIBERS,
      report,
      lost,
      memory,
      ok,
      samples: { gatewayRss, subgraphsRss, subgraphsHeap },
    });
    console.log(`  written to ${path.relative(process.cwd(), file)}`);
    if (!ok) process.exitCode = 1;
  } finally {
    await stopProcess(gateway);
    await system.stop();
  }
}

runBench(main);
