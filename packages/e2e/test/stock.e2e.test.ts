/**
 * The pyxis subgraph as a pharmacy uses it: managing the catalogue and the
 * dispensers, stock changes with their log, and finding what to restock.
 */
import { adminQuery, startTestSystem, type GraphQLBody, type TestSystem } from '@asky/testing';

const UTI_A = '44444444-4444-4444-8444-000000000001';
/** Not controlled: these tests are not about custody (witness.e2e is). */
const DIPYRONE = '22222222-2222-4222-8222-000000000001';
const MORPHINE = '22222222-2222-4222-8222-000000000003';
const SLOT = 'id slot quantity parLevel belowPar lot expiresAt';

let system: TestSystem;
let technician: string;
let pharmacist: string;
let nurse: string;
beforeAll(async () => {
  system = await startTestSystem();
  ({ technician, pharmacist, nurse } = await system.loginAll());
});
afterAll(() => system?.stop());

const codeOf = (body: GraphQLBody<unknown>) => body.errors?.[0]?.extensions?.code;
const gql = (token: string, query: string, variables: Record<string, unknown> = {}) =>
  system.graphql(query, variables, { token });
let codes = 0;
const freshCode = () => `T${Date.now() % 100000}-${++codes}`;

async function newDispenser(unit = 'Ala Teste') {
  const body = await gql(
    technician,
    'mutation ($input: DispenserInput!) { createDispenser(input: $input) { id code location status retired } }',
    {
      input: { code: freshCode(), name: 'Teste', unit, floor: '9º andar', room: 'Sala 901' },
    },
  );
  expect(body.errors).toBeUndefined();
  return body.data.createDispenser as { id: string; code: string };
}

async function newSlot(quantity: number, dispenserId?: string) {
  const dispenser = dispenserId ?? (await newDispenser()).id;
  const body = await gql(technician, `mutation ($input: AssignSlotInput!) { assignSlot(input: $input) { ${SLOT} } }`, {
    input: {
      dispenserId: dispenser,
      slot: 'M01',
      medicineId: DIPYRONE,
      parLevel: 10,
      quantity,
      lot: 'L1',
      expiresAt: '2030-01-31',
    },
  });
  expect(body.errors).toBeUndefined();
  return body.data.assignSlot as { id: string; quantity: number };
}

const adjust = (slotId: string, delta: number) =>
  gql(
    technician,
    `mutation ($id: ID!, $d: Int!) { adjustStock(slotId: $id, delta: $d, reason: "count") { quantity } }`,
    { id: slotId, d: delta },
  );

