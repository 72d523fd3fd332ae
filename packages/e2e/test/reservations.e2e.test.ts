/**
 * Accepting a medicine or material request holds its quantity at its dispenser
 *: available = unexpired on hand − reserved, shown in `locations`;
 * released when the request is cancelled or rejected (in transit: a RETURN
 * movement), taken by the dispense at COMPLETED; an acceptance that does not
 * commit gives its hold back; a forged cancellation releases nothing.
 */
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { adminQuery, EventTap, useTestSystem } from '@asky/testing';
import { eventually } from './helpers/cabinet';
import { askingAs } from './helpers/asking';

/** Not controlled: custody is witness.e2e's. */
const PARACETAMOL = '22222222-2222-4222-8222-000000000002';
const MOVE =
  'mutation ($id: ID!, $s: RequestStatus!, $note: String) { updateRequestStatus(id: $id, status: $s, note: $note) { status } }';

const ctx = useTestSystem();
let tap: EventTap;
beforeAll(async () => {
  tap = await EventTap.open(ctx.system.topology.exchange);
});
afterAll(() => tap?.close());

const sql = (text: string) => adminQuery(text, ctx.system.database.url);

const { ok } = askingAs(ctx);

/** A new cabinet with one slot of 5 paracetamol. */
async function cabinet(name: string) {
  const { createDispenser: dispenser } = await ok(
    ctx.tokens.technician,
    'mutation ($input: DispenserInput!) { createDispenser(input: $input) { id } }',
    {
      input: { code: `${name}-${Date.now() % 100000}`, name, unit: `Ala ${name}`, floor: '1', room: '103' },
    },
  );
  const { assignSlot: slot } = await ok(
    ctx.tokens.technician,
    'mutation ($input: AssignSlotInput!) { assignSlot(input: $input) { id } }',
    {
      input: {
        dispenserId: dispenser.id,
        slot: 'D1',
        medicineId: PARACETAMOL,
        parLevel: 10,
        quantity: 5,
        lot: 'L1',
        expiresAt: '2030-01-31',
      },
    },
  );
  const request = async (quantity: number) => {
    const { createRequest } = await ok(
      ctx.tokens.nurse,
      'mutation ($input: CreateRequestInput!) { createRequest(input: $input) { id } }',
      {
        input: { kind: 'MEDICINE', medicineId: PARACETAMOL, dispenserId: dispenser.id, quantity },
      },
    );
    return createRequest.id as string;
  };
  /** The slot as the nurse sees it in `locations`. */
  const location = async () => {
    const { medicine } = await ok(
      ctx.tokens.nurse,
      `{ medicine(id: "${PARACETAMOL}") { locations { dispenser { id } quantity reserved available } } }`,
    );
    const { quantity, reserved, available } = medicine.locations.find(
      (l: { dispenser: { id: string } }) => l.dispenser.id === dispenser.id,
    );
    return { quantity, reserved, available };
  };
  return { dispenserId: dispenser.id as string, slotId: slot.id as string, request, location };
}

const move = (id: string, s: string, token = ctx.tokens.pharmacist, note?: string) =>
  ctx.system.graphql(MOVE, { id, s, note }, { token });

