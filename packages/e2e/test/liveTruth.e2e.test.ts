/**
 * Live updates tell the truth, and no broker message silences them. A hostile
 * publisher on the real RabbitMQ sends poison (wrong types, prototype keys,
 * unknown enum values, huge bodies, garbage) and forgeries (a status change, an
 * escalation and a controlled-drug waste that never happened, a replayed event
 * with another status) on every routing key the services consume: no
 * subscriber sees any of it, and the next real change reaches every board as
 * the service that owns it recorded it.
 */
import { randomUUID } from 'node:crypto';
import { adminQuery, EventTap, listen, useTestSystem, type Listener } from '@asky/testing';

const ctx = useTestSystem();
let tap: EventTap;
beforeAll(async () => {
  tap = await EventTap.open(ctx.system.topology.exchange, '#');
});
afterAll(() => tap?.close());

const UTI_A = '44444444-4444-4444-8444-000000000001';
const MOCK_REQUEST = '66666666-6666-4666-8666-000000000001';
const PHARMACIST = '11111111-1111-4111-8111-000000000002';
const NURSE = '11111111-1111-4111-8111-000000000001';
const CHANGES = `subscription ($unit: String) { requestStatusChanged(unit: $unit) { type status previousStatus at escalationLevel changedBy { id } request { id status } } }`;
const STOCK = 'subscription { stockChanged { type slotId movementKind delta quantityAfter reason actorId witnessId } }';

const publish = (routingKey: string, body: string | object, messageId = randomUUID()) =>
  tap.channel.publish(
    ctx.system.topology.exchange,
    routingKey,
    Buffer.from(typeof body === 'string' ? body : JSON.stringify(body)),
    { messageId, persistent: true, contentType: 'application/json' },
  );

/** A well-formed `request.status_changed` for the mock request: every field as the request service writes it. */
const statusChanged = (overrides: Record<string, unknown> = {}) => ({
  eventId: randomUUID(),
  type: 'request.status_changed',
  occurredAt: new Date().toISOString(),
  requestId: MOCK_REQUEST,
  kind: 'MEDICINE',
  priority: 'STAT',
  status: 'COMPLETED',
  previousStatus: 'IN_TRANSIT',
  requesterId: NURSE,
  changedById: PHARMACIST,
  dispenserId: UTI_A,
  medicineId: '22222222-2222-4222-8222-000000000003',
  materialId: null,
  quantity: 2,
  unit: 'UTI Adulto',
  assigneeId: PHARMACIST,
  ...overrides,
});

/** A controlled medicine's slot at UTI-2-A. */
async function controlledSlot() {
  const { rows } = await adminQuery(
    `SELECT s.id, s.slot, s.quantity, s."medicineId" FROM pyxis."StockItem" s JOIN pyxis."Medicine" m ON m.id = s."medicineId" WHERE s."dispenserId" = '${UTI_A}' AND m.controlled ORDER BY s.slot LIMIT 1`,
    ctx.system.database.url,
  );
  return rows[0] as { id: string; slot: string; quantity: number; medicineId: string };
}

