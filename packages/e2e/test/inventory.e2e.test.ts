/**
 * Inventory integrity: several lots per slot, each with its quantity
 * and expiry; dispensing first expiry first across the cabinet's slots; an
 * override that completes what the count says is not there, opening a
 * discrepancy; blind counts; discrepancies resolved by a pharmacist and a witness.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { hospitalToday } from '@asky/shared';
import { REPO_ROOT } from '@asky/launcher';
import { EventTap, listen, useTestSystem, type Listener } from '@asky/testing';
import { cabinets, eventually } from './helpers/cabinet';
import { hospitalDate } from './helpers/asking';

/** Not controlled: custody is witness.e2e's (and the last test's). */
const PARACETAMOL = '22222222-2222-4222-8222-000000000002';
const MORPHINE = '22222222-2222-4222-8222-000000000003';
const LOTS = 'lots { lot expiresAt quantity expired }';
const COUNT =
  'mutation ($id: ID!, $n: Int!, $w: String) { countStock(slotId: $id, counted: $n, witnessToken: $w) { counted slot { quantity } discrepancy { id source counted open } } }';
const RESOLVE =
  'mutation ($id: ID!, $r: String!, $w: String) { resolveDiscrepancy(id: $id, reason: $r, witnessToken: $w) { open resolution resolvedById resolvedWitnessId } }';

const ctx = useTestSystem();
const { gql, sql, cabinet, request, move, quantities } = cabinets(ctx);
const call = (token: string, query: string, variables: Record<string, unknown> = {}) =>
  ctx.system.graphql(query, variables, { token });
const codeOf = (body: { errors?: { extensions?: { code?: string } }[] }) => body.errors?.[0]?.extensions?.code;
const idOf = async (token: string) => (await gql(token, '{ me { id } }')).me.id as string;
const soon = (days: number) => new Date(Date.now() + days * 864e5).toISOString().slice(0, 10);