it('holds the quantity at acceptance, refuses what is held for others, and gives it back at once on cancellation', async () => {
  const { request, location } = await cabinet('HOLD');
  const [first, second] = [await request(3), await request(3)]; // both asked while 5 are free
  expect((await move(first, 'ACCEPTED')).errors).toBeUndefined();
  expect(await location()).toEqual({ quantity: 5, reserved: 3, available: 2 });

  const refused = await move(second, 'ACCEPTED');
  expect(refused.errors?.[0]?.extensions).toMatchObject({ code: 'CONFLICT', available: 2 });
  expect((await ok(ctx.tokens.nurse, `{ request(id: "${second}") { status } }`)).request.status).toBe('PENDING');
  const tooMany = await ctx.system.graphql(
    'mutation ($input: CreateRequestInput!) { createRequest(input: $input) { id } }',
    {
      input: {
        kind: 'MEDICINE',
        medicineId: PARACETAMOL,
        dispenserId: (await sql(`SELECT "dispenserId" FROM request."Request" WHERE id = '${first}'`)).rows[0]
          .dispenserId,
        quantity: 3,
      },
    },
    { token: ctx.tokens.nurse },
  );
  expect(tooMany.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', available: 2 });

  expect((await move(first, 'CANCELLED', ctx.tokens.nurse)).errors).toBeUndefined();
  expect(await location()).toEqual({ quantity: 5, reserved: 0, available: 5 }); // no waiting for an event
  expect((await move(second, 'ACCEPTED')).errors).toBeUndefined();
  expect((await move(second, 'REJECTED', ctx.tokens.pharmacist, 'patient discharged')).errors).toBeUndefined();
  expect(await location()).toEqual({ quantity: 5, reserved: 0, available: 5 });
});

it('puts back what a request carried when it is cancelled in transit (a RETURN movement, once), and dispenses what is held at COMPLETED', async () => {
  const { request, location, slotId } = await cabinet('BACK');
  const carried = await request(2);
  for (const status of ['ACCEPTED', 'PREPARING', 'IN_TRANSIT'])
    expect((await move(carried, status)).errors).toBeUndefined();
  expect(await location()).toEqual({ quantity: 3, reserved: 0, available: 3 }); // picked up: out of the cabinet, in custody
  expect((await move(carried, 'CANCELLED', ctx.tokens.nurse)).errors).toBeUndefined();
  expect(await location()).toEqual({ quantity: 5, reserved: 0, available: 5 });
  // The closing event reaches pyxis too: it finds the hold ended and writes nothing more.
  await tap.until((bodies) => bodies.some((b) => b.requestId === carried && b.status === 'CANCELLED'));
  const completedOther = await request(5);
  for (const status of ['ACCEPTED', 'PREPARING', 'IN_TRANSIT', 'COMPLETED'])
    expect((await move(completedOther, status)).errors).toBeUndefined();
  await eventually(
    async () =>
      (
        await sql(
          `SELECT count(*)::int AS n FROM pyxis."StockMovement" WHERE "requestId" = '${completedOther}' AND kind = 'DISPENSE'`,
        )
      ).rows[0].n,
    (n) => n === 1,
  );
  expect(await location()).toEqual({ quantity: 0, reserved: 0, available: 0 });
  const { rows } = await sql(
    `SELECT kind, delta, carried, "quantityAfter", reason FROM pyxis."StockMovement" WHERE "stockItemId" = '${slotId}' AND kind IN ('RETURN', 'DISPENSE') ORDER BY at`,
  );
  expect(rows).toEqual([
    {
      kind: 'RETURN',
      delta: 2,
      carried: -2,
      quantityAfter: 5,
      reason: `request ${carried} closed in transit: 2 back in the slot`,
    },
    { kind: 'DISPENSE', delta: 0, carried: -5, quantityAfter: 0, reason: `request ${completedOther} completed` },
  ]);
  const { rows: holds } = await sql(
    `SELECT "requestId", outcome FROM pyxis."StockReservation" WHERE "stockItemId" = '${slotId}' ORDER BY "createdAt"`,
  );
  expect(holds).toEqual([
    { requestId: carried, outcome: 'PICKED_UP' },
    { requestId: completedOther, outcome: 'PICKED_UP' },
  ]);
  const { rows: custody } = await sql(
    `SELECT "requestId", quantity, outcome FROM pyxis."StockCustody" WHERE "stockItemId" = '${slotId}' ORDER BY "pickedUpAt"`,
  );
  expect(custody).toEqual([
    { requestId: carried, quantity: 2, outcome: 'RETURNED' },
    { requestId: completedOther, quantity: 5, outcome: 'DISPENSED' },
  ]);
});

it('gives the hold back when the acceptance does not commit', async () => {
  const { request, location } = await cabinet('UNDO');
  const id = await request(4);
  // The acceptance fails after pyxis held the stock: its history entry cannot be written.
  await sql(`CREATE FUNCTION request.refuse_${id.slice(0, 8)}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN
      IF NEW."requestId" = '${id}' THEN RAISE EXCEPTION 'history refused'; END IF; RETURN NEW; END $$;
    CREATE TRIGGER refuse_${id.slice(0, 8)} BEFORE INSERT ON request."StatusHistory" FOR EACH ROW EXECUTE FUNCTION request.refuse_${id.slice(0, 8)}()`);
  try {
    const failed = await move(id, 'ACCEPTED');
    expect(failed.errors?.[0]?.extensions?.code).toBe('INTERNAL_SERVER_ERROR');
    expect(JSON.stringify(failed.errors)).not.toMatch(/history refused|StatusHistory/);
  } finally {
    await sql(
      `DROP TRIGGER refuse_${id.slice(0, 8)} ON request."StatusHistory"; DROP FUNCTION request.refuse_${id.slice(0, 8)}()`,
    );
  }
  expect((await ok(ctx.tokens.nurse, `{ request(id: "${id}") { status } }`)).request.status).toBe('PENDING');
  expect(await location()).toEqual({ quantity: 5, reserved: 0, available: 5 });
  expect((await move(id, 'ACCEPTED')).errors).toBeUndefined(); // and it can be accepted once the fault is gone
  expect(await location()).toEqual({ quantity: 5, reserved: 4, available: 1 });
});

it('lets exactly one of two pharmacists accepting at once win, holding the quantity once', async () => {
  const { request, location } = await cabinet('RACE');
  const id = await request(2);
  const [a, b] = await Promise.all([move(id, 'ACCEPTED'), move(id, 'ACCEPTED', ctx.tokens.admin)]);
  const codes = [a, b].map((answer) => answer.errors?.[0]?.extensions?.code ?? 'OK').sort();
  expect(codes).toEqual(['CONFLICT', 'OK']);
  expect(await location()).toEqual({ quantity: 5, reserved: 2, available: 3 });
});

it('lets the person whose acceptance died retry at once, and keeps others out while her attempt may still be alive', async () => {
  const { request, location } = await cabinet('RETRY');
  const id = await request(2);
  const { me } = await ok(ctx.tokens.pharmacist, '{ me { id } }');
  // Her first attempt lost the database before it could end its lease.
  await sql(
    `UPDATE request."Request" SET "acceptingId" = gen_random_uuid(), "acceptingById" = '${me.id}', "acceptingUntil" = now() + interval '30 seconds' WHERE id = '${id}'`,
  );
  expect((await move(id, 'ACCEPTED', ctx.tokens.admin)).errors?.[0]?.extensions?.code).toBe('CONFLICT');
  expect((await move(id, 'ACCEPTED')).errors).toBeUndefined();
  expect(await location()).toEqual({ quantity: 5, reserved: 2, available: 3 });
});

it('holds no lock on the request while pyxis reserves: the requester cancels meanwhile, and the late hold is given back', async () => {
  const { request, location, dispenserId } = await cabinet('SLOW');
  const id = await request(3);
  // Pyxis is slow: its slots are locked, so the reservation waits.
  const blocker = new pg.Client({ connectionString: ctx.system.database.url.href });
  await blocker.connect();
  try {
    await blocker.query('BEGIN');
    await blocker.query(`SELECT id FROM pyxis."StockItem" WHERE "dispenserId" = $1 FOR UPDATE`, [dispenserId]);
    let acceptanceAnswered = false;
    const accepting = move(id, 'ACCEPTED').finally(() => (acceptanceAnswered = true));
    await eventually(
      async () =>
        (
          await sql(
            `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`,
          )
        ).rows[0].n,
      (waiting) => waiting > 0,
    );
    const cancelled = await move(id, 'CANCELLED', ctx.tokens.nurse);
    expect(cancelled.errors).toBeUndefined();
    expect(acceptanceAnswered).toBe(false); // the cancellation did not wait for the acceptance
    await blocker.query('COMMIT');
    expect((await accepting).errors?.[0]?.extensions?.code).toBe('CONFLICT');
  } finally {
    await blocker.end();
  }
  expect((await ok(ctx.tokens.nurse, `{ request(id: "${id}") { status } }`)).request.status).toBe('CANCELLED');
  expect(await eventually(location, (l) => l.reserved === 0)).toEqual({ quantity: 5, reserved: 0, available: 5 });
});

it('releases nothing for a forged cancellation of a request that is still accepted', async () => {
  const { request, location, dispenserId } = await cabinet('FORGE');
  const id = await request(3);
  expect((await move(id, 'ACCEPTED')).errors).toBeUndefined();
  const deadQueue = `${ctx.system.topology.queuePrefix}pyxis.stock.dead`;
  const deadBefore = (await tap.channel.checkQueue(deadQueue)).messageCount;
  const forged = {
    eventId: randomUUID(),
    type: 'request.status_changed',
    occurredAt: new Date().toISOString(),
    requestId: id,
    kind: 'MEDICINE',
    priority: 'ROUTINE',
    status: 'CANCELLED',
    previousStatus: 'ACCEPTED',
    requesterId: randomUUID(),
    changedById: randomUUID(),
    dispenserId,
    medicineId: PARACETAMOL,
    materialId: null,
    quantity: 3,
  };
  tap.channel.publish(ctx.system.topology.exchange, 'request.status_changed', Buffer.from(JSON.stringify(forged)), {
    messageId: forged.eventId,
    persistent: true,
  });
  expect(
    await eventually(
      async () => (await tap.channel.checkQueue(deadQueue)).messageCount,
      (n) => n > deadBefore,
    ),
  ).toBe(deadBefore + 1);
  expect(await location()).toEqual({ quantity: 5, reserved: 3, available: 2 });
});

it('keeps the reservation fields away from people and from the public API', async () => {
  const asNurse = await ctx.system.graphql(
    `{ stockReservation(requestId: "${randomUUID()}") { quantity } }`,
    {},
    { token: ctx.tokens.nurse },
  );
  expect(asNurse.errors?.[0]?.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED'); // not in the supergraph's API
  const straight = await fetch(ctx.system.subgraphUrls.pyxis, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${ctx.tokens.pharmacist}` },
    body: JSON.stringify({ query: `mutation { releaseStock(requestId: "${randomUUID()}") { quantity } }` }),
  });
  expect(((await straight.json()) as { errors: { extensions: { code: string } }[] }).errors[0]!.extensions.code).toBe(
    'FORBIDDEN',
  );
});
