/**
 * Chain of custody for controlled medicines: every change of a
 * controlled slot, and completing a controlled request, needs a second person —
 * a NURSE or PHARMACIST other than the actor — who signs in on the actor's
 * screen (auth's `witness`); the confirmation is bound to the actor and the act,
 * is never an access token, and is recorded on the movement or the history.
 */
import { serviceRoleUrl } from '@asky/launcher';
import { adminQuery, eventually, useTestSystem } from '@asky/testing';
import { askingAs } from './helpers/asking';

const MORPHINE = '22222222-2222-4222-8222-000000000003';
const DIPYRONE = '22222222-2222-4222-8222-000000000001';
const SLOT_FIELDS = 'id quantity movements(last: 1) { kind delta witnessId }';

const ctx = useTestSystem();
const { gql, ok, idOf } = askingAs(ctx);
const codeOf = (body: { errors?: { extensions?: { code?: string } }[] }) => body.errors?.[0]?.extensions?.code;

async function cabinetWith(medicineId: string, witness?: string) {
  const { createDispenser } = await ok(
    ctx.tokens.technician,
    'mutation ($input: DispenserInput!) { createDispenser(input: $input) { id } }',
    {
      input: {
        code: `WIT-${Math.floor(Math.random() * 1e6)}`,
        name: 'Witnessed',
        unit: 'Ala Custódia',
        floor: '2',
        room: '204',
      },
    },
  );
  const assign = (witnessToken?: string) =>
    gql(
      ctx.tokens.technician,
      `mutation ($input: AssignSlotInput!, $w: String) { assignSlot(input: $input, witnessToken: $w) { ${SLOT_FIELDS} } }`,
      {
        input: {
          dispenserId: createDispenser.id,
          slot: 'C1',
          medicineId,
          parLevel: 10,
          quantity: 10,
          lot: 'W1',
          expiresAt: '2030-01-31',
        },
        w: witnessToken,
      },
    );
  return { dispenserId: createDispenser.id as string, assign, witness };
}