describe('lots', () => {
  it('keep their own quantity and expiry: a new lot never relabels the short-dated units', async () => {
    const cab = await cabinet('LOTS', PARACETAMOL, {
      A: [
        { lot: 'SHORT', expiresAt: soon(10), quantity: 7 },
        { lot: 'LONG', expiresAt: soon(400), quantity: 20 },
      ],
    });
    const slot = cab.slots.A!;
    const { dispenser } = await gql(
      ctx.tokens.nurse,
      `{ dispenser(id: "${cab.id}") { stock { quantity lot expiresAt ${LOTS} } } }`,
    );
    expect(dispenser.stock[0]).toEqual({
      quantity: 27,
      lot: 'SHORT',
      expiresAt: soon(10),
      lots: [
        { lot: 'SHORT', expiresAt: soon(10), quantity: 7, expired: false },
        { lot: 'LONG', expiresAt: soon(400), quantity: 20, expired: false },
      ],
    });
    // Every lot expiring before a date is listed, the slot once.
    const { expiringLots, expiringBefore } = await gql(
      ctx.tokens.nurse,
      `{
      expiringLots(date: "${soon(30)}", unit: "Ala LOTS") { lot quantity slot { id } }
      expiringBefore(date: "${soon(500)}", unit: "Ala LOTS") { id }
    }`,
    );
    expect(expiringLots).toEqual([{ lot: 'SHORT', quantity: 7, slot: { id: slot } }]);
    expect(expiringBefore).toEqual([{ id: slot }]);

    const restock = (variables: Record<string, unknown>) =>
      call(
        ctx.tokens.technician,
        'mutation ($id: ID!, $q: Int!, $lot: String, $exp: String) { restock(slotId: $id, quantity: $q, lot: $lot, expiresAt: $exp) { quantity } }',
        { id: slot, q: 1, ...variables },
      );
    // More of a lot it holds: its expiry must be the recorded one; without a lot, which one is ambiguous.
    expect(codeOf(await restock({ lot: 'LONG', exp: soon(200) }))).toBe('CONFLICT');
    expect((await restock({})).errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'lot' });
    expect((await restock({ lot: 'LONG', exp: soon(400) })).data?.restock.quantity).toBe(28);
    // Waste comes from the lot named.
    const wasted = await gql(
      ctx.tokens.technician,
      `mutation { wasteStock(slotId: "${slot}", quantity: 2, reason: "broken", lot: "LONG") { ${LOTS} movements(last: 1) { kind delta lot } } }`,
    );
    expect(wasted.wasteStock.lots.map((l: { quantity: number }) => l.quantity)).toEqual([7, 19]);
    expect(wasted.wasteStock.movements).toEqual([{ kind: 'WASTE', delta: -2, lot: 'LONG' }]);
    expect(
      codeOf(
        await call(
          ctx.tokens.technician,
          `mutation { wasteStock(slotId: "${slot}", quantity: 8, reason: "x", lot: "SHORT") { quantity } }`,
        ),
      ),
    ).toBe('CONFLICT');
  });

  it('are dispensed first expiry first across the slots of the cabinet, never an expired one, each movement naming its lot and request', async () => {
    const cab = await cabinet('FEFO', PARACETAMOL, {
      A: [
        { lot: 'A-LATE', expiresAt: soon(600), quantity: 5 },
        { lot: 'A-SOON', expiresAt: soon(60), quantity: 2 },
      ],
      B: [
        { lot: 'B-MID', expiresAt: soon(200), quantity: 3 },
        { lot: 'B-GONE', expiresAt: soon(30), quantity: 4 },
      ],
    });
    await sql(
      `UPDATE pyxis."StockLot" SET "expiresAt" = '${hospitalDate(-1)}' WHERE lot = 'B-GONE' AND "stockItemId" = '${cab.slots.B}'`,
    );
    const { dispenser } = await gql(
      ctx.tokens.nurse,
      `{ dispenser(id: "${cab.id}") { stock { slot quantity unexpired available expired } } }`,
    );
    expect(dispenser.stock).toEqual([
      { slot: 'A', quantity: 7, unexpired: 7, available: 7, expired: false },
      { slot: 'B', quantity: 7, unexpired: 3, available: 3, expired: true },
    ]);
    const id = await request(cab.id, PARACETAMOL, 4);
    for (const status of ['ACCEPTED', 'PREPARING', 'IN_TRANSIT', 'COMPLETED'])
      expect((await move(id, status)).errors).toBeUndefined();
    await eventually(
      async () =>
        (
          await sql(
            `SELECT count(*)::int AS n FROM pyxis."StockMovement" WHERE "requestId" = '${id}' AND kind = 'DISPENSE'`,
          )
        ).rows[0].n,
      (n) => n === 2,
    );
    expect(await quantities(cab.id)).toEqual({ A: 5, B: 5 });
    const { rows } = await sql(
      `SELECT m.kind::text, i.slot, m.lot, m.delta, m.carried, m."requestId", m."medicineId" FROM pyxis."StockMovement" m JOIN pyxis."StockItem" i ON i.id = m."stockItemId"
       WHERE i."dispenserId" = '${cab.id}' AND m.kind IN ('PICK_UP', 'DISPENSE') ORDER BY m.kind DESC, i.slot`,
    );
    // Picked up first expiry first (into custody), handed over lot by lot.
    expect(rows).toEqual([
      { kind: 'PICK_UP', slot: 'A', lot: 'A-SOON', delta: -2, carried: 2, requestId: id, medicineId: PARACETAMOL },
      { kind: 'PICK_UP', slot: 'B', lot: 'B-MID', delta: -2, carried: 2, requestId: id, medicineId: PARACETAMOL },
      { kind: 'DISPENSE', slot: 'A', lot: 'A-SOON', delta: 0, carried: -2, requestId: id, medicineId: PARACETAMOL },
      { kind: 'DISPENSE', slot: 'B', lot: 'B-MID', delta: 0, carried: -2, requestId: id, medicineId: PARACETAMOL },
    ]);
    const { rows: left } = await sql(
      `SELECT l.lot, l.quantity FROM pyxis."StockLot" l JOIN pyxis."StockItem" i ON i.id = l."stockItemId" WHERE i."dispenserId" = '${cab.id}' ORDER BY l.lot`,
    );
    expect(left).toEqual([
      { lot: 'A-LATE', quantity: 5 },
      { lot: 'B-GONE', quantity: 4 },
      { lot: 'B-MID', quantity: 1 },
    ]);
  });
});