describe('the catalogue', () => {
  const createMedicine = (token: string, input: Record<string, unknown>) =>
    gql(token, 'mutation ($input: MedicineInput!) { createMedicine(input: $input) { id name strength atcCode } }', {
      input: {
        name: 'Cetoprofeno',
        activeIngredient: 'ketoprofen',
        strength: '100 mg',
        dosageForm: 'powder for injection',
        unit: 'vial',
        controlled: false,
        ...input,
      },
    });

  it('is managed by PHARMACIST (medicines) and refused to a nurse', async () => {
    const created = await createMedicine(pharmacist, { atcCode: 'm01ae03', barcode: `789${Date.now()}` });
    expect(created.data.createMedicine).toMatchObject({ name: 'Cetoprofeno', strength: '100 mg', atcCode: 'M01AE03' });
    expect(codeOf(await createMedicine(nurse, {}))).toBe('FORBIDDEN');
    expect(codeOf(await createMedicine(technician, {}))).toBe('FORBIDDEN');
  });

  it('has materials and assistance types managed by TECHNICIAN, not PHARMACIST', async () => {
    const input = { name: 'Atadura de crepe 10 cm', category: 'dressings', unit: 'roll' };
    const created = await gql(
      technician,
      'mutation ($input: MaterialInput!) { createMaterial(input: $input) { id name } }',
      { input },
    );
    expect(created.data.createMaterial.name).toBe('Atadura de crepe 10 cm');
    const renamed = await gql(
      technician,
      'mutation ($id: ID!, $input: MaterialInput!) { updateMaterial(id: $id, input: $input) { name } }',
      {
        id: created.data.createMaterial.id,
        input: { ...input, name: 'Atadura de crepe 12 cm' },
      },
    );
    expect(renamed.data.updateMaterial.name).toBe('Atadura de crepe 12 cm');
    expect(
      codeOf(
        await gql(pharmacist, 'mutation ($input: MaterialInput!) { createMaterial(input: $input) { id } }', { input }),
      ),
    ).toBe('FORBIDDEN');
    const type = await gql(
      technician,
      'mutation { createAssistanceType(input: { code: "low_light", name: "Screen too dark" }) { code } }',
    );
    expect(type.data.createAssistanceType.code).toBe('LOW_LIGHT');
  });

  it.each([
    ['an empty name', { name: '  ' }],
    ['a negative strength', { strength: '-5 mg' }],
    ['a strength without an amount', { strength: 'mg' }],
    ['a malformed ATC code', { atcCode: 'XYZ' }],
  ])('refuses %s with BAD_USER_INPUT', async (_, input) => {
    expect(codeOf(await createMedicine(pharmacist, input))).toBe('BAD_USER_INPUT');
  });

  it('refuses a duplicate barcode, dispenser code or assistance type code with CONFLICT', async () => {
    const barcode = `123${Date.now()}`;
    expect((await createMedicine(pharmacist, { barcode, strength: '101 mg' })).errors).toBeUndefined();
    expect(codeOf(await createMedicine(pharmacist, { barcode, strength: '102 mg' }))).toBe('CONFLICT');
    const dispenser = await newDispenser();
    const again = await gql(
      technician,
      'mutation ($input: DispenserInput!) { createDispenser(input: $input) { id } }',
      {
        input: { code: dispenser.code.toLowerCase(), name: 'x', unit: 'x', floor: 'x', room: 'x' },
      },
    );
    expect(codeOf(again)).toBe('CONFLICT');
    const type = await gql(
      technician,
      'mutation { createAssistanceType(input: { code: "STUCK_DRAWER", name: "Again" }) { id } }',
    );
    expect(codeOf(type)).toBe('CONFLICT');
  });
});

describe('dispensers', () => {
  it('list only the help they offer, as set by a technician', async () => {
    const { data } = await gql(nurse, `{ dispenser(id: "${UTI_A}") { assistanceTypes { code } } }`);
    expect(data.dispenser.assistanceTypes.map((t: { code: string }) => t.code)).toContain('QUESTION');
    const maintenanceOnly = await gql(
      technician,
      `mutation { setDispenserAssistance(dispenserId: "${UTI_A}", assistanceTypeIds: ["55555555-5555-4555-8555-000000000001"]) { assistanceTypes { code } } }`,
    );
    expect(maintenanceOnly.data.setDispenserAssistance.assistanceTypes).toEqual([{ code: 'MAINTENANCE' }]);
    const unknown = await gql(
      technician,
      `mutation { setDispenserAssistance(dispenserId: "${UTI_A}", assistanceTypeIds: ["00000000-0000-4000-8000-000000000000"]) { id } }`,
    );
    expect(codeOf(unknown)).toBe('BAD_USER_INPUT');
  });

  it('retire only when empty, and then leave the list', async () => {
    const dispenser = await newDispenser();
    const slot = await newSlot(3, dispenser.id);
    const retire = () => gql(technician, `mutation { retireDispenser(id: "${dispenser.id}") { retired status } }`);
    expect(codeOf(await retire())).toBe('CONFLICT');
    await adjust(slot.id, -3);
    expect((await retire()).data.retireDispenser).toEqual({ retired: true, status: 'OFFLINE' });
    const { data } = await gql(nurse, '{ dispensers { id } all: dispensers(includeRetired: true) { id } }');
    expect(data.dispensers.map((d: { id: string }) => d.id)).not.toContain(dispenser.id);
    expect(data.all.map((d: { id: string }) => d.id)).toContain(dispenser.id);
  });

  it('are updated by TECHNICIAN only', async () => {
    const dispenser = await newDispenser();
    const moved = await gql(
      technician,
      `mutation { updateDispenser(id: "${dispenser.id}", input: { room: "Sala 902", status: MAINTENANCE }) { location status } }`,
    );
    expect(moved.data.updateDispenser).toEqual({ location: 'Ala Teste · 9º andar · Sala 902', status: 'MAINTENANCE' });
    expect(
      codeOf(await gql(pharmacist, `mutation { updateDispenser(id: "${dispenser.id}", input: { room: "x" }) { id } }`)),
    ).toBe('FORBIDDEN');
  });
});