describe('a witness confirmation', () => {
  it('comes from a NURSE or PHARMACIST other than the actor, with the right password, and is never an access token', async () => {
    const subject = '44444444-4444-4444-8444-000000000001';
    const ask = (email: string, password: string, token = ctx.tokens.technician) =>
      gql(
        token,
        'mutation ($e: String!, $p: String!, $s: ID!) { witness(email: $e, password: $p, subjectId: $s) { token expiresIn witness { id role } } }',
        { e: email, p: password, s: subject },
      );
    const given = await ask('nurse@asky.local', 'asky-nurse');
    expect(given.data.witness).toMatchObject({
      expiresIn: 120,
      witness: { id: await idOf(ctx.tokens.nurse), role: 'NURSE' },
    });
    const asAccess = await fetch(ctx.system.gatewayUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${given.data.witness.token}` },
      body: '{"query":"{ me { id } }"}',
    });
    expect(asAccess.status).toBe(401);
    expect(codeOf(await ask('nurse@asky.local', 'wrong password'))).toBe('UNAUTHENTICATED');
    expect(codeOf(await ask('technician@asky.local', 'asky-technician', ctx.tokens.pharmacist))).toBe('FORBIDDEN'); // not a clinical witness
    expect(codeOf(await ask('pharmacist@asky.local', 'asky-pharmacist', ctx.tokens.pharmacist))).toBe('BAD_USER_INPUT'); // oneself
    const anonymous = await ctx.system.graphql(
      'mutation { witness(email: "nurse@asky.local", password: "asky-nurse", subjectId: "44444444-4444-4444-8444-000000000001") { token } }',
    );
    expect(['UNAUTHENTICATED', 'FORBIDDEN']).toContain(codeOf(anonymous));
  });
});

describe('controlled stock', () => {
  it('changes only with a witness for that act, recorded on the movement; other medicines need none', async () => {
    const nurseId = await idOf(ctx.tokens.nurse);
    const { dispenserId, assign } = await cabinetWith(MORPHINE);
    const missing = await assign();
    expect(missing.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'witnessToken' });
    const slot = (await assign(await ctx.system.witness(ctx.tokens.technician, dispenserId))).data.assignSlot;
    expect(slot.movements).toEqual([{ kind: 'ASSIGN', delta: null, witnessId: nurseId }]); // the technician counts blind: no figures of a controlled slot

    const adjust = (token: string, witnessToken?: string) =>
      gql(
        token,
        `mutation ($id: ID!, $w: String) { adjustStock(slotId: $id, delta: -1, reason: "recount", witnessToken: $w) { ${SLOT_FIELDS} } }`,
        { id: slot.id, w: witnessToken },
      );
    expect(codeOf(await adjust(ctx.tokens.pharmacist))).toBe('BAD_USER_INPUT');
    expect(codeOf(await adjust(ctx.tokens.pharmacist, await ctx.system.witness(ctx.tokens.pharmacist, MORPHINE)))).toBe(
      'BAD_USER_INPUT',
    ); // for another act
    expect(
      codeOf(
        await adjust(ctx.tokens.pharmacist, await ctx.system.witness(ctx.tokens.technician, slot.id, 'pharmacist')),
      ),
    ).toBe('BAD_USER_INPUT'); // given to someone else
    expect(codeOf(await adjust(ctx.tokens.pharmacist, 'not.a.token'))).toBe('BAD_USER_INPUT');
    expect(codeOf(await adjust(ctx.tokens.pharmacist, ctx.tokens.nurse))).toBe('BAD_USER_INPUT'); // an access token is no confirmation
    // The pharmacist, legally responsible for the register, corrects the count herself (with a witness).
    const adjusted = (await adjust(ctx.tokens.pharmacist, await ctx.system.witness(ctx.tokens.pharmacist, slot.id)))
      .data.adjustStock;
    expect(adjusted).toMatchObject({ quantity: 9, movements: [{ kind: 'ADJUST', delta: -1, witnessId: nurseId }] });

    const waste = (witnessToken?: string) =>
      gql(
        ctx.tokens.pharmacist,
        `mutation ($id: ID!, $w: String) { wasteStock(slotId: $id, quantity: 2, reason: "ampoules broken in the drawer", witnessToken: $w) { ${SLOT_FIELDS} } }`,
        { id: slot.id, w: witnessToken },
      );
    expect(codeOf(await waste())).toBe('BAD_USER_INPUT');
    const wasted = (await waste(await ctx.system.witness(ctx.tokens.pharmacist, slot.id))).data.wasteStock;
    expect(wasted).toMatchObject({ quantity: 7, movements: [{ kind: 'WASTE', delta: -2, witnessId: nurseId }] });

    const restock = (witnessToken?: string) =>
      gql(
        ctx.tokens.technician,
        `mutation ($id: ID!, $w: String) { restock(slotId: $id, quantity: 3, witnessToken: $w) { ${SLOT_FIELDS} } }`,
        { id: slot.id, w: witnessToken },
      );
    expect(codeOf(await restock())).toBe('BAD_USER_INPUT');
    // A witness at the cabinet confirms one act there: used again, it is refused and nothing moves.
    const once = await ctx.system.witness(ctx.tokens.technician, dispenserId, 'pharmacist');
    expect((await restock(once)).data.restock.movements).toEqual([
      { kind: 'RESTOCK', delta: null, witnessId: await idOf(ctx.tokens.pharmacist) },
    ]); // blind for the technician
    const replayed = await restock(once);
    expect(replayed.errors?.[0]?.extensions).toMatchObject({ code: 'CONFLICT', argument: 'witnessToken' });
    expect(
      (await adminQuery(`SELECT quantity FROM pyxis."StockItem" WHERE id = '${slot.id}'`, ctx.system.database.url))
        .rows[0].quantity,
    ).toBe(10);

    const plain = await cabinetWith(DIPYRONE);
    const plainSlot = (await plain.assign()).data.assignSlot;
    const plainWaste = await ok(
      ctx.tokens.technician,
      `mutation ($id: ID!) { wasteStock(slotId: $id, quantity: 1, reason: "expired in the ward") { ${SLOT_FIELDS} } }`,
      { id: plainSlot.id },
    );
    expect(plainWaste.wasteStock.movements).toEqual([{ kind: 'WASTE', delta: -1, witnessId: null }]);
  });
});

describe('a confirmation naming its act', () => {
  it('covers that act and that quantity only, once', async () => {
    const { dispenserId, assign } = await cabinetWith(MORPHINE);
    const slot = (
      await assign(
        await ctx.system.witness(ctx.tokens.technician, dispenserId, 'charge', { act: 'ASSIGN', quantity: 10 }),
      )
    ).data.assignSlot;
    const adjust = (delta: number, witnessToken: string) =>
      ctx.system.graphql(
        `mutation ($id: ID!, $d: Int!, $w: String) { adjustStock(slotId: $id, delta: $d, reason: "recount", witnessToken: $w) { quantity } }`,
        { id: slot.id, d: delta, w: witnessToken },
        { token: ctx.tokens.pharmacist },
      );
    const waste = (quantity: number, witnessToken: string) =>
      ctx.system.graphql(
        `mutation ($id: ID!, $q: Int!, $w: String) { wasteStock(slotId: $id, quantity: $q, reason: "broken", witnessToken: $w) { quantity } }`,
        { id: slot.id, q: quantity, w: witnessToken },
        { token: ctx.tokens.pharmacist },
      );
    // Seen: "adjust −1". Not a waste of 2, not an adjustment of −4.
    const seen = await ctx.system.witness(ctx.tokens.pharmacist, slot.id, 'charge', { act: 'ADJUST', quantity: -1 });
    expect((await waste(2, seen)).errors?.[0]?.extensions).toMatchObject({
      code: 'BAD_USER_INPUT',
      argument: 'witnessToken',
    });
    expect((await adjust(-4, seen)).errors?.[0]?.message).toMatch(/confirmed -1, not -4/);
    expect((await adjust(-1, seen)).data.adjustStock.quantity).toBe(9);
    expect((await adjust(-1, seen)).errors?.[0]?.extensions?.code).toBe('CONFLICT'); // once
    const { rows } = await adminQuery(
      `SELECT count(*)::int AS n FROM pyxis."StockMovement" WHERE "stockItemId" = '${slot.id}' AND "witnessId" IS NOT NULL`,
      ctx.system.database.url,
    );
    expect(rows[0].n).toBe(2); // the assignment and the one adjustment: nothing else carries her name
  });

  it('opens a discrepancy for every controlled correction down, for a pharmacist to resolve', async () => {
    const { dispenserId, assign } = await cabinetWith(MORPHINE);
    // One sign-in of the witness for the round she sees: each confirmation covers its own act.
    const round = await ctx.system.graphql(
      'mutation ($acts: [WitnessedActInput!]!) { witnessRound(email: "charge@asky.local", password: "asky-charge", acts: $acts) { token witness { role } } }',
      {
        acts: [
          { subjectId: dispenserId, act: 'ASSIGN', quantity: 10 },
          { subjectId: dispenserId, act: 'ADJUST', quantity: -2 },
        ],
      },
      { token: ctx.tokens.technician },
    );
    const [assigning, adjusting] = round.data.witnessRound.map((c: { token: string }) => c.token);
    const slot = (await assign(assigning)).data.assignSlot;
    const adjusted = await ctx.system.graphql(
      `mutation ($id: ID!, $w: String) { adjustStock(slotId: $id, delta: -2, reason: "not found", witnessToken: $w) { quantity } }`,
      { id: slot.id, w: adjusting },
      { token: ctx.tokens.technician },
    );
    expect(adjusted.errors).toBeUndefined();
    const { discrepancies } = await ok(
      ctx.tokens.pharmacist,
      `{ discrepancies(open: true) { source expected counted slot { id } } }`,
    );
    expect(discrepancies.filter((d: { slot: { id: string } }) => d.slot.id === slot.id)).toEqual([
      { source: 'ADJUST', expected: 10, counted: 8, slot: { id: slot.id } },
    ]);
  });
});

describe('audit rows', () => {
  it('are append-only for the pyxis service role: catalogue changes as stock movements', async () => {
    const asPyxis = serviceRoleUrl(ctx.system.database.url, 'pyxis');
    for (const statement of [
      'UPDATE pyxis."CatalogueChange" SET reason = \'rewritten\'',
      'DELETE FROM pyxis."CatalogueChange"',
      'UPDATE pyxis."WitnessUse" SET quantity = 0',
      'DELETE FROM pyxis."StockMovement"',
    ]) {
      await expect(adminQuery(statement, asPyxis)).rejects.toThrow(/permission denied/);
    }
  });
});

describe('completing a controlled request', () => {
  it('needs a witness for that request, recorded in its history and on the dispense', async () => {
    const nurseId = await idOf(ctx.tokens.nurse);
    const { dispenserId, assign } = await cabinetWith(MORPHINE);
    const slot = (await assign(await ctx.system.witness(ctx.tokens.technician, dispenserId, 'pharmacist'))).data
      .assignSlot;
    const { createRequest } = await ok(
      ctx.tokens.nurse,
      'mutation ($input: CreateRequestInput!) { createRequest(input: $input) { id } }',
      {
        input: {
          kind: 'MEDICINE',
          medicineId: MORPHINE,
          dispenserId,
          quantity: 2,
          patient: { identifier: 'MRN-1001' },
          orderId: 'RX-1001',
        },
      },
    );
    const id = createRequest.id as string;
    const move = (status: string, witnessToken?: string) =>
      gql(
        ctx.tokens.pharmacist,
        'mutation ($id: ID!, $s: RequestStatus!, $w: String) { updateRequestStatus(id: $id, status: $s, witnessToken: $w) { status } }',
        { id, s: status, w: witnessToken },
      );
    expect(codeOf(await move('ACCEPTED', await ctx.system.witness(ctx.tokens.pharmacist, id)))).toBe('BAD_USER_INPUT'); // a witness is for completing
    for (const status of ['ACCEPTED', 'PREPARING', 'IN_TRANSIT']) expect((await move(status)).errors).toBeUndefined();
    const alone = await move('COMPLETED');
    expect(alone.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'witnessToken' });
    expect((await ok(ctx.tokens.nurse, `{ request(id: "${id}") { status } }`)).request.status).toBe('IN_TRANSIT');
    expect(codeOf(await move('COMPLETED', await ctx.system.witness(ctx.tokens.pharmacist, slot.id)))).toBe(
      'BAD_USER_INPUT',
    ); // for the slot, not this request

    expect(
      (await move('COMPLETED', await ctx.system.witness(ctx.tokens.pharmacist, id))).data.updateRequestStatus.status,
    ).toBe('COMPLETED');
    const { request } = await ok(ctx.tokens.nurse, `{ request(id: "${id}") { history { toStatus witness { id } } } }`);
    expect(request.history.at(-1)).toEqual({ toStatus: 'COMPLETED', witness: { id: nurseId } });
    const deadline = Date.now() + 20_000;
    let rows: { delta: number; carried: number; witnessId: string }[] = [];
    while (!rows.length && Date.now() < deadline) {
      ({ rows } = await adminQuery(
        `SELECT delta, carried, "witnessId" FROM pyxis."StockMovement" WHERE "stockItemId" = '${slot.id}' AND kind = 'DISPENSE'`,
        ctx.system.database.url,
      ));
      if (!rows.length) await new Promise((r) => setTimeout(r, 100));
    }
    expect(rows).toEqual([{ delta: 0, carried: -2, witnessId: nurseId }]); // out of the carrier's custody
  });
});

describe('waste at the bedside', () => {
  it("records part of a dispensed ampoule discarded, witnessed, in the medicine's measure, never more than was dispensed, in the register", async () => {
    const { dispenserId, assign } = await cabinetWith(MORPHINE);
    await assign(await ctx.system.witness(ctx.tokens.technician, dispenserId, 'pharmacist'));
    const { createRequest } = await ok(
      ctx.tokens.nurse,
      'mutation ($input: CreateRequestInput!) { createRequest(input: $input) { id } }',
      {
        input: {
          kind: 'MEDICINE',
          medicineId: MORPHINE,
          dispenserId,
          quantity: 1,
          patient: { identifier: 'MRN-2002' },
          orderId: 'RX-2002',
        },
      },
    );
    const id = createRequest.id as string;
    for (const status of ['ACCEPTED', 'PREPARING', 'IN_TRANSIT'])
      await ok(
        ctx.tokens.pharmacist,
        'mutation ($id: ID!, $s: RequestStatus!) { updateRequestStatus(id: $id, status: $s) { status } }',
        { id, s: status },
      );
    await ok(
      ctx.tokens.pharmacist,
      'mutation ($id: ID!, $w: String) { updateRequestStatus(id: $id, status: COMPLETED, witnessToken: $w) { status } }',
      { id, w: await ctx.system.witness(ctx.tokens.pharmacist, id, 'charge', { act: 'DISPENSE', quantity: 1 }) },
    );
    await eventually(
      async () =>
        (
          await adminQuery(
            `SELECT count(*)::int AS n FROM pyxis."StockMovement" WHERE "requestId" = '${id}' AND kind = 'DISPENSE'`,
            ctx.system.database.url,
          )
        ).rows[0].n,
      (n) => n > 0,
    );

    const WASTE =
      'mutation ($id: ID!, $a: Float!, $u: String!, $w: String) { wasteDose(requestId: $id, amount: $a, unit: $u, reason: "dose given: 2 mg", witnessToken: $w) { kind delta doseAmount doseUnit witnessId requestId } }';
    const waste = (amount: number, unit: string, w?: string) =>
      ctx.system.graphql(WASTE, { id, a: amount, u: unit, w }, { token: ctx.tokens.nurse });
    expect((await waste(8, 'mg')).errors?.[0]?.extensions).toMatchObject({
      code: 'BAD_USER_INPUT',
      argument: 'witnessToken',
    });
    expect(
      (await waste(8, 'mg', await ctx.system.witness(ctx.tokens.nurse, id, 'pharmacist'))).errors?.[0]?.message,
    ).toMatch(/naming it/); // the act unnamed
    const wasted = await waste(8, 'mg', await ctx.system.witness(ctx.tokens.nurse, id, 'pharmacist', { act: 'WASTE' }));
    expect(wasted.data.wasteDose).toEqual({
      kind: 'WASTE',
      delta: 0,
      doseAmount: 8,
      doseUnit: 'mg',
      witnessId: await idOf(ctx.tokens.pharmacist),
      requestId: id,
    });
    const tooMuch = await waste(
      0.3,
      'mL',
      await ctx.system.witness(ctx.tokens.nurse, id, 'pharmacist', { act: 'WASTE' }),
    ); // 8 mg + 3 mg > the 10 mg dispensed
    expect(tooMuch.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'amount' });

    const { controlledRegister } = await ok(
      ctx.tokens.pharmacist,
      `{ controlledRegister(medicineId: "${MORPHINE}") { entries { kind delta carried requestId doseAmount doseUnit } csv } }`,
    );
    expect(controlledRegister.entries.filter((e: { requestId: string }) => e.requestId === id)).toEqual([
      { kind: 'PICK_UP', delta: -1, carried: 1, requestId: id, doseAmount: null, doseUnit: null },
      { kind: 'DISPENSE', delta: 0, carried: -1, requestId: id, doseAmount: null, doseUnit: null }, // out of custody
      { kind: 'WASTE', delta: 0, carried: 0, requestId: id, doseAmount: 8, doseUnit: 'mg' },
    ]);
    expect(controlledRegister.csv.split('\r\n')[0]).toMatch(/,doseAmount,doseUnit,carried$/);
  });
});

describe("a controlled medicine's register, as an inspector reads it", () => {
  /** One sign-in of `witness` for a round of `actorToken`'s acts: their confirmations, in order. */
  const round = async (
    actorToken: string,
    witness: 'charge' | 'pharmacist',
    acts: { subjectId: string; act: string; quantity?: number }[],
  ) => {
    const [email, password] =
      witness === 'charge' ? ['charge@asky.local', 'asky-charge'] : ['pharmacist@asky.local', 'asky-pharmacist'];
    const body = await ok(
      actorToken,
      'mutation ($e: String!, $p: String!, $acts: [WitnessedActInput!]!) { witnessRound(email: $e, password: $p, acts: $acts) { token } }',
      { e: email, p: password, acts },
    );
    return body.witnessRound.map((c: { token: string }) => c.token) as string[];
  };

  it('balances a whole shift to the unit against stock, naming people with their registrations, the patient and the order, on the hospital clock', async () => {
    const { dispenserId, assign } = await cabinetWith(MORPHINE);
    const [assigning, counting] = await round(ctx.tokens.technician, 'pharmacist', [
      { subjectId: dispenserId, act: 'ASSIGN', quantity: 10 },
      { subjectId: dispenserId, act: 'COUNT', quantity: 12 },
    ]);
    const slot = (await assign(assigning)).data.assignSlot;
    const { createRequest } = await ok(
      ctx.tokens.nurse,
      'mutation ($input: CreateRequestInput!) { createRequest(input: $input) { id } }',
      {
        input: {
          kind: 'MEDICINE',
          medicineId: MORPHINE,
          dispenserId,
          quantity: 2,
          patient: { identifier: 'MRN-3003', bed: 'UTI 9' },
          orderId: 'RX-3003',
        },
      },
    );
    const id = createRequest.id as string;
    const [restocking, dispensing] = await round(ctx.tokens.pharmacist, 'charge', [
      { subjectId: slot.id, act: 'RESTOCK', quantity: 5 },
      { subjectId: id, act: 'DISPENSE', quantity: 2 },
    ]);
    await ok(
      ctx.tokens.pharmacist,
      'mutation ($id: ID!, $w: String) { restock(slotId: $id, quantity: 5, witnessToken: $w) { id } }',
      { id: slot.id, w: restocking },
    );
    for (const status of ['ACCEPTED', 'PREPARING', 'IN_TRANSIT'])
      await ok(
        ctx.tokens.pharmacist,
        'mutation ($id: ID!, $s: RequestStatus!) { updateRequestStatus(id: $id, status: $s) { status } }',
        { id, s: status },
      );
    await ok(
      ctx.tokens.pharmacist,
      'mutation ($id: ID!, $w: String) { updateRequestStatus(id: $id, status: COMPLETED, witnessToken: $w) { status } }',
      { id, w: dispensing },
    );
    // The hand-over out of custody is recorded by pyxis once it hears of the completion (the event).
    await eventually(
      async () =>
        (
          await adminQuery(
            `SELECT count(*)::int AS n FROM pyxis."StockMovement" WHERE "requestId" = '${id}' AND kind = 'DISPENSE'`,
            ctx.system.database.url,
          )
        ).rows[0].n,
      (n) => n > 0,
    );
    await ok(
      ctx.tokens.technician,
      'mutation ($id: ID!, $w: String) { countStock(slotId: $id, counted: 12, witnessToken: $w) { counted } }',
      { id: slot.id, w: counting },
    );

    const { controlledRegister: book } = await ok(
      ctx.tokens.pharmacist,
      `{ controlledRegister(medicineId: "${MORPHINE}") {
      closingBalance days { day openingBalance closingBalance received dispensed removed }
      entries { kind delta carried localAt requestId actor { name registration } witness { name registration } request { orderId patient { identifier bed } } } } }`,
    );
    // To the unit: the book's balance is what every cabinet holds, plus what is carried in transit.
    const { rows } = await adminQuery(
      `SELECT (SELECT sum(quantity) FROM pyxis."StockItem" WHERE "medicineId" = '${MORPHINE}')::int + (SELECT coalesce(sum(quantity), 0) FROM pyxis."StockCustody" WHERE "medicineId" = '${MORPHINE}' AND "endedAt" IS NULL)::int AS total`,
      ctx.system.database.url,
    );
    expect(book.closingBalance).toBe(rows[0].total);
    const today = book.days.at(-1);
    expect(today.closingBalance).toBe(book.closingBalance);
    expect(today.closingBalance).toBe(today.openingBalance + today.received - today.dispensed - today.removed);
    const dispense = book.entries.find(
      (e: { kind: string; requestId: string }) => e.kind === 'DISPENSE' && e.requestId === id,
    );
    expect(dispense).toEqual({
      kind: 'DISPENSE',
      delta: 0,
      carried: -2,
      localAt: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}-03:00$/),
      requestId: id,
      actor: { name: 'Bruno Lima', registration: 'CRF-SP 98765' },
      witness: { name: 'Elisa Prado', registration: 'COREN-SP 654321' },
      request: { orderId: 'RX-3003', patient: { identifier: 'MRN-3003', bed: 'UTI 9' } },
    });
  });
});