describe('an override', () => {
  it('completes what the count says is not there, with a reason, and opens a discrepancy for what the count lacked', async () => {
    const cab = await cabinet('OVR', PARACETAMOL, { M: [{ lot: 'O1', expiresAt: soon(300), quantity: 5 }] });
    const id = await request(cab.id, PARACETAMOL, 5);
    for (const status of ['ACCEPTED', 'PREPARING']) expect((await move(id, status)).errors).toBeUndefined();
    await gql(
      ctx.tokens.technician,
      `mutation { adjustStock(slotId: "${cab.slots.M}", delta: -3, reason: "miscounted") { quantity } }`,
    );
    expect((await move(id, 'IN_TRANSIT')).errors).toBeUndefined(); // picks up the 2 the count has
    expect((await move(id, 'COMPLETED')).errors?.[0]?.extensions).toMatchObject({ code: 'CONFLICT', available: 2 });
    expect(codeOf(await move(id, 'PREPARING', { overrideReason: 'x' }))).toBe('BAD_USER_INPUT');
    expect(
      (await move(id, 'COMPLETED', { overrideReason: 'all 5 were in the pocket: count was wrong' })).errors,
    ).toBeUndefined();
    const { request: done } = await gql(
      ctx.tokens.nurse,
      `{ request(id: "${id}") { status history { toStatus overrideReason } } }`,
    );
    expect(done.history.at(-1)).toEqual({
      toStatus: 'COMPLETED',
      overrideReason: 'all 5 were in the pocket: count was wrong',
    });

    expect(
      await eventually(
        () => quantities(cab.id),
        (q) => q.M === 0,
      ),
    ).toEqual({ M: 0 });
    const list = () =>
      gql(
        ctx.tokens.pharmacist,
        `{ discrepancies(unit: "Ala OVR") { id source expected counted difference requestId open slot { id } } }`,
      );
    const { discrepancies } = await eventually(list, (d) => d.discrepancies.length > 0);
    expect(discrepancies).toEqual([
      {
        id: expect.any(String),
        source: 'DISPENSE',
        expected: 0,
        counted: 3,
        difference: 3,
        requestId: id,
        open: true,
        slot: { id: cab.slots.M },
      },
    ]);
    // The register says what the patient received, as FHIR does: the 3 the count lacked were found, then dispensed.
    const { rows } = await sql(
      `SELECT kind::text, delta, carried, reason FROM pyxis."StockMovement" WHERE "requestId" = '${id}' ORDER BY at, id`,
    );
    const completed = `request ${id} completed (override: all 5 were in the pocket: count was wrong)`;
    expect(rows).toEqual([
      { kind: 'PICK_UP', delta: -2, carried: 2, reason: `request ${id} picked up` },
      { kind: 'DISPENSE', delta: 0, carried: -2, reason: completed },
      {
        kind: 'COUNT',
        delta: 3,
        carried: 0,
        reason: `found at dispense beyond the count: request ${id} (override: all 5 were in the pocket: count was wrong)`,
      },
      { kind: 'DISPENSE', delta: -3, carried: 0, reason: completed },
    ]);
    const { request: exported } = await gql(ctx.tokens.pharmacist, `{ request(id: "${id}") { fhir } }`);
    const dispense = JSON.parse(exported.fhir)
      .entry.map((e: { resource: { resourceType: string } }) => e.resource)
      .find((r: { resourceType: string }) => r.resourceType === 'MedicationDispense');
    expect(dispense.quantity.value).toBe(
      -rows
        .filter((r: { kind: string }) => r.kind === 'DISPENSE')
        .reduce((sum: number, r: { delta: number; carried: number }) => sum + r.delta + r.carried, 0),
    );
  });
});

