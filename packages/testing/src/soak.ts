/**
 * A soak: mixed traffic at a steady rate through the gateway for a while —
 * nurses creating requests, the pharmacy accepting them, dashboards reading the
 * list and watching live — then counted at both ends: what clients were told
 * against what the database holds, the broker carried and each subscriber saw.
 * Used by the soak test (short) and `npm run bench:soak` (minutes, with memory).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { adminQuery, EventTap, fillSlots, MOCK_USERS, type TestSystem } from './testing';

export interface SoakOptions {
  /** Where clients send queries and open subscriptions (the system's gateway, or one in its own process). */
  readonly gatewayUrl: string;
  readonly seconds: number;
  /** Requests created per second (each then accepted). @default 5 */
  readonly createsPerSecond?: number;
  /** Dashboard list queries per second. @default 10 */
  readonly readsPerSecond?: number;
  /** Live dashboards, each with its own connection. @default 10 */
  readonly subscribers?: number;
  /** Called every `sampleEveryMs` while the load runs, e.g. to read memory. */
  readonly sample?: () => void;
  readonly sampleEveryMs?: number;
}

export interface SoakReport {
  readonly seconds: number;
  readonly calls: number;
  /** Calls that got an error, by code, after retrying what said `retryable` (must stay empty). */
  readonly errors: Record<string, number>;
  /** Retryable errors (a busy or briefly unavailable dependency) that a retry got past, by code. */
  readonly retried: Record<string, number>;
  /** The first few errors' operation, code and message, to say what went wrong. */
  readonly errorSamples: readonly string[];
  readonly created: number;
  readonly accepted: number;
  /** Requests of this soak in the database, and how many of them are ACCEPTED. */
  readonly stored: number;
  readonly storedAccepted: number;
  /** Events of this soak's requests on the broker (a tap on the exchange), by id. */
  readonly brokerEvents: number;
  /** Per subscriber: distinct events of this soak's requests received. */
  readonly receivedBySubscriber: readonly number[];
  readonly subscriberErrors: number;
}

const CREATE = 'mutation ($input: CreateRequestInput!) { createRequest(input: $input) { id } }';
const ACCEPT = 'mutation ($id: ID!) { updateRequestStatus(id: $id, status: ACCEPTED) { id } }';
const DASHBOARD =
  '{ requests(first: 50) { id status priority createdAt requester { name } assignee { name } medicine { name } dispenser { code location } } }';
const LIVE =
  'subscription { requestStatusChanged { status previousStatus request { id status requester { name } medicine { name } } } }';
const DISPENSER = '44444444-4444-4444-8444-000000000001';
/** Tries of one call when its errors are all retryable. */
const MAX_ATTEMPTS = 4;

/** Calls `tick` `perSecond` times a second (open loop: a slow answer does not slow the rate) until `until`. */
async function steady(perSecond: number, until: number, tick: () => Promise<void>): Promise<void> {
  // Only the calls still in flight are held: a soak's own bookkeeping must not look like the servers' growth.
  const inFlight = new Set<Promise<void>>();
  const start = Date.now();
  for (let n = 0; Date.now() < until; n++) {
    const call = tick().finally(() => inFlight.delete(call));
    inFlight.add(call);
    const next = start + ((n + 1) * 1000) / perSecond;
    await sleep(Math.max(0, next - Date.now()));
  }
  await Promise.all(inFlight);
}

