/**
 * No database fault loses a stock change or ends a process: pyxis' connections
 * to Postgres go through a proxy the tests cut (the request subgraph and the
 * tests' own SQL go direct), on the real broker.
 */
import { randomUUID } from 'node:crypto';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { TRANSACTION_OPTIONS } from '@asky/shared';
import { REPO_ROOT } from '@asky/launcher';
import {
  adminQuery,
  eventually,
  EventTap,
  startTestSystem,
  TcpProxy,
  testAmqpUrl,
  type TestSystem,
} from '@asky/testing';

const UTI_A = '44444444-4444-4444-8444-000000000001';
const REQUEST_MOVES = 'mutation ($id: ID!, $s: RequestStatus!) { updateRequestStatus(id: $id, status: $s) { status } }';

let system: TestSystem;
let proxy: TcpProxy;
let tap: EventTap;
let tokens: Awaited<ReturnType<TestSystem['loginAll']>>;
/** Unhandled rejections in this process (the whole system runs in it): each would have ended a service. */
const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown) => unhandled.push(reason);

beforeAll(async () => {
  process.on('unhandledRejection', onUnhandled);
  proxy = TcpProxy.toDatabase();
  await proxy.start();
  system = await startTestSystem({ databaseProxy: proxy, proxiedSubgraphs: ['pyxis'] });
  tap = await EventTap.open(system.topology.exchange);
  tokens = await system.loginAll();
});
afterAll(async () => {
  process.off('unhandledRejection', onUnhandled);
  await tap?.close();
  await system?.stop();
  await proxy?.cut().catch(() => undefined);
});

const sql = (text: string) => adminQuery(text, system.database.url);
const quantityOf = async (slotId: string) =>
  (await sql(`SELECT quantity FROM pyxis."StockItem" WHERE id = '${slotId}'`)).rows[0].quantity as number;
/** How many DISPENSE lines a request has: picked-up units leave the slot at IN_TRANSIT, so only these say a completion was applied. */
const dispensesOf = async (requestId: string) =>
  (
    await sql(
      `SELECT count(*)::int AS n FROM pyxis."StockMovement" WHERE "requestId" = '${requestId}' AND kind = 'DISPENSE'`,
    )
  ).rows[0].n as number;
const deadLetters = async () =>
  (await tap.channel.checkQueue(`${system.topology.queuePrefix}pyxis.stock.dead`)).messageCount;

async function slotWithStock(minimum: number) {
  // Not a controlled medicine: completing one needs a witness, which these faults are not about.
  const { rows } = await sql(
    `SELECT id, "medicineId", quantity FROM pyxis."StockItem" WHERE "dispenserId" = '${UTI_A}' AND "medicineId" IN (SELECT id FROM pyxis."Medicine" WHERE NOT controlled) AND quantity >= ${minimum} ORDER BY quantity DESC LIMIT 1`,
  );
  return rows[0] as { id: string; medicineId: string; quantity: number };
}

/** A MEDICINE request taken to IN_TRANSIT through the gateway; returns its id. */
async function inTransit(medicineId: string, quantity: number): Promise<string> {
  const created = await system.graphql(
    'mutation ($input: CreateRequestInput!) { createRequest(input: $input) { id } }',
    { input: { kind: 'MEDICINE', medicineId, dispenserId: UTI_A, quantity } },
    { token: tokens.nurse },
  );
  const id = created.data.createRequest.id as string;
  for (const status of ['ACCEPTED', 'PREPARING', 'IN_TRANSIT'])
    expect(
      (await system.graphql(REQUEST_MOVES, { id, s: status }, { token: tokens.pharmacist })).errors,
    ).toBeUndefined();
  return id;
}