describe('a blind count', () => {
  it('is taken without showing what is expected; a different figure sets the slot and opens a discrepancy only a pharmacist and a witness close', async () => {
    const cab = await cabinet('COUNT', PARACETAMOL, {
      M: [
        { lot: 'C1', expiresAt: soon(40), quantity: 4 },
        { lot: 'C2', expiresAt: soon(300), quantity: 6 },
      ],
    });
    const slot = cab.slots.M!;
    const matched = await gql(ctx.tokens.technician, COUNT, { id: slot, n: 10 });
    expect(matched.countStock).toEqual({ counted: 10, slot: { quantity: 10 }, discrepancy: null });

    const short = await gql(ctx.tokens.technician, COUNT, { id: slot, n: 7 });
    expect(short.countStock).toMatchObject({
      counted: 7,
      slot: { quantity: 7 },
      discrepancy: { source: 'COUNT', counted: 7, open: true },
    });
    const discrepancyId = short.countStock.discrepancy.id as string;
    // Missing units leave first expiry first; the counter is not shown the expected figure.
    const { dispenser } = await gql(
      ctx.tokens.nurse,
      `{ dispenser(id: "${cab.id}") { stock { lots { lot quantity } movements(last: 2) { kind delta reason } } } }`,
    );
    expect(dispenser.stock[0].lots).toEqual([
      { lot: 'C1', quantity: 1 },
      { lot: 'C2', quantity: 6 },
    ]);
    expect(dispenser.stock[0].movements).toEqual([
      { kind: 'COUNT', delta: -3, reason: 'blind count: differed, discrepancy opened' },
      { kind: 'COUNT', delta: 0, reason: 'blind count: as expected' },
    ]);
    expect(codeOf(await call(ctx.tokens.technician, `{ discrepancies(unit: "Ala COUNT") { expected } }`))).toBe(
      'FORBIDDEN',
    );
    const seen = await gql(
      ctx.tokens.pharmacist,
      `{ discrepancies(unit: "Ala COUNT") { id expected counted difference } }`,
    );
    expect(seen.discrepancies).toEqual([{ id: discrepancyId, expected: 10, counted: 7, difference: -3 }]);

    // A pharmacist, with a witness other than herself, resolves it once.
    expect(codeOf(await call(ctx.tokens.technician, RESOLVE, { id: discrepancyId, r: 'x' }))).toBe('FORBIDDEN');
    expect(
      (await call(ctx.tokens.pharmacist, RESOLVE, { id: discrepancyId, r: 'three used in a code, not recorded' }))
        .errors?.[0]?.extensions,
    ).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'witnessToken' });
    const witness = await ctx.system.witness(ctx.tokens.pharmacist, discrepancyId, 'nurse');
    const resolved = await gql(ctx.tokens.pharmacist, RESOLVE, {
      id: discrepancyId,
      r: 'three used in a code, not recorded',
      w: witness,
    });
    expect(resolved.resolveDiscrepancy).toEqual({
      open: false,
      resolution: 'three used in a code, not recorded',
      resolvedById: await idOf(ctx.tokens.pharmacist),
      resolvedWitnessId: await idOf(ctx.tokens.nurse),
    });
    // Its outcome is in the register: a line of 0 units with the finding, who and the witness.
    const { rows: register } = await sql(
      `SELECT kind::text, delta, reason, "witnessId" FROM pyxis."StockMovement" WHERE "stockItemId" = '${slot}' AND kind = 'RESOLVE'`,
    );
    expect(register).toEqual([
      {
        kind: 'RESOLVE',
        delta: 0,
        reason: `discrepancy ${discrepancyId} resolved (-3): three used in a code, not recorded`,
        witnessId: await idOf(ctx.tokens.nurse),
      },
    ]);
    const again = await ctx.system.witness(ctx.tokens.pharmacist, discrepancyId, 'nurse');
    expect(codeOf(await call(ctx.tokens.pharmacist, RESOLVE, { id: discrepancyId, r: 'again', w: again }))).toBe(
      'CONFLICT',
    );
    expect((await gql(ctx.tokens.pharmacist, `{ discrepancies(unit: "Ala COUNT") { id } }`)).discrepancies).toEqual([]);
    expect(
      (await gql(ctx.tokens.pharmacist, `{ discrepancies(unit: "Ala COUNT", open: false) { id } }`)).discrepancies,
    ).toEqual([{ id: discrepancyId }]);

    // Found units go in a lot marked unknown.
    const found = await gql(
      ctx.tokens.technician,
      `mutation { countStock(slotId: "${slot}", counted: 9) { slot { ${LOTS} } } }`,
    );
    expect(
      found.countStock.slot.lots.map((l: { lot: string | null; quantity: number }) => [l.lot, l.quantity]),
    ).toEqual([
      ['C1', 1],
      ['C2', 6],
      [null, 2],
    ]);
    expect(codeOf(await call(ctx.tokens.nurse, COUNT, { id: slot, n: 1 }))).toBe('FORBIDDEN');
    expect(codeOf(await call(ctx.tokens.technician, COUNT, { id: slot, n: -1 }))).toBe('BAD_USER_INPUT');
  });

  it('of a controlled medicine needs a witness, recorded with the discrepancy', async () => {
    const witnessFor = (subject: string) => ctx.system.witness(ctx.tokens.technician, subject, 'nurse');
    const cab = await cabinet(
      'CCOUNT',
      MORPHINE,
      { M: [{ lot: 'K1', expiresAt: soon(300), quantity: 5 }] },
      witnessFor,
    );
    const slot = cab.slots.M!;
    expect((await call(ctx.tokens.technician, COUNT, { id: slot, n: 4 })).errors?.[0]?.extensions).toMatchObject({
      code: 'BAD_USER_INPUT',
      argument: 'witnessToken',
    });
    expect((await quantities(cab.id)).M).toBe(5);
    const counted = await gql(ctx.tokens.technician, COUNT, { id: slot, n: 4, w: await witnessFor(slot) });
    const { rows } = await sql(
      `SELECT "openedWitnessId", expected, counted FROM pyxis."StockDiscrepancy" WHERE id = '${counted.countStock.discrepancy.id}'`,
    );
    expect(rows).toEqual([{ openedWitnessId: await idOf(ctx.tokens.nurse), expected: 5, counted: 4 }]);
  });
});

