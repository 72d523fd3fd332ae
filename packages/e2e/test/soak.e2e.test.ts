/**
 * A short soak (20 s here; `npm run bench:soak` runs minutes and watches memory):
 * mixed reads, writes and live dashboards at a steady rate through the gateway —
 * no error a client's retry does not get past (on a busy machine a dependency
 * can answer SERVICE_UNAVAILABLE, retryable, as documented), and nothing lost or
 * doubled, counted at both ends.
 */
import { runSoak } from '@asky/testing';
import { useTestSystem } from '@asky/testing';

const ctx = useTestSystem({ userStatusTtlMs: 5_000 });

it('serves 20 s of mixed traffic with no error and every request and event accounted for', async () => {
  const report = await runSoak(ctx.system, {
    gatewayUrl: ctx.system.gatewayUrl,
    seconds: 20,
    createsPerSecond: 5,
    readsPerSecond: 10,
    subscribers: 10,
  });
  process.stdout.write(`soak test: ${JSON.stringify(report)}\n`);
  expect(report.errors).toEqual({});
  expect(report.subscriberErrors).toBe(0);
  expect(report.created).toBeGreaterThanOrEqual(90); // 5/s for 20 s, give or take the machine
  expect(report.accepted).toBe(report.created);
  expect(report.stored).toBe(report.created);
  expect(report.storedAccepted).toBe(report.accepted);
  expect(report.brokerEvents).toBe(report.created + report.accepted);
  expect(report.receivedBySubscriber).toEqual(report.receivedBySubscriber.map(() => report.created + report.accepted));
}, 90_000);