describe('stock changes', () => {
  it('are logged: who, when, how much, why', async () => {
    const slot = await newSlot(2);
    await gql(
      technician,
      `mutation { restock(slotId: "${slot.id}", quantity: 8, lot: "L2", expiresAt: "2031-06-30") { quantity } }`,
    );
    await adjust(slot.id, -1);
    const { data } = await gql(
      nurse,
      `{ dispenser(id: "${await slotDispenser(slot.id)}") { stock { quantity lot expiresAt lots { lot expiresAt quantity } movements { kind delta quantityAfter reason lot actorId at } } } }`,
    );
    const [held] = data.dispenser.stock;
    // The new lot beside the first; the correction took from the first to expire, which is dispensed next.
    expect(held).toMatchObject({ quantity: 9, lot: 'L1', expiresAt: '2030-01-31' });
    expect(held.lots).toEqual([
      { lot: 'L1', expiresAt: '2030-01-31', quantity: 1 },
      { lot: 'L2', expiresAt: '2031-06-30', quantity: 8 },
    ]);
    expect(
      held.movements.map((m: { kind: string; delta: number; quantityAfter: number }) => [
        m.kind,
        m.delta,
        m.quantityAfter,
      ]),
    ).toEqual([
      ['ADJUST', -1, 9],
      ['RESTOCK', 8, 10],
      ['ASSIGN', 2, 2],
    ]);
    expect(held.movements[0]).toMatchObject({ reason: 'count', actorId: '11111111-1111-4111-8111-000000000003' });
  });

  it('never go below zero (CONFLICT) and never lose an update under parallel changes', async () => {
    const slot = await newSlot(10);
    const results = await Promise.all(Array.from({ length: 16 }, () => adjust(slot.id, -1)));
    expect(results.filter((r) => !r.errors)).toHaveLength(10);
    expect(results.filter((r) => codeOf(r) === 'CONFLICT')).toHaveLength(6);
    await Promise.all(
      Array.from({ length: 12 }, () =>
        gql(
          technician,
          `mutation { restock(slotId: "${slot.id}", quantity: 1, lot: "L1", expiresAt: "2030-01-31") { quantity } }`,
        ),
      ),
    );
    const { rows } = await adminQuery(
      `SELECT s.quantity, count(m.*) AS movements, sum(m.delta) AS total FROM pyxis."StockItem" s JOIN pyxis."StockMovement" m ON m."stockItemId" = s.id WHERE s.id = '${slot.id}' GROUP BY s.quantity`,
      system.database.url,
    );
    expect(rows[0]).toEqual({ quantity: 12, movements: '23', total: '12' });
  });

  it('refuse bad input and people who do not manage stock', async () => {
    const slot = await newSlot(1);
    expect(codeOf(await adjust(slot.id, 0))).toBe('BAD_USER_INPUT');
    expect(codeOf(await gql(technician, `mutation { restock(slotId: "${slot.id}", quantity: -3) { quantity } }`))).toBe(
      'BAD_USER_INPUT',
    );
    expect(
      codeOf(
        await gql(
          technician,
          `mutation { restock(slotId: "${slot.id}", quantity: 1, lot: "L9", expiresAt: "2031-02-30") { quantity } }`,
        ),
      ),
    ).toBe('BAD_USER_INPUT');
    expect(
      codeOf(await gql(nurse, `mutation { adjustStock(slotId: "${slot.id}", delta: 5, reason: "x") { quantity } }`)),
    ).toBe('FORBIDDEN');
    expect(
      codeOf(
        await gql(
          technician,
          `mutation { adjustStock(slotId: "00000000-0000-4000-8000-000000000000", delta: 5, reason: "x") { quantity } }`,
        ),
      ),
    ).toBe('NOT_FOUND');
  });
});