describe('a blind count of a controlled medicine', () => {
  it('never shows the technician what the slot should hold: not before, not after, not live; the pharmacy sees every figure', async () => {
    const witnessFor = (subject: string) => ctx.system.witness(ctx.tokens.technician, subject, 'charge');
    const cab = await cabinet(
      'BLIND',
      MORPHINE,
      { M: [{ lot: 'B1', expiresAt: soon(300), quantity: 42 }] },
      witnessFor,
    );
    const slot = cab.slots.M!;
    const FIGURES = `{ dispenser(id: "${cab.id}") { stock { quantity unexpired reserved available lots { quantity } movements(last: 5) { kind delta quantityAfter reason } } } }`;
    const before = (await gql(ctx.tokens.technician, FIGURES)).dispenser.stock[0];
    expect(before).toEqual({
      quantity: null,
      unexpired: null,
      reserved: null,
      available: null,
      lots: [{ quantity: null }],
      movements: [{ kind: 'ASSIGN', delta: null, quantityAfter: null, reason: null }],
    });
    const { medicine } = await gql(
      ctx.tokens.technician,
      `{ medicine(id: "${MORPHINE}") { locations { dispenser { id } quantity available } } }`,
    );
    expect(medicine.locations.filter((l: { dispenser: { id: string } }) => l.dispenser.id === cab.id)).toEqual([
      { dispenser: { id: cab.id }, quantity: null, available: null },
    ]);

    const subscribed = ctx.system.subscriptionsStarted(2);
    const STOCK = `subscription { stockChanged(dispenserId: "${cab.id}") { movementKind delta quantityAfter reason } }`;
    const technicianLive = listen(ctx.system, ctx.tokens.technician, STOCK);
    const pharmacistLive = listen(ctx.system, ctx.tokens.pharmacist, STOCK);
    try {
      await subscribed;
      await gql(ctx.tokens.technician, COUNT, { id: slot, n: 41, w: await witnessFor(slot) });
      // The count's movement, beside the discrepancy it opened.
      // (The assignment's own event may still arrive first: the relay publishes after the commit.)
      const countOf = async (live: Listener) => {
        for (let i = 0; i < 4; i++) {
          const change = (await live.next()).data.stockChanged;
          if (change.movementKind === 'COUNT') return change;
        }
        return undefined;
      };
      expect(await countOf(technicianLive)).toEqual({
        movementKind: 'COUNT',
        delta: null,
        quantityAfter: null,
        reason: 'blind count: differed, discrepancy opened',
      });
      expect(await countOf(pharmacistLive)).toEqual({
        movementKind: 'COUNT',
        delta: -1,
        quantityAfter: 41,
        reason: 'blind count: differed, discrepancy opened',
      });
    } finally {
      technicianLive.dispose();
      pharmacistLive.dispose();
    }
    const after = (await gql(ctx.tokens.technician, FIGURES)).dispenser.stock[0];
    expect(after.movements[0]).toEqual({
      kind: 'COUNT',
      delta: null,
      quantityAfter: null,
      reason: 'blind count: differed, discrepancy opened',
    });
    expect(JSON.stringify(after)).not.toMatch(/42/);
    const pharmacy = (await gql(ctx.tokens.pharmacist, FIGURES)).dispenser.stock[0];
    expect(pharmacy).toMatchObject({
      quantity: 41,
      lots: [{ quantity: 41 }],
      movements: [
        { kind: 'COUNT', delta: -1, quantityAfter: 41 },
        { kind: 'ASSIGN', delta: 42, quantityAfter: 42 },
      ],
    });
  });
});