export async function runSoak(system: TestSystem, options: SoakOptions): Promise<SoakReport> {
  const { gatewayUrl, seconds } = options;
  const tag = `soak-${Date.now().toString(36)}`;
  const [nurse, pharmacist] = await Promise.all([
    system.login(...MOCK_USERS.nurse),
    system.login(...MOCK_USERS.pharmacist),
  ]);
  const { rows } = await adminQuery(
    `SELECT id, "medicineId" FROM pyxis."StockItem" WHERE "dispenserId" = '${DISPENSER}' AND "medicineId" IS NOT NULL AND quantity > 0 ORDER BY quantity DESC LIMIT 1`,
    system.database.url,
  );
  const medicineId = rows[0].medicineId as string;
  // Every request is accepted and none completes, so each holds one: stock for all of them.
  await fillSlots(system.database.url, `id = '${rows[0].id}'`, 1_000_000);
  const errors: Record<string, number> = {};
  const errorSamples: string[] = [];
  let calls = 0;
  const retried: Record<string, number> = {};
  /** One client call; retried as apps do when every error says `retryable` (creates carry a clientKey, accepts repeat harmlessly). */
  const call = async (token: string, query: string, variables: object = {}) => {
    calls++;
    let body: { data?: any; errors?: readonly { message: string; extensions?: Record<string, unknown> }[] };
    for (let attempt = 1; ; attempt++) {
      body = await system
        .graphql(query, variables as Record<string, unknown>, { url: gatewayUrl, token })
        .catch((err: Error) => ({
          data: undefined,
          errors: [{ message: err.message, extensions: { code: 'NO_ANSWER' } }],
        }));
      const retryable = !!body.errors?.length && body.errors.every((e) => e.extensions?.retryable === true);
      if (!retryable || attempt === MAX_ATTEMPTS) break;
      for (const error of body.errors!)
        retried[String(error.extensions?.code)] = (retried[String(error.extensions?.code)] ?? 0) + 1;
      await sleep(500 * attempt);
    }
    for (const error of body.errors ?? []) {
      const code = String(error.extensions?.code);
      errors[code] = (errors[code] ?? 0) + 1;
      if (errorSamples.length < 5) errorSamples.push(`${query.slice(0, 40)}… ${code}: ${error.message}`);
    }
    return body.errors ? undefined : body.data;
  };

  const ours = new Set<string>();
  const tap = await EventTap.open(system.topology.exchange);
  const subscribers = Array.from(
    { length: options.subscribers ?? 10 },
    () => new LiveDashboard(gatewayUrl, pharmacist),
  );
  await Promise.all(subscribers.map((s) => s.ready)).catch(async (err: unknown) => {
    await Promise.all(subscribers.map((s) => s.close()));
    await tap.close();
    throw err;
  });
  const sampler = options.sample && setInterval(options.sample, options.sampleEveryMs ?? 5_000);
  try {
    const until = Date.now() + seconds * 1000;
    let created = 0;
    let accepted = 0;
    let key = 0;
    await Promise.all([
      steady(options.createsPerSecond ?? 5, until, async () => {
        const input = {
          kind: 'MEDICINE',
          medicineId,
          dispenserId: DISPENSER,
          quantity: 1,
          clientKey: `${tag}-${key++}`,
          patient: { identifier: 'MRN-1001' },
          orderId: 'RX-1001',
        };
        const made = await call(nurse, CREATE, { input });
        if (!made) return;
        created++;
        ours.add(made.createRequest.id);
        await sleep(200); // the pharmacy picks it up a moment later
        if (await call(pharmacist, ACCEPT, { id: made.createRequest.id })) accepted++;
      }),
      steady(options.readsPerSecond ?? 10, until, async () => void (await call(pharmacist, DASHBOARD))),
    ]);
    // Let the last events reach the broker and the dashboards.
    const settle = Date.now() + 15_000;
    const expectedEvents = created + accepted;
    const delivered = () => tap.bodies().filter((b) => ours.has(b.requestId)).length;
    while (
      Date.now() < settle &&
      (delivered() < expectedEvents || subscribers.some((s) => s.receivedOf(ours) < expectedEvents))
    )
      await sleep(100);
    const { rows: stored } = await adminQuery(
      `SELECT count(*)::int AS n, count(*) FILTER (WHERE status = 'ACCEPTED')::int AS accepted FROM request."Request" WHERE "clientKey" LIKE '${tag}-%'`,
      system.database.url,
    );
    return {
      seconds,
      calls,
      errors,
      retried,
      errorSamples,
      created,
      accepted,
      stored: stored[0].n,
      storedAccepted: stored[0].accepted,
      brokerEvents: new Set(
        tap
          .bodies()
          .filter((b) => ours.has(b.requestId))
          .map((b) => b.eventId),
      ).size,
      receivedBySubscriber: subscribers.map((s) => s.receivedOf(ours)),
      subscriberErrors: subscribers.reduce((sum, s) => sum + s.errors, 0),
    };
  } finally {
    if (sampler) clearInterval(sampler);
    await Promise.all(subscribers.map((s) => s.close()));
    await tap.close();
  }
}

/** One live dashboard: a graphql-ws connection counting the distinct changes it saw per request. */
class LiveDashboard {
  private readonly client: Client;
  /** request id → statuses seen */
  private readonly seen = new Map<string, Set<string>>();
  readonly ready: Promise<void>;
  errors = 0;

  constructor(gatewayUrl: string, token: string) {
    let connected: () => void = () => undefined;
    let refused: (err: Error) => void = () => undefined;
    this.ready = new Promise((resolve, reject) => ((connected = resolve), (refused = reject)));
    this.client = createClient({
      url: gatewayUrl.replace(/^http/, 'ws'),
      webSocketImpl: WebSocket,
      connectionParams: { authorization: `Bearer ${token}` },
      retryAttempts: 0,
      lazy: false,
      on: {
        connected: () => setTimeout(connected, 100), // the subscription is sent right after
        closed: (event) => refused(new Error(`live connection closed (${(event as { code?: number }).code})`)),
      },
      onNonLazyError: () => this.errors++,
    });
    this.client.subscribe(
      { query: LIVE },
      {
        next: (value) => {
          if (value.errors) this.errors++;
          const change = (
            value.data as { requestStatusChanged?: { status: string; request: { id: string } } } | undefined
          )?.requestStatusChanged;
          if (!change) return;
          const statuses = this.seen.get(change.request.id) ?? new Set<string>();
          statuses.add(change.status);
          this.seen.set(change.request.id, statuses);
        },
        error: () => this.errors++,
        complete: () => undefined,
      },
    );
  }

  receivedOf(ids: ReadonlySet<string>): number {
    let n = 0;
    for (const id of ids) n += this.seen.get(id)?.size ?? 0;
    return n;
  }

  close(): Promise<void> {
    return this.client.dispose() as Promise<void>;
  }
}
