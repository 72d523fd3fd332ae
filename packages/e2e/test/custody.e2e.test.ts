/**
 * Custody in transit of a controlled medicine, through the gateway: picking a
 * request up takes its units out of the cabinet into the custody of who carries
 * them (a PICK_UP naming her), handing over is the DISPENSE out of custody, and
 * a request closed in transit brings them back into their slot, witnessed — or
 * a TRANSIT discrepancy waits for a pharmacist. The register counts cabinets
 * plus custody, so it balances to the unit at any moment of a shift.
 */
import { randomUUID } from 'node:crypto';
import { adminQuery, EventTap, eventually, useTestSystem } from '@asky/testing';
import { askingAs } from './helpers/asking';

const MORPHINE = '22222222-2222-4222-8222-000000000003';

const ctx = useTestSystem();
const { gql, ok, idOf } = askingAs(ctx);
const sql = async (text: string) => (await adminQuery(text, ctx.system.database.url)).rows;
const slotQuantity = async (slotId: string) =>
  (await sql(`SELECT quantity FROM pyxis."StockItem" WHERE id = '${slotId}'`))[0].quantity as number;
const movementsOf = (requestId: string) =>
  sql(
    `SELECT kind::text, delta, carried, lot, "actorId", "witnessId" FROM pyxis."StockMovement" WHERE "requestId" = '${requestId}' ORDER BY at, id`,
  );

/** A new cabinet with one morphine slot of 10 (lot C1), and its slot id. */
async function morphineCabinet(witness: 'charge' | 'pharmacist' | 'nurse') {
  const { createDispenser } = await ok(
    ctx.tokens.technician,
    'mutation ($input: DispenserInput!) { createDispenser(input: $input) { id } }',
    {
      input: {
        code: `CUS-${Math.floor(Math.random() * 1e6)}`,
        name: 'Custody',
        unit: 'Ala Custódia',
        floor: '3',
        room: '301',
      },
    },
  );
  const dispenserId = createDispenser.id as string;
  const { assignSlot } = await ok(
    ctx.tokens.technician,
    'mutation ($input: AssignSlotInput!, $w: String) { assignSlot(input: $input, witnessToken: $w) { id } }',
    {
      input: {
        dispenserId,
        slot: 'C1',
        medicineId: MORPHINE,
        parLevel: 10,
        quantity: 10,
        lot: 'C1',
        expiresAt: '2030-01-31',
      },
      w: await ctx.system.witness(ctx.tokens.technician, dispenserId, witness, { act: 'ASSIGN', quantity: 10 }),
    },
  );
  return { dispenserId, slotId: assignSlot.id as string };
}

/** A morphine request for 2 from `dispenserId`, moved by the pharmacist to IN_TRANSIT (she picks it up). */
async function pickedUp(dispenserId: string, mrn: string) {
  const { createRequest } = await ok(
    ctx.tokens.nurse,
    'mutation ($input: CreateRequestInput!) { createRequest(input: $input) { id } }',
    {
      input: {
        kind: 'MEDICINE',
        medicineId: MORPHINE,
        dispenserId,
        quantity: 2,
        patient: { identifier: mrn, bed: 'UTI 3' },
        orderId: `RX-${mrn}`,
      },
    },
  );
  for (const status of ['ACCEPTED', 'PREPARING', 'IN_TRANSIT']) {
    await ok(
      ctx.tokens.pharmacist,
      'mutation ($id: ID!, $s: RequestStatus!) { updateRequestStatus(id: $id, status: $s) { status } }',
      { id: createRequest.id, s: status },
    );
  }
  return createRequest.id as string;
}

const IN_TRANSIT = `query ($d: ID) { stockInTransit(dispenserId: $d) { request { id } medicine { id } slot lot quantity carrier { id name registration } since } }`;

/** The morphine register's closing balance, and what every cabinet plus custody holds: they must be equal. */
async function book() {
  const { controlledRegister } = await ok(
    ctx.tokens.pharmacist,
    `{ controlledRegister(medicineId: "${MORPHINE}") { closingBalance days { dispensed } } }`,
  );
  const [{ cabinets }] = await sql(
    `SELECT coalesce(sum(quantity), 0)::int AS cabinets FROM pyxis."StockItem" WHERE "medicineId" = '${MORPHINE}'`,
  );
  const [{ carried }] = await sql(
    `SELECT coalesce(sum(quantity), 0)::int AS carried FROM pyxis."StockCustody" WHERE "medicineId" = '${MORPHINE}' AND "endedAt" IS NULL`,
  );
  return {
    balance: controlledRegister.closingBalance as number,
    cabinets: cabinets as number,
    carried: carried as number,
    dispensedToday: controlledRegister.days.at(-1)?.dispensed as number,
  };
}