describe("a medicine's register", () => {
  const REGISTER = `query ($id: ID!, $from: String, $to: String) { controlledRegister(medicineId: $id, from: $from, to: $to) {
    from to openingBalance closingBalance csv entries { kind delta balance lot slot dispenser { id } actorId requestId reason } } }`;

  it('lists every movement of the medicine in every cabinet with the running balance, also as CSV', async () => {
    const strength = `${Math.floor(Math.random() * 1e6) + 1} mg`;
    const { createMedicine } = await gql(
      ctx.tokens.pharmacist,
      'mutation ($input: MedicineInput!) { createMedicine(input: $input) { id } }',
      {
        input: {
          name: 'Registrado',
          activeIngredient: 'registerol',
          strength,
          dosageForm: 'tablet',
          unit: 'tablet',
          controlled: false,
        },
      },
    );
    const medicine = createMedicine.id as string;
    const one = await cabinet('REG1', medicine, { A: [{ lot: 'R1', expiresAt: soon(100), quantity: 5 }] });
    const two = await cabinet('REG2', medicine, { B: [{ lot: 'R2', expiresAt: soon(200), quantity: 3 }] });
    const id = await request(one.id, medicine, 2);
    for (const status of ['ACCEPTED', 'PREPARING', 'IN_TRANSIT', 'COMPLETED'])
      expect((await move(id, status)).errors).toBeUndefined();
    await eventually(
      async () =>
        (
          await sql(
            `SELECT count(*)::int AS n FROM pyxis."StockMovement" WHERE "requestId" = '${id}' AND kind = 'DISPENSE'`,
          )
        ).rows[0].n,
      (n) => n === 1,
    );
    await gql(
      ctx.tokens.technician,
      `mutation { wasteStock(slotId: "${two.slots.B}", quantity: 1, reason: "=HYPERLINK(\\"http://x\\")") { quantity } }`,
    );

    const { controlledRegister: register } = await gql(ctx.tokens.pharmacist, REGISTER, { id: medicine });
    const technician = await idOf(ctx.tokens.technician);
    const today = hospitalToday().toISOString().slice(0, 10);
    const monthAgo = new Date(Date.parse(today) - 30 * 864e5).toISOString().slice(0, 10);
    expect(register).toMatchObject({ from: monthAgo, to: today, openingBalance: 0, closingBalance: 5 });
    expect(register.entries).toEqual([
      {
        kind: 'ASSIGN',
        delta: 5,
        balance: 5,
        lot: 'R1',
        slot: 'A',
        dispenser: { id: one.id },
        actorId: technician,
        requestId: null,
        reason: null,
      },
      {
        kind: 'ASSIGN',
        delta: 3,
        balance: 8,
        lot: 'R2',
        slot: 'B',
        dispenser: { id: two.id },
        actorId: technician,
        requestId: null,
        reason: null,
      },
      // Picked up (out of the cabinet, still the hospital's: the balance holds), then handed over.
      {
        kind: 'PICK_UP',
        delta: -2,
        balance: 8,
        lot: 'R1',
        slot: 'A',
        dispenser: { id: one.id },
        actorId: await idOf(ctx.tokens.pharmacist),
        requestId: id,
        reason: `request ${id} picked up`,
      },
      {
        kind: 'DISPENSE',
        delta: 0,
        balance: 6,
        lot: 'R1',
        slot: 'A',
        dispenser: { id: one.id },
        actorId: await idOf(ctx.tokens.pharmacist),
        requestId: id,
        reason: `request ${id} completed`,
      },
      {
        kind: 'WASTE',
        delta: -1,
        balance: 5,
        lot: 'R2',
        slot: 'B',
        dispenser: { id: two.id },
        actorId: technician,
        requestId: null,
        reason: '=HYPERLINK("http://x")',
      },
    ]);
    const lines = register.csv.trimEnd().split('\r\n');
    expect(lines[0]).toBe(
      'at,kind,dispenser,slot,lot,delta,balance,actorId,witnessId,requestId,reason,doseAmount,doseUnit,carried',
    ); // columns are only ever added at the end
    expect(lines).toHaveLength(6);
    expect(lines[4]).toMatch(
      new RegExp(
        `,DISPENSE,REG1-\\d+,A,R1,0,6,${await idOf(ctx.tokens.pharmacist)},,${id},request ${id} completed,,,-2$`,
      ),
    );
    // A spreadsheet opening it runs no formula.
    expect(lines[5]).toMatch(/,"'=HYPERLINK\(""http:\/\/x""\)",,,0$/);

    // A window after these movements opens with their balance.
    const later = await gql(ctx.tokens.pharmacist, REGISTER, { id: medicine, from: soon(1), to: soon(2) });
    expect(later.controlledRegister).toMatchObject({ openingBalance: 5, closingBalance: 5, entries: [] });
  });

  it('balances with what the cabinets hold, is for pharmacists and admins, and refuses a bad window', async () => {
    const { controlledRegister } = await gql(ctx.tokens.admin, REGISTER, {
      id: MORPHINE,
      from: soon(-365),
      to: soon(0),
    });
    const { rows } = await sql(
      `SELECT sum(quantity)::int AS total FROM pyxis."StockItem" WHERE "medicineId" = '${MORPHINE}'`,
    );
    expect(controlledRegister.closingBalance).toBe(rows[0].total);
    for (const token of [ctx.tokens.nurse, ctx.tokens.technician])
      expect(codeOf(await call(token, REGISTER, { id: MORPHINE }))).toBe('FORBIDDEN');
    expect(codeOf(await call(ctx.tokens.pharmacist, REGISTER, { id: MORPHINE, from: soon(-400) }))).toBe(
      'BAD_USER_INPUT',
    );
    expect(codeOf(await call(ctx.tokens.pharmacist, REGISTER, { id: MORPHINE, from: soon(2), to: soon(1) }))).toBe(
      'BAD_USER_INPUT',
    );
    expect(codeOf(await call(ctx.tokens.pharmacist, REGISTER, { id: MORPHINE, to: '2026-02-30' }))).toBe(
      'BAD_USER_INPUT',
    );
    expect(codeOf(await call(ctx.tokens.pharmacist, REGISTER, { id: '00000000-0000-4000-8000-000000000000' }))).toBe(
      'NOT_FOUND',
    );
  });
});