describe('finding stock', () => {
  it('lists slots below par and lots expiring soon, per unit', async () => {
    const { data } = await gql(
      nurse,
      `{
      low: lowStock(unit: "uti adulto") { quantity parLevel belowPar dispenser { unit } }
      soon: expiringBefore(date: "${new Date(Date.now() + 30 * 864e5).toISOString().slice(0, 10)}") { expiresAt quantity }
    }`,
    );
    expect(data.low.length).toBeGreaterThan(0);
    for (const slot of data.low) expect(slot).toMatchObject({ belowPar: true, dispenser: { unit: 'UTI Adulto' } });
    expect(data.low.every((s: { quantity: number; parLevel: number }) => s.quantity < s.parLevel)).toBe(true);
    expect(data.soon.length).toBeGreaterThan(0);
    const dates = data.soon.map((s: { expiresAt: string }) => s.expiresAt);
    expect([...dates].sort()).toEqual(dates);
  });

  it('ranks what to restock as a pharmacy does: empty slots, then controlled medicines, then by the fraction of par left', async () => {
    const sql = (text: string) => adminQuery(text, system.database.url);
    // A controlled medicine's slot emptied, and a material slot 40 short of 100 (60 % left).
    const empty = (
      await sql(
        `SELECT s.id FROM pyxis."StockItem" s JOIN pyxis."Medicine" m ON m.id = s."medicineId" WHERE m.controlled LIMIT 1`,
      )
    ).rows[0].id;
    const swabs = (await sql(`SELECT id FROM pyxis."StockItem" WHERE "materialId" IS NOT NULL LIMIT 1`)).rows[0].id;
    await sql(`UPDATE pyxis."StockItem" SET quantity = 0 WHERE id = '${empty}'`);
    await sql(`UPDATE pyxis."StockItem" SET "parLevel" = 100, quantity = 60 WHERE id = '${swabs}'`);
    const { data } = await gql(nurse, '{ lowStock { id quantity parLevel medicine { controlled } } }');
    const low = data.lowStock as {
      id: string;
      quantity: number;
      parLevel: number;
      medicine: { controlled: boolean } | null;
    }[];
    const at = (id: string) => low.findIndex((s) => s.id === id);
    expect(at(empty)).toBeGreaterThanOrEqual(0);
    expect(at(empty)).toBeLessThan(at(swabs));
    const key = (s: (typeof low)[number]) => [
      s.quantity === 0 ? 0 : 1,
      s.medicine?.controlled ? 0 : 1,
      s.quantity / s.parLevel,
    ];
    for (let i = 1; i < low.length; i++) {
      const [a, b] = [key(low[i - 1]!), key(low[i]!)];
      expect(a[0]! < b[0]! || (a[0] === b[0] && (a[1]! < b[1]! || (a[1] === b[1] && a[2]! <= b[2]!)))).toBe(true);
    }
  });

  it("locates a medicine with the caller's unit first", async () => {
    const { data } = await gql(
      nurse,
      `{ medicine(id: "${MORPHINE}") { locations(unit: "Pronto-Socorro") { dispenser { unit } } } }`,
    );
    expect(data.medicine.locations[0].dispenser.unit).toBe('Pronto-Socorro');
  });

  it('refuses a malformed date', async () => {
    expect(codeOf(await gql(nurse, '{ expiringBefore(date: "next week") { id } }'))).toBe('BAD_USER_INPUT');
  });
});

async function slotDispenser(slotId: string): Promise<string> {
  const { rows } = await adminQuery(
    `SELECT "dispenserId" FROM pyxis."StockItem" WHERE id = '${slotId}'`,
    system.database.url,
  );
  return rows[0].dispenserId;
}