describe('a controlled request picked up', () => {
  it('leaves the cabinet into the custody of who carries it, and is handed over out of her custody; the book balances throughout', async () => {
    const pharmacistId = await idOf(ctx.tokens.pharmacist);
    const { dispenserId, slotId } = await morphineCabinet('charge');
    const id = await pickedUp(dispenserId, 'MRN-5005');

    // Out of the cabinet, in the pharmacist's custody, named.
    expect(await slotQuantity(slotId)).toBe(8);
    expect(await movementsOf(id)).toEqual([
      { kind: 'PICK_UP', delta: -2, carried: 2, lot: 'C1', actorId: pharmacistId, witnessId: null },
    ]);
    const { stockInTransit } = await ok(ctx.tokens.pharmacist, IN_TRANSIT, { d: dispenserId });
    expect(stockInTransit).toEqual([
      {
        request: { id },
        medicine: { id: MORPHINE },
        slot: 'C1',
        lot: 'C1',
        quantity: 2,
        carrier: { id: pharmacistId, name: 'Bruno Lima', registration: 'CRF-SP 98765' },
        since: expect.any(String),
      },
    ]);
    expect((await gql(ctx.tokens.technician, IN_TRANSIT, { d: dispenserId })).errors?.[0]?.extensions?.code).toBe(
      'FORBIDDEN',
    );
    const carrying = await book();
    expect(carrying.balance).toBe(carrying.cabinets + carrying.carried); // the units carried are still the hospital's

    // Handed over: out of custody, the cabinet untouched; the register says the patient got 2.
    const before = carrying.dispensedToday ?? 0;
    const dispensing = await ctx.system.witness(ctx.tokens.pharmacist, id, 'nurse', { act: 'DISPENSE', quantity: 2 });
    await ok(
      ctx.tokens.pharmacist,
      'mutation ($id: ID!, $w: String) { updateRequestStatus(id: $id, status: COMPLETED, witnessToken: $w) { status } }',
      { id, w: dispensing },
    );
    const moves = await eventually(
      () => movementsOf(id),
      (rows) => rows.length === 2,
    );
    expect(moves[1]).toEqual({
      kind: 'DISPENSE',
      delta: 0,
      carried: -2,
      lot: 'C1',
      actorId: pharmacistId,
      witnessId: await idOf(ctx.tokens.nurse),
    });
    expect(await slotQuantity(slotId)).toBe(8);
    expect((await ok(ctx.tokens.pharmacist, IN_TRANSIT, { d: dispenserId })).stockInTransit).toEqual([]);
    const handed = await book();
    expect(handed.balance).toBe(handed.cabinets + handed.carried);
    expect(handed.dispensedToday - before).toBe(2);
    const { lotDispenses } = await ok(
      ctx.tokens.pharmacist,
      `{ lotDispenses(lot: "C1", medicineId: "${MORPHINE}") { quantity request { id } } }`,
    );
    expect(lotDispenses).toContainEqual({ quantity: 2, request: { id } }); // the recall still finds the patient
  });
});

describe('a controlled request closed in transit', () => {
  it('brings its units back witnessed, or leaves a TRANSIT discrepancy for a pharmacist when nobody saw them come back', async () => {
    const chargeId = await idOf(ctx.tokens.charge);
    const { dispenserId, slotId } = await morphineCabinet('pharmacist');
    const cancel = (id: string, witnessToken?: string) =>
      ctx.system.graphql(
        'mutation ($id: ID!, $w: String) { updateRequestStatus(id: $id, status: CANCELLED, witnessToken: $w) { status } }',
        { id, w: witnessToken },
        { token: ctx.tokens.nurse },
      );
    const transit = (id: string) =>
      sql(`SELECT source, expected, counted FROM pyxis."StockDiscrepancy" WHERE "requestId" = '${id}'`);

    const seen = await pickedUp(dispenserId, 'MRN-6006');
    expect(await slotQuantity(slotId)).toBe(8);
    expect(
      (await cancel(seen, await ctx.system.witness(ctx.tokens.nurse, seen, 'charge'))).errors?.[0]?.message,
    ).toMatch(/naming it/);
    expect(
      (await cancel(seen, await ctx.system.witness(ctx.tokens.nurse, seen, 'charge', { act: 'RETURN', quantity: 2 })))
        .errors,
    ).toBeUndefined();
    expect((await movementsOf(seen)).at(-1)).toEqual({
      kind: 'RETURN',
      delta: 2,
      carried: -2,
      lot: 'C1',
      actorId: await idOf(ctx.tokens.nurse),
      witnessId: chargeId,
    });
    expect(await slotQuantity(slotId)).toBe(10);
    expect(await transit(seen)).toEqual([]);

    const unseen = await pickedUp(dispenserId, 'MRN-7007');
    expect((await cancel(unseen)).errors).toBeUndefined(); // a cancellation is never refused for want of a witness…
    expect(
      await eventually(
        () => transit(unseen),
        (rows) => rows.length > 0,
      ),
    ).toEqual([{ source: 'TRANSIT', expected: 10, counted: 8 }]); // …but a pharmacist looks into it
    expect(await slotQuantity(slotId)).toBe(10);
    const closed = await book();
    expect(closed.balance).toBe(closed.cabinets + closed.carried);
    expect((await ok(ctx.tokens.pharmacist, IN_TRANSIT, { d: dispenserId })).stockInTransit).toEqual([]);
  });
});