describe('a Postgres blip under the stock consumer', () => {
  it('pauses consumption and applies every completion once the database answers: nothing dead-lettered', async () => {
    const slot = await slotWithStock(12);
    const ids: string[] = [];
    for (let i = 0; i < 13; i++) ids.push(await inTransit(slot.medicineId, 1));
    const late = ids.pop()!;
    // The slot locked from psql: the consumer waits on it with the first completion
    // (completing only reads the stock, so it is not held up).
    const locker = new pg.Client({ connectionString: system.database.url.href });
    await locker.connect();
    await locker.query('BEGIN');
    await locker.query(`SELECT 1 FROM pyxis."StockItem" WHERE id = '${slot.id}' FOR UPDATE`);
    for (const id of ids)
      expect(
        (await system.graphql(REQUEST_MOVES, { id, s: 'COMPLETED' }, { token: tokens.pharmacist })).errors,
      ).toBeUndefined();
    await tap.until((bodies) => ids.every((id) => bodies.some((b) => b.requestId === id && b.status === 'COMPLETED')));
    await proxy.cut(); // pyxis loses Postgres
    await locker.end();
    // Pyxis cannot say what the cabinet holds: a completion waits for it (retryable), it is not taken on trust.
    const unverified = await system.graphql(REQUEST_MOVES, { id: late, s: 'COMPLETED' }, { token: tokens.pharmacist });
    expect(unverified.errors?.[0]?.extensions).toMatchObject({ code: 'SERVICE_UNAVAILABLE', retryable: true });
    await new Promise((r) => setTimeout(r, 5_000)); // the consumer meets the outage with every completion
    await proxy.start();
    const dispensed = async () =>
      (
        await sql(
          `SELECT count(*)::int AS n FROM pyxis."StockMovement" WHERE "stockItemId" = '${slot.id}' AND kind = 'DISPENSE'`,
        )
      ).rows[0].n as number;
    expect(await eventually(dispensed, (n) => n === 12)).toBe(12);
    expect(await deadLetters()).toBe(0);
    expect(await quantityOf(slot.id)).toBe(slot.quantity - 13); // 12 handed over, the late one still carried
  }, 90_000);
});

describe('a connection lost under a transaction past its timeout', () => {
  it('answers SERVICE_UNAVAILABLE and the process goes on', async () => {
    const slot = await slotWithStock(1);
    const locker = new pg.Client({ connectionString: system.database.url.href });
    await locker.connect();
    try {
      await locker.query('BEGIN');
      await locker.query(`SELECT 1 FROM pyxis."StockItem" WHERE id = '${slot.id}' FOR UPDATE`);
      // The technician's change waits on the lock; Prisma's transaction timeout fires; then Postgres goes away.
      const change = system.graphql(
        'mutation ($id: ID!) { adjustStock(slotId: $id, delta: -1, reason: "count") { quantity } }',
        { id: slot.id },
        { token: tokens.technician },
      );
      await new Promise((r) => setTimeout(r, TRANSACTION_OPTIONS.timeout + 1_500));
      await proxy.cut();
      const body = await change;
      expect(body.errors?.[0]?.extensions?.code).toBe('SERVICE_UNAVAILABLE');
    } finally {
      await locker.query('ROLLBACK');
      await locker.end();
      await proxy.start();
    }
    await new Promise((r) => setTimeout(r, 500)); // anything still settling in the background
    expect(unhandled).toEqual([]);
    // pyxis serves again, and nothing was taken from the slot.
    const again = await eventually(
      () => system.graphql(`{ dispenser(id: "${UTI_A}") { code } }`, {}, { token: tokens.technician }),
      (b) => !b.errors,
    );
    expect(again.data.dispenser.code).toBe('UTI-2-A');
    expect(await quantityOf(slot.id)).toBe(slot.quantity);
  }, 60_000);
});

