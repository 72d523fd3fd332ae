/**
 * Faults under load: nurses keep asking and the pharmacy keeps accepting while
 * RabbitMQ is unreachable for 30 s and, in the middle of that, every Postgres
 * connection of the subgraphs is cut for 10 s. Each call either succeeds or fails
 * with a clear retryable error (SERVICE_UNAVAILABLE, `retryable: true`), none
 * hangs, and afterwards every accepted request exists once and every event of
 * the outbox reached the exchange.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { adminQuery, EventTap, fillSlots, MOCK_USERS, startTestSystem, TcpProxy, type TestSystem } from '@asky/testing';

const UTI_A = '44444444-4444-4444-8444-000000000001';
const CALL_TIMEOUT_MS = 30_000;

/** What became of every call the load made. */
class Outcomes {
  readonly byCode = new Map<string, number>();
  readonly unexpected: string[] = [];
  calls = 0;

  record(code: string, detail?: unknown) {
    this.calls++;
    this.byCode.set(code, (this.byCode.get(code) ?? 0) + 1);
    if (code !== 'OK' && code !== 'SERVICE_UNAVAILABLE') this.unexpected.push(`${code}: ${JSON.stringify(detail)}`);
  }
}

/** One GraphQL call as a client makes it, bounded; `undefined` data means a retryable failure. */
async function call(
  system: TestSystem,
  outcomes: Outcomes,
  token: string,
  query: string,
  variables: object,
): Promise<any> {
  let body: { data?: any; errors?: { message: string; extensions?: Record<string, unknown> }[] };
  try {
    const res = await fetch(system.gatewayUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ query, variables }),
      signal: AbortSignal.timeout(CALL_TIMEOUT_MS),
    });
    body = (await res.json()) as typeof body;
  } catch (err) {
    outcomes.record((err as Error).name === 'TimeoutError' ? 'HUNG' : 'NO_ANSWER', String(err));
    return undefined;
  }
  const error = body.errors?.[0];
  if (!error) {
    outcomes.record('OK');
    return body.data;
  }
  const code = String(error.extensions?.code);
  if (code === 'SERVICE_UNAVAILABLE' && error.extensions?.retryable !== true) outcomes.record('NOT_RETRYABLE', error);
  else outcomes.record(code, error);
  return code === 'SERVICE_UNAVAILABLE' ? undefined : (body.data ?? null);
}

const CREATE = 'mutation ($input: CreateRequestInput!) { createRequest(input: $input) { id status } }';
const ACCEPT = 'mutation ($id: ID!) { updateRequestStatus(id: $id, status: ACCEPTED) { id status } }';
const DASHBOARD = '{ requests(first: 20) { id status requester { name } medicine { name } dispenser { code } } }';