describe('stock events', () => {
  let tap: EventTap;
  beforeAll(async () => {
    tap = await EventTap.open(ctx.system.topology.exchange, 'stock.#');
  });
  afterAll(() => tap?.close());

  it('announce every movement and discrepancy on asky.events, as asyncapi.json describes them', async () => {
    const cab = await cabinet('EVT', PARACETAMOL, { M: [{ lot: 'E1', expiresAt: soon(90), quantity: 6 }] });
    const slot = cab.slots.M!;
    const { countStock } = await gql(ctx.tokens.technician, COUNT, { id: slot, n: 4 });
    const discrepancyId = countStock.discrepancy.id as string;
    await gql(ctx.tokens.pharmacist, RESOLVE, {
      id: discrepancyId,
      r: 'two wasted, not recorded',
      w: await ctx.system.witness(ctx.tokens.pharmacist, discrepancyId),
    });
    const mine = (bodies: any[]) => bodies.filter((b) => b.slotId === slot);
    const events = mine(await tap.until((bodies) => mine(bodies).length >= 5));
    // The resolution and its register line are one transaction's: their order between them is not set.
    expect(events.map((e) => [e.type, e.kind ?? e.source]).slice(0, 3)).toEqual([
      ['stock.movement', 'ASSIGN'],
      ['stock.discrepancy_opened', 'COUNT'],
      ['stock.movement', 'COUNT'],
    ]);
    expect(
      events
        .slice(3)
        .map((e) => [e.type, e.kind ?? e.source])
        .sort(),
    ).toEqual([
      ['stock.discrepancy_resolved', 'COUNT'],
      ['stock.movement', 'RESOLVE'],
    ]);
    expect(events[2]).toMatchObject({
      dispenserId: cab.id,
      unit: 'Ala EVT',
      slot: 'M',
      medicineId: PARACETAMOL,
      lot: 'E1',
      delta: -2,
      quantityAfter: 4,
      actorId: await idOf(ctx.tokens.technician),
    });
    expect(events.find((e) => e.type === 'stock.discrepancy_resolved')).toMatchObject({
      discrepancyId,
      expected: 6,
      counted: 4,
      actorId: await idOf(ctx.tokens.pharmacist),
      witnessId: await idOf(ctx.tokens.nurse),
      resolution: 'two wasted, not recorded',
    });
    const message = tap.messages.find((m) => JSON.parse(m.content.toString()).eventId === events[0].eventId)!;
    expect(message.fields.routingKey).toBe('stock.movement');
    expect(message.properties).toMatchObject({
      messageId: events[0].eventId,
      contentType: 'application/json',
      deliveryMode: 2,
    });
    const schemas = JSON.parse(readFileSync(path.join(REPO_ROOT, 'asyncapi.json'), 'utf8')).components.schemas;
    for (const event of events) {
      const schema = event.type === 'stock.movement' ? schemas.StockMovementEvent : schemas.StockDiscrepancyEvent;
      expect(Object.keys(event).sort()).toEqual([...schema.required].sort());
      expect(Object.keys(schema.properties).sort()).toEqual([...schema.required].sort());
      expect(schema.properties.type.enum).toContain(event.type);
    }
    const { rows } = await sql(
      `SELECT count(*)::int AS unsent FROM pyxis."OutboxEvent" WHERE "sentAt" IS NULL AND payload->>'slotId' = '${slot}'`,
    );
    expect(rows[0].unsent).toBe(0);
  });
});

describe('live stock changes', () => {
  const STOCK_CHANGED = `subscription ($unit: String, $dispenserId: ID) { stockChanged(unit: $unit, dispenserId: $dispenserId) {
    type slotId unit movementKind lot delta quantityAfter actorId reason discrepancyId } }`;

  /**
   * Subscribed for sure: a no-change count of `slot` is repeated until the
   * listener hears one, then everything before it was sent (the slot's earlier
   * events may come first: the outbox is relayed after the commit).
   */
  async function primed(listener: Listener, slot: string) {
    const counts = () => listener.events.filter((e) => e.data?.stockChanged.movementKind === 'COUNT').length;
    let sent = 0;
    await eventually(
      async () => {
        await gql(ctx.tokens.technician, `mutation { countStock(slotId: "${slot}", counted: 0) { counted } }`);
        sent++;
        return counts();
      },
      (n) => n > 0,
      15_000,
    );
    await eventually(
      async () => counts(),
      (n) => n >= sent,
    );
    listener.events.length = 0;
  }

  it('reach the subscribers of the unit or dispenser, through the gateway', async () => {
    const ward = await cabinet('LIVE', PARACETAMOL, { M: [] });
    const other = await cabinet('LIVEX', PARACETAMOL, { M: [] });
    const onWard = listen(ctx.system, ctx.tokens.nurse, STOCK_CHANGED, { unit: 'ala live' });
    const onOther = listen(ctx.system, ctx.tokens.pharmacist, STOCK_CHANGED, { dispenserId: other.id });
    try {
      await primed(onWard, ward.slots.M!);
      await primed(onOther, other.slots.M!);
      await gql(
        ctx.tokens.technician,
        `mutation { restock(slotId: "${ward.slots.M}", quantity: 4, lot: "LV1", expiresAt: "${soon(99)}") { id } }`,
      );
      await gql(ctx.tokens.technician, COUNT, { id: ward.slots.M, n: 3 });
      const changes = [await onWard.next(), await onWard.next(), await onWard.next()].map((e) => e.data.stockChanged);
      expect(changes).toEqual([
        {
          type: 'MOVEMENT',
          slotId: ward.slots.M,
          unit: 'Ala LIVE',
          movementKind: 'RESTOCK',
          lot: 'LV1',
          delta: 4,
          quantityAfter: 4,
          actorId: await idOf(ctx.tokens.technician),
          reason: null,
          discrepancyId: null,
        },
        {
          type: 'DISCREPANCY_OPENED',
          slotId: ward.slots.M,
          unit: 'Ala LIVE',
          movementKind: null,
          lot: null,
          delta: null,
          quantityAfter: null,
          actorId: await idOf(ctx.tokens.technician),
          reason: null,
          discrepancyId: expect.any(String),
        },
        expect.objectContaining({ type: 'MOVEMENT', movementKind: 'COUNT', delta: -1, quantityAfter: 3 }),
      ]);
      expect(onOther.events).toEqual([]);
    } finally {
      onWard.dispose();
      onOther.dispose();
    }
    // Subscribing needs a person.
    const stranger = listen(ctx.system, undefined, STOCK_CHANGED, {});
    expect(await stranger.closed).toBe(4403);
  });
});