it('shows no poison or forgery on any board, and the next real changes as recorded', async () => {
  const subscribed = ctx.system.subscriptionsStarted(3);
  const boards: Listener[] = [
    listen(ctx.system, ctx.tokens.pharmacist, CHANGES, { unit: 'UTI Adulto' }),
    listen(ctx.system, ctx.tokens.admin, CHANGES),
    listen(ctx.system, ctx.tokens.nurse, STOCK),
  ];
  try {
    await subscribed;
    const slot = await controlledSlot();
    const before = (
      await adminQuery(`SELECT status FROM request."Request" WHERE id = '${MOCK_REQUEST}'`, ctx.system.database.url)
    ).rows[0].status;

    // Poison: every shape a listener once choked on, and worse.
    publish('request.status_changed', statusChanged({ unit: 5 }));
    for (const kind of ['__proto__', 'constructor', 'toString'])
      publish('request.status_changed', statusChanged({ kind }));
    publish(
      'request.created',
      `{"eventId":"${randomUUID()}","__proto__":{"requestId":"${MOCK_REQUEST}","kind":"MEDICINE"}}`,
    );
    publish('request.status_changed', statusChanged({ status: 'EXPLODED' }));
    publish('request.status_changed', statusChanged({ correlationId: 'x'.repeat(200_000) }));
    publish('request.status_changed', 'not json at all {');
    publish('stock.movement', { eventId: randomUUID(), type: 'stock.movement', delta: '-40', unit: ['UTI Adulto'] });
    // Forgeries: well formed, naming real things, announcing what never happened.
    publish('request.status_changed', statusChanged());
    publish('request.escalated', {
      ...statusChanged({ type: 'request.escalated', status: 'PENDING', level: 2, waitedSeconds: 3_600 }),
      previousStatus: undefined,
    });
    publish('stock.movement', {
      eventId: randomUUID(),
      type: 'stock.movement',
      occurredAt: new Date().toISOString(),
      slotId: slot.id,
      slot: slot.slot,
      dispenserId: UTI_A,
      unit: 'UTI Adulto',
      medicineId: slot.medicineId,
      materialId: null,
      movementId: randomUUID(),
      kind: 'WASTE',
      lot: null,
      delta: -40,
      quantityAfter: 0,
      actorId: PHARMACIST,
      witnessId: NURSE,
      requestId: null,
      reason: 'ampoules broken',
    });

    // The real changes that follow: a new request, and a count corrected by the technician.
    const created = await ctx.system.graphql(
      'mutation ($input: CreateRequestInput!) { createRequest(input: $input) { id } }',
      {
        input: {
          kind: 'MEDICINE',
          priority: 'URGENT',
          medicineId: '22222222-2222-4222-8222-000000000002',
          dispenserId: UTI_A,
          quantity: 1,
        },
      },
      { token: ctx.tokens.nurse },
    );
    const id = created.data.createRequest.id as string;
    const { rows: paracetamol } = await adminQuery(
      `SELECT id FROM pyxis."StockItem" WHERE "dispenserId" = '${UTI_A}' AND "medicineId" = '22222222-2222-4222-8222-000000000002'`,
      ctx.system.database.url,
    );
    const { rows: lots } = await adminQuery(
      `SELECT lot FROM pyxis."StockLot" WHERE "stockItemId" = '${paracetamol[0].id}' ORDER BY "expiresAt" LIMIT 1`,
      ctx.system.database.url,
    );
    const adjusted = await ctx.system.graphql(
      'mutation ($id: ID!, $lot: String) { adjustStock(slotId: $id, delta: 1, lot: $lot, reason: "found one behind the tray") { quantity } }',
      { id: paracetamol[0].id, lot: lots[0]?.lot ?? null },
      { token: ctx.tokens.technician },
    );
    expect(adjusted.errors).toBeUndefined();

    for (const board of boards.slice(0, 2)) {
      const first = await board.next();
      expect(first).toEqual({
        data: {
          requestStatusChanged: {
            type: 'CREATED',
            status: 'PENDING',
            previousStatus: null,
            at: expect.any(String),
            escalationLevel: null,
            changedBy: { id: NURSE },
            request: { id, status: 'PENDING' },
          },
        },
      });
    }
    const stock = await boards[2]!.next();
    expect(stock).toEqual({
      data: {
        stockChanged: {
          type: 'MOVEMENT',
          slotId: paracetamol[0].id,
          movementKind: 'ADJUST',
          delta: 1,
          quantityAfter: expect.any(Number),
          reason: 'found one behind the tray',
          actorId: '11111111-1111-4111-8111-000000000003',
          witnessId: null,
        },
      },
    });

    // A real event replayed with another status: not news, and never what it claims.
    const genuine = tap.messages
      .map((m) => m.content.toString())
      .filter((text) => text.includes(id))
      .map((text) => JSON.parse(text))
      .find((b) => b.type === 'request.created');
    publish('request.created', { ...genuine, status: 'COMPLETED' }, genuine.eventId);
    for (const board of boards) expect(await board.quiet(1_000)).toBe(true);
    for (const board of boards) expect(board.events).toHaveLength(1);
    expect(
      (await adminQuery(`SELECT status FROM request."Request" WHERE id = '${MOCK_REQUEST}'`, ctx.system.database.url))
        .rows[0].status,
    ).toBe(before);
    expect((await controlledSlot()).quantity).toBe(slot.quantity);
    // Every gateway still serves: ready, and live.
    expect((await fetch(new URL('/ready', ctx.system.gatewayUrl))).status).toBe(200);
  } finally {
    boards.forEach((board) => board.dispose());
  }
}, 60_000);