describe('faults during load', () => {
  let system: TestSystem;
  let broker: TcpProxy;
  let database: TcpProxy;
  let tap: EventTap;

  beforeAll(async () => {
    broker = TcpProxy.toBroker();
    database = TcpProxy.toDatabase();
    await broker.start();
    await database.start();
    system = await startTestSystem({ amqpUrl: broker.url, databaseProxy: database, userStatusTtlMs: 0 });
    tap = await EventTap.open(system.topology.exchange);
  });

  afterAll(async () => {
    await tap?.close();
    await system?.stop(); // hung while a connection lost mid-transaction stayed checked out of the pool
    await broker.cut().catch(() => undefined);
    await database.cut().catch(() => undefined);
  });

  it('answers every call with data or a retryable error, and loses or doubles nothing', async () => {
    const nurses = await Promise.all([system.login(...MOCK_USERS.nurse), system.login(...MOCK_USERS.nurse)]);
    const pharmacist = await system.login(...MOCK_USERS.pharmacist);
    const { rows } = await adminQuery(
      `SELECT id, "medicineId" FROM pyxis."StockItem" WHERE "dispenserId" = '${UTI_A}' AND "medicineId" IS NOT NULL AND quantity > 0 ORDER BY quantity DESC LIMIT 1`,
      system.database.url,
    );
    const medicineId = rows[0].medicineId as string;
    // Each accepted request holds one: enough for every request the load makes.
    await fillSlots(system.database.url, `id = '${rows[0].id}'`, 100_000);
    const before = Number(
      (await adminQuery('SELECT count(*) FROM request."Request"', system.database.url)).rows[0].count,
    );

    const outcomes = new Outcomes();
    const created = new Map<string, string>(); // client key → request id
    const toAccept: string[] = [];
    let running = true;

    // Each nurse loops: a new request with a fresh key, retried with the same key until it is accepted.
    const nurse = async (token: string, worker: number) => {
      for (let i = 0; running; i++) {
        const clientKey = `faults-${worker}-${i}`;
        for (let attempt = 0; running || attempt === 0; attempt++) {
          const data = await call(system, outcomes, token, CREATE, {
            input: {
              kind: 'MEDICINE',
              medicineId,
              dispenserId: UTI_A,
              quantity: 1,
              clientKey,
              patient: { identifier: 'MRN-1001' },
              orderId: 'RX-1001',
            },
          });
          if (data?.createRequest) {
            created.set(clientKey, data.createRequest.id);
            toAccept.push(data.createRequest.id);
            break;
          }
          if (data === null) break; // a non-retryable error: recorded as unexpected
          await sleep(100);
        }
        await sleep(20);
      }
    };
    // The pharmacy accepts what comes in, retrying what failed (a retry of a move that did commit answers as it is).
    const pharmacy = async () => {
      while (running || toAccept.length) {
        const id = toAccept.shift();
        if (!id) {
          await sleep(50);
          continue;
        }
        const data = await call(system, outcomes, pharmacist, ACCEPT, { id });
        if (data === undefined) {
          toAccept.push(id);
          await sleep(100);
        }
      }
    };
    const dashboard = async () => {
      while (running) {
        await call(system, outcomes, pharmacist, DASHBOARD, {});
        await sleep(100);
      }
    };

    const load = [nurse(nurses[0]!, 0), nurse(nurses[1]!, 1), pharmacy(), dashboard()];
    await sleep(1_000);
    await broker.cut();
    const atBrokerCut = outcomes.calls;
    await sleep(5_000);
    await database.cut();
    await sleep(10_000);
    await database.start();
    await sleep(15_000);
    await broker.start();
    await sleep(3_000);
    running = false;
    await Promise.all(load);

    // Every accepted request exists once, and no failed attempt left a request behind.
    const { rows: stored } = await adminQuery(
      `SELECT "clientKey", count(*)::int AS n, min(id::text) AS id, min(status::text) AS status FROM request."Request" WHERE "clientKey" LIKE 'faults-%' GROUP BY "clientKey"`,
      system.database.url,
    );
    const after = Number(
      (await adminQuery('SELECT count(*) FROM request."Request"', system.database.url)).rows[0].count,
    );
    // Every event the outbox holds reached the exchange.
    const { rows: outbox } = await adminQuery('SELECT id::text FROM request."OutboxEvent"', system.database.url);
    const expected = outbox.map((r) => r.id as string);
    const bodies = await tap.until((got) => {
      const received = new Set(got.map((b) => b.eventId as string));
      return expected.every((id) => received.has(id));
    }, 30_000);

    const summary = Object.fromEntries(outcomes.byCode);
    process.stdout.write(
      `faults test: ${outcomes.calls} calls (${atBrokerCut} before the broker cut) ${JSON.stringify(summary)}; ` +
        `${created.size} requests created, ${expected.length} events in the outbox, ${bodies.length} received\n`,
    );
    expect(outcomes.unexpected).toEqual([]);
    expect(outcomes.byCode.get('SERVICE_UNAVAILABLE') ?? 0).toBeGreaterThan(0); // the cut was felt…
    expect(outcomes.byCode.get('OK') ?? 0).toBeGreaterThan(outcomes.byCode.get('SERVICE_UNAVAILABLE') ?? 0); // …and work went on
    expect(stored.every((row) => row.n === 1)).toBe(true);
    expect(Object.fromEntries(stored.map((row) => [row.clientKey, row.id]))).toEqual(Object.fromEntries(created));
    expect(after - before).toBe(created.size);
    expect(stored.every((row) => row.status === 'ACCEPTED')).toBe(true);
    // Each request: one creation event and one acceptance event.
    const events = bodies.filter((b) => [...created.values()].includes(b.requestId));
    expect(new Set(events.map((b) => b.eventId)).size).toBe(created.size * 2);
    // Everything reports ready again.
    const ready = [system.gatewayUrl, ...Object.values(system.subgraphUrls)].map((url) =>
      fetch(new URL('/ready', url)).then((r) => r.status),
    );
    expect(await Promise.all(ready)).toEqual([200, 200, 200, 200]);
  }, 120_000);
});