describe('custody kept by the broker when pyxis was not told at once', () => {
  it('takes a request picked up into custody from its event alone, once', async () => {
    const { dispenserId, slotId } = await morphineCabinet('nurse');
    const { createRequest } = await ok(
      ctx.tokens.nurse,
      'mutation ($input: CreateRequestInput!) { createRequest(input: $input) { id } }',
      {
        input: {
          kind: 'MEDICINE',
          medicineId: MORPHINE,
          dispenserId,
          quantity: 3,
          patient: { identifier: 'MRN-8008' },
          orderId: 'RX-8008',
        },
      },
    );
    const id = createRequest.id as string;
    for (const status of ['ACCEPTED', 'PREPARING'])
      await ok(
        ctx.tokens.pharmacist,
        'mutation ($id: ID!, $s: RequestStatus!) { updateRequestStatus(id: $id, status: $s) { status } }',
        { id, s: status },
      );
    // The move to IN_TRANSIT committed while pyxis' answer was lost: only the event tells it.
    await sql(`UPDATE request."Request" SET status = 'IN_TRANSIT' WHERE id = '${id}'`);
    await sql(
      `INSERT INTO request."StatusHistory" (id, "requestId", "fromStatus", "toStatus", "changedById", at) VALUES (gen_random_uuid(), '${id}', 'PREPARING', 'IN_TRANSIT', '${await idOf(ctx.tokens.pharmacist)}', now())`,
    );
    const tap = await EventTap.open(ctx.system.topology.exchange, 'nothing.#');
    try {
      const event = {
        eventId: randomUUID(),
        type: 'request.status_changed',
        occurredAt: new Date().toISOString(),
        requestId: id,
        kind: 'MEDICINE',
        priority: 'ROUTINE',
        status: 'IN_TRANSIT',
        previousStatus: 'PREPARING',
        requesterId: await idOf(ctx.tokens.nurse),
        changedById: await idOf(ctx.tokens.pharmacist),
        dispenserId,
        medicineId: MORPHINE,
        materialId: null,
        quantity: 3,
        unit: 'Ala Custódia',
        assigneeId: await idOf(ctx.tokens.pharmacist),
      };
      const publish = (body: object) =>
        tap.channel.publish(ctx.system.topology.exchange, 'request.status_changed', Buffer.from(JSON.stringify(body)), {
          messageId: randomUUID(),
          persistent: true,
          contentType: 'application/json',
        });
      publish(event);
      await eventually(
        () => slotQuantity(slotId),
        (q) => q === 7,
      );
      publish({ ...event, eventId: randomUUID() }); // again: in custody once
    } finally {
      await tap.close();
    }
    // Handed over (after the copy, in the queue's order): exactly one pick-up, then its dispense out of custody.
    const dispensing = await ctx.system.witness(ctx.tokens.pharmacist, id, 'charge', { act: 'DISPENSE', quantity: 3 });
    await ok(
      ctx.tokens.pharmacist,
      'mutation ($id: ID!, $w: String) { updateRequestStatus(id: $id, status: COMPLETED, witnessToken: $w) { status } }',
      { id, w: dispensing },
    );
    const moves = await eventually(
      () => movementsOf(id),
      (rows) => rows.some((m: { kind: string }) => m.kind === 'DISPENSE'),
    );
    expect(moves.map((m: { kind: string; delta: number; carried: number }) => [m.kind, m.delta, m.carried])).toEqual([
      ['PICK_UP', -3, 3],
      ['DISPENSE', 0, -3],
    ]);
    expect(await slotQuantity(slotId)).toBe(7);
  });
});