describe('messages that can never apply', () => {
  const forge = (fields: object) => {
    const event = {
      eventId: randomUUID(),
      type: 'request.status_changed',
      occurredAt: new Date().toISOString(),
      kind: 'MEDICINE',
      priority: 'STAT',
      status: 'COMPLETED',
      previousStatus: 'IN_TRANSIT',
      requesterId: randomUUID(),
      changedById: randomUUID(),
      dispenserId: UTI_A,
      medicineId: null,
      materialId: null,
      quantity: 1,
      unit: 'UTI Adulto',
      assigneeId: null,
      ...fields,
    };
    tap.channel.publish(system.topology.exchange, 'request.status_changed', Buffer.from(JSON.stringify(event)), {
      messageId: event.eventId,
      persistent: true,
    });
    return event;
  };
  const stockAt = async () =>
    (await sql(`SELECT sum(quantity)::int AS total FROM pyxis."StockItem" WHERE "dispenserId" = '${UTI_A}'`)).rows[0]
      .total as number;
  const metric = async (reason: string) => {
    const text = await (await fetch(new URL('/metrics', system.subgraphUrls.pyxis))).text();
    return Number(
      new RegExp(`asky_events_dead_lettered_total\\{queue="pyxis.stock",reason="${reason}"\\} (\\d+)`).exec(
        text,
      )?.[1] ?? 0,
    );
  };

  it('dead-letters a message that does not match its schema, before anything is read', async () => {
    const deadBefore = await deadLetters();
    const before = await metric('malformed');
    forge({ requestId: randomUUID(), quantity: '7', unit: 5 });
    expect(await eventually(deadLetters, (n) => n > deadBefore)).toBe(deadBefore + 1);
    expect(await metric('malformed')).toBe(before + 1);
  });

  it('dead-letters a forged completion of a request that does not exist: no stock taken', async () => {
    const before = await stockAt();
    const deadBefore = await deadLetters();
    const slot = await slotWithStock(7);
    forge({ requestId: randomUUID(), medicineId: slot.medicineId, quantity: 7 });
    expect(await eventually(deadLetters, (n) => n > deadBefore)).toBe(deadBefore + 1);
    expect(await stockAt()).toBe(before);
    expect(await metric('unknown_request')).toBeGreaterThanOrEqual(1);
  });

  it('dead-letters a forged COMPLETED for a request that is not completed: no stock taken', async () => {
    const slot = await slotWithStock(5);
    const created = await system.graphql(
      'mutation ($input: CreateRequestInput!) { createRequest(input: $input) { id } }',
      { input: { kind: 'MEDICINE', medicineId: slot.medicineId, dispenserId: UTI_A, quantity: 1 } },
      { token: tokens.nurse },
    );
    const pending = created.data.createRequest.id as string;
    const before = await stockAt();
    const deadBefore = await deadLetters();
    forge({ requestId: pending, medicineId: slot.medicineId, quantity: 5 });
    expect(await eventually(deadLetters, (n) => n > deadBefore)).toBe(deadBefore + 1);
    expect(await stockAt()).toBe(before);
    expect(await metric('not_completed')).toBeGreaterThanOrEqual(1);
  });

  it("takes a completed request's own item and quantity, once, whatever copies of its message say", async () => {
    const slot = await slotWithStock(10);
    const id = await inTransit(slot.medicineId, 2);
    expect(
      (await system.graphql(REQUEST_MOVES, { id, s: 'COMPLETED' }, { token: tokens.pharmacist })).errors,
    ).toBeUndefined();
    expect(
      await eventually(
        () => dispensesOf(id),
        (n) => n === 1,
      ),
    ).toBe(1);
    expect(await quantityOf(slot.id)).toBe(slot.quantity - 2);
    // The same completion again with new eventIds, a bigger quantity and another item: nothing more.
    const other =
      (
        await sql(
          `SELECT "medicineId" FROM pyxis."StockItem" WHERE "dispenserId" = '${UTI_A}' AND "medicineId" IS NOT NULL AND "medicineId" <> '${slot.medicineId}' LIMIT 1`,
        )
      ).rows[0]?.medicineId ?? slot.medicineId;
    const before = await stockAt();
    forge({ requestId: id, medicineId: slot.medicineId, quantity: 2 });
    const last = forge({ requestId: id, medicineId: other, quantity: 5 });
    await tap.until((bodies) => bodies.some((b) => b.eventId === last.eventId));
    await eventually(
      async () => (await tap.channel.checkQueue(`${system.topology.queuePrefix}pyxis.stock`)).messageCount,
      (n) => n === 0,
    );
    await new Promise((r) => setTimeout(r, 500)); // the last delivery's transaction
    expect(await stockAt()).toBe(before);
    const movements = await sql(
      `SELECT delta, carried, "actorId" FROM pyxis."StockMovement" WHERE reason LIKE 'request ${id} completed%'`,
    );
    expect(movements.rows).toEqual([{ delta: 0, carried: -2, actorId: '11111111-1111-4111-8111-000000000002' }]); // out of custody, by the pharmacist who completed it
  });

  it('an operator moves dead letters back once the cause is fixed (npm run events:redrive)', async () => {
    const queue = `${system.topology.queuePrefix}pyxis.stock`;
    await tap.channel.purgeQueue(`${queue}.dead`);
    // A completion that pyxis never applied and that sits in the dead-letter queue (as one
    // given up on by an older consumer would): its live copy kept away from pyxis' queue.
    const slot = await slotWithStock(3);
    const id = await inTransit(slot.medicineId, 3);
    await tap.channel.unbindQueue(queue, system.topology.exchange, 'request.status_changed');
    try {
      expect(
        (await system.graphql(REQUEST_MOVES, { id, s: 'COMPLETED' }, { token: tokens.pharmacist })).errors,
      ).toBeUndefined();
      await tap.until((bodies) => bodies.some((b) => b.requestId === id && b.status === 'COMPLETED'));
    } finally {
      await tap.channel.bindQueue(queue, system.topology.exchange, 'request.status_changed');
    }
    const completed = tap.bodies().find((b) => b.requestId === id && b.status === 'COMPLETED');
    tap.channel.publish(`${system.topology.exchange}.dead`, queue, Buffer.from(JSON.stringify(completed)), {
      messageId: completed.eventId,
      persistent: true,
      contentType: 'application/json',
    });
    expect(await eventually(deadLetters, (n) => n === 1)).toBe(1);
    expect(await dispensesOf(id)).toBe(0);

    const redrive = () =>
      promisify(execFile)(
        process.execPath,
        ['--conditions=typescript', '--import', 'tsx', path.join(REPO_ROOT, 'packages/launcher/src/redriveEvents.ts')],
        {
          cwd: REPO_ROOT,
          env: {
            ...process.env,
            AMQP_URL: testAmqpUrl(),
            EVENTS_EXCHANGE: system.topology.exchange,
            EVENTS_QUEUE_PREFIX: system.topology.queuePrefix,
          },
        },
      );
    expect((await redrive()).stdout).toContain(`moved 1 dead-lettered message(s) back onto ${queue}`);
    expect(
      await eventually(
        () => dispensesOf(id),
        (n) => n === 1,
      ),
    ).toBe(1);
    expect(await deadLetters()).toBe(0);
    // Once more changes nothing: the event applies at most once.
    tap.channel.publish(`${system.topology.exchange}.dead`, queue, Buffer.from(JSON.stringify(completed)), {
      messageId: completed.eventId,
      persistent: true,
    });
    await eventually(deadLetters, (n) => n === 1);
    expect((await redrive()).stdout).toContain('moved 1');
    await eventually(deadLetters, (n) => n === 0);
    await new Promise((r) => setTimeout(r, 1_000)); // the second copy's transaction
    expect(await dispensesOf(id)).toBe(1);
    expect(await quantityOf(slot.id)).toBe(slot.quantity - 3);
  }, 60_000);
});
