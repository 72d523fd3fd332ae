/**
 * `npm run bench:recovery`: how long the API keeps failing after Postgres comes
 * back. A steady ward load (nurses creating, the pharmacy accepting with stock
 * holds, a dashboard reading) runs through a TCP proxy in front of the real
 * Postgres; the proxy cuts every subgraph connection for each outage length in
 * turn (`BENCH_OUTAGES`, seconds: 10,30,60), then restores it. Recovery is the
 * time from the restore to the start of the last call that still failed.
 * Fails (exit 1) when any recovery takes longer than 10 s. Loopback only, bounded.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { adminQuery, fillSlots, MOCK_USERS, startTestSystem, TcpProxy, type TestSystem } from '@asky/testing';
import { runBench, writeResult } from './lib';

const UTI_A = '44444444-4444-4444-8444-000000000001';
const OUTAGES_S = (process.env.BENCH_OUTAGES ?? '10,30,60').split(',').map(Number);
const RECOVERY_LIMIT_S = 10;
/** Calls keep going this long after the restore, so that late failures are seen. */
const AFTER_RESTORE_S = 25;

const CREATE = 'mutation ($input: CreateRequestInput!) { createRequest(input: $input) { id } }';
const ACCEPT = 'mutation ($id: ID!) { updateRequestStatus(id: $id, status: ACCEPTED) { status } }';
const DASHBOARD = '{ requests(first: 20) { id status requester { name } medicine { name } dispenser { code } } }';

interface Call {
  readonly startedAt: number;
  readonly ok: boolean;
  readonly code: string;
}

async function call(
  system: TestSystem,
  calls: Call[],
  token: string,
  query: string,
  variables: object = {},
): Promise<any> {
  const startedAt = Date.now();
  try {
    const res = await fetch(system.gatewayUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ query, variables }),
      signal: AbortSignal.timeout(30_000),
    });
    const body = (await res.json()) as { data?: any; errors?: { extensions?: { code?: string } }[] };
    const code = body.errors?.[0]?.extensions?.code ?? 'OK';
    calls.push({ startedAt, ok: code === 'OK', code });
    return code === 'OK' ? body.data : undefined;
  } catch (err) {
    calls.push({ startedAt, ok: false, code: (err as Error).name });
    return undefined;
  }
}

/** Runs the ward's load until `running()` is false; every call lands in `calls`. */
async function wardLoad(system: TestSystem, medicineId: string, calls: Call[], running: () => boolean): Promise<void> {
  const [nurse, pharmacist] = [await system.login(...MOCK_USERS.nurse), await system.login(...MOCK_USERS.pharmacist)];
  const toAccept: string[] = [];
  const nurses = async () => {
    while (running()) {
      const data = await call(system, calls, nurse, CREATE, {
        input: {
          kind: 'MEDICINE',
          medicineId,
          dispenserId: UTI_A,
          quantity: 1,
          patient: { identifier: 'MRN-1001' },
          orderId: 'RX-1001',
        },
      });
      if (data) toAccept.push(data.createRequest.id);
      await sleep(100);
    }
  };
  const pharmacy = async () => {
    while (running()) {
      const id = toAccept.shift();
      if (id && !(await call(system, calls, pharmacist, ACCEPT, { id }))) toAccept.push(id);
      await sleep(100);
    }
  };
  const dashboard = async () => {
    while (running()) {
      await call(system, calls, pharmacist, DASHBOARD);
      await sleep(200);
    }
  };
  await Promise.all([nurses(), nurses(), pharmacy(), dashboard()]);
}

runBench(async () => {
  const database = TcpProxy.toDatabase();
  await database.start();
  const system = await startTestSystem({ production: true, databaseProxy: database, userStatusTtlMs: 5_000 });
  const results: {
    outageSeconds: number;
    callsDuringOutage: number;
    failedAfterRestore: number;
    recoverySeconds: number;
  }[] = [];
  try {
    const { rows } = await adminQuery(
      `SELECT id, "medicineId" FROM pyxis."StockItem" WHERE "dispenserId" = '${UTI_A}' AND "medicineId" IS NOT NULL AND quantity > 0 ORDER BY quantity DESC LIMIT 1`,
      system.database.url,
    );
    await fillSlots(system.database.url, `id = '${rows[0].id}'`, 100_000);
    for (const outage of OUTAGES_S) {
      const calls: Call[] = [];
      let running = true;
      const load = wardLoad(system, rows[0].medicineId, calls, () => running);
      await sleep(3_000);
      const cutAt = Date.now();
      await database.cut();
      await sleep(outage * 1000);
      await database.start();
      const restoredAt = Date.now();
      await sleep(AFTER_RESTORE_S * 1000);
      running = false;
      await load;
      const after = calls.filter((c) => c.startedAt >= restoredAt);
      const failed = after.filter((c) => !c.ok);
      const lastFailure = Math.max(restoredAt, ...failed.map((c) => c.startedAt));
      const result = {
        outageSeconds: outage,
        callsDuringOutage: calls.filter((c) => c.startedAt >= cutAt && c.startedAt < restoredAt).length,
        failedAfterRestore: failed.length,
        recoverySeconds: Number(((lastFailure - restoredAt) / 1000).toFixed(1)),
      };
      results.push(result);
      const codes = [...new Set(failed.map((c) => c.code))].join(', ') || 'none';
      console.log(
        `outage ${outage} s: ${after.length} calls after the restore, ${failed.length} failed (${codes}); recovered in ${result.recoverySeconds} s`,
      );
    }
  } finally {
    await system.stop();
    await database.cut().catch(() => undefined);
  }
  const file = writeResult('recovery', { limitSeconds: RECOVERY_LIMIT_S, outages: results });
  console.log(`wrote ${file}`);
  const slow = results.filter((r) => r.recoverySeconds > RECOVERY_LIMIT_S);
  if (slow.length) {
    console.error(
      `recovery took longer than ${RECOVERY_LIMIT_S} s after outages of ${slow.map((r) => r.outageSeconds).join(', ')} s`,
    );
    process.exitCode = 1;
  }
});