describe('units', () => {
  const MEDICINE = 'mutation ($input: MedicineInput!) { createMedicine(input: $input) { id unit content } }';
  const medicineInput = (fields: Record<string, unknown>) => ({
    input: {
      name: 'Unidade',
      activeIngredient: 'unitol',
      strength: `${Math.floor(Math.random() * 1e6) + 1} mg/mL`,
      dosageForm: 'injectable solution',
      controlled: false,
      ...fields,
    },
  });

  it('come from one closed set: package units and UCUM codes, with what one package holds', async () => {
    const { dispensingUnits } = await gql(ctx.tokens.nurse, '{ dispensingUnits { code name kind } }');
    expect(dispensingUnits).toEqual(
      expect.arrayContaining([
        { code: 'ampoule', name: 'Ampola', kind: 'PACKAGE' },
        { code: 'mL', name: 'Mililitro', kind: 'MEASURE' },
      ]),
    );
    const made = await gql(ctx.tokens.pharmacist, MEDICINE, medicineInput({ unit: 'AMPOULE', content: '2 ml' }));
    expect(made.createMedicine).toMatchObject({ unit: 'ampoule', content: '2 mL' });
    const { medicine } = await gql(
      ctx.tokens.nurse,
      '{ medicine(id: "22222222-2222-4222-8222-000000000004") { unit content strength } }',
    );
    expect(medicine).toEqual({ unit: 'ampoule', content: '2 mL', strength: '50 mcg/mL' });
    for (const [fields, argument] of [
      [{ unit: 'ampola' }, 'unit'],
      [{ unit: 'ampoule', content: '2 ampoules' }, 'content'],
      [{ unit: 'ampoule', content: '-1 mL' }, 'content'],
      [{ unit: 'mL', content: '2 mL' }, 'content'],
    ] as const) {
      expect(
        (await call(ctx.tokens.pharmacist, MEDICINE, medicineInput(fields))).errors?.[0]?.extensions,
      ).toMatchObject({ code: 'BAD_USER_INPUT', argument });
    }
    const material = await call(
      ctx.tokens.technician,
      'mutation { createMaterial(input: { name: "Compressa", category: "dressings", unit: "pieces" }) { id } }',
    );
    expect(material.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'unit' });
  });

  it('and contents do not change under stock counted in them', async () => {
    const made = await gql(ctx.tokens.pharmacist, MEDICINE, medicineInput({ unit: 'ampoule', content: '2 mL' }));
    const id = made.createMedicine.id as string;
    await cabinet('UNIT', id, { A: [{ lot: 'U1', expiresAt: soon(100), quantity: 12 }] });
    const update = (content: string) =>
      call(
        ctx.tokens.pharmacist,
        'mutation ($id: ID!, $input: MedicineInput!) { updateMedicine(id: $id, input: $input) { content } }',
        { id, ...medicineInput({ unit: 'ampoule', content }) },
      );
    expect(codeOf(await update('5 mL'))).toBe('CONFLICT');
    expect((await gql(ctx.tokens.nurse, `{ medicine(id: "${id}") { content } }`)).medicine.content).toBe('2 mL');
  });
});

it('has mock data with slots of several lots and a short-dated lot', async () => {
  const { rows } = await sql(`SELECT
    (SELECT count(*)::int FROM (SELECT 1 FROM pyxis."StockLot" GROUP BY "stockItemId" HAVING count(*) > 1) several) AS several,
    (SELECT count(*)::int FROM pyxis."StockLot" WHERE "expiresAt" < current_date + 30) AS short,
    (SELECT count(*)::int FROM pyxis."StockItem" i WHERE quantity <> (SELECT coalesce(sum(quantity), 0) FROM pyxis."StockLot" l WHERE l."stockItemId" = i.id)) AS unbalanced`);
  expect(rows[0].several).toBeGreaterThan(0);
  expect(rows[0].short).toBeGreaterThan(0);
  expect(rows[0].unbalanced).toBe(0);
});
