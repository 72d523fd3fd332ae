/**
 * The catalogue as a formulary committee keeps it: updates change only
 * what is sent, every change is audited, a controlled medicine stays controlled
 * unless an ADMIN says why, units do not change under counted stock, one product
 * has one record, lots carry their expiry and expired lots stay out, and a
 * package's barcode finds its medicine.
 */
import { useTestSystem, type GraphQLBody } from '@asky/testing';
import { askingAs } from './helpers/asking';

const UTI_A = '44444444-4444-4444-8444-000000000001';
const CLONAZEPAM_LIKE = {
  name: 'Clonazepam',
  activeIngredient: 'clonazepam',
  dosageForm: 'tablet',
  unit: 'tablet',
  controlled: true,
};

const ctx = useTestSystem();

const codeOf = (body: GraphQLBody<unknown>) => body.errors?.[0]?.extensions?.code;
const { gql } = askingAs(ctx);
let made = 0;
/** A strength no other test uses, so each medicine is its own product. */
const freshStrength = () => `${Date.now() % 100000}.${++made} mg`;

const MEDICINE = 'id name activeIngredient strength dosageForm unit controlled atcCode barcode';
const createMedicine = async (input: Record<string, unknown>) => {
  const body = await gql(
    ctx.tokens.pharmacist,
    `mutation ($input: MedicineInput!) { createMedicine(input: $input) { ${MEDICINE} } }`,
    {
      input: { ...CLONAZEPAM_LIKE, strength: freshStrength(), ...input },
    },
  );
  return body;
};
const updateMedicine = (token: string, id: string, input: Record<string, unknown>, reason?: string) =>
  gql(
    token,
    `mutation ($id: ID!, $input: MedicineInput!, $reason: String) { updateMedicine(id: $id, input: $input, reason: $reason) { ${MEDICINE} } }`,
    {
      id,
      input,
      reason,
    },
  );
const changesOf = async (id: string) =>
  (
    await gql(
      ctx.tokens.pharmacist,
      `{ medicine(id: "${id}") { changes { actorId at reason fields { field before after } } } }`,
    )
  ).data.medicine.changes as {
    actorId: string;
    reason: string | null;
    fields: { field: string; before: string | null; after: string | null }[];
  }[];

describe('updating a medicine', () => {
  it('changes only what is sent: optional fields left out keep their value, null clears them', async () => {
    const created = (await createMedicine({ atcCode: 'N03AE01', barcode: `7891${Date.now()}` })).data.createMedicine;
    const { id, atcCode, barcode, ...required } = created;
    const renamed = await updateMedicine(ctx.tokens.pharmacist, id, { ...required, name: 'Clonazepam 2' });
    expect(renamed.data.updateMedicine).toMatchObject({ name: 'Clonazepam 2', atcCode: 'N03AE01', barcode });
    const cleared = await updateMedicine(ctx.tokens.pharmacist, id, {
      ...required,
      name: 'Clonazepam 2',
      atcCode: null,
    });
    expect(cleared.data.updateMedicine).toMatchObject({ atcCode: null, barcode });
    expect(atcCode).toBe('N03AE01');
  });

  it('keeps an audit trail of who changed what, before and after, creation included', async () => {
    const { id, atcCode: _a, barcode: _b, ...required } = (await createMedicine({})).data.createMedicine;
    await updateMedicine(ctx.tokens.pharmacist, id, { ...required, name: 'Clonazepam (Rivotril)' });
    const me = (await gql(ctx.tokens.pharmacist, '{ me { id } }')).data.me.id;
    const [rename, creation] = await changesOf(id);
    expect(rename).toMatchObject({
      actorId: me,
      fields: [{ field: 'name', before: 'Clonazepam', after: 'Clonazepam (Rivotril)' }],
    });
    expect(creation!.fields).toEqual(expect.arrayContaining([{ field: 'controlled', before: null, after: 'true' }]));
    // Sending the record unchanged changes nothing and records nothing.
    await updateMedicine(ctx.tokens.pharmacist, id, { ...required, name: 'Clonazepam (Rivotril)' });
    expect(await changesOf(id)).toHaveLength(2);
    expect(codeOf(await gql(ctx.tokens.nurse, `{ medicine(id: "${id}") { changes { at } } }`))).toBe('FORBIDDEN');
  });

  it('lets only an ADMIN, with a reason, make a controlled medicine uncontrolled', async () => {
    const { id, atcCode: _a, barcode: _b, ...required } = (await createMedicine({})).data.createMedicine;
    const uncontrolled = { ...required, controlled: false };
    expect(codeOf(await updateMedicine(ctx.tokens.pharmacist, id, uncontrolled, 'no longer scheduled'))).toBe(
      'FORBIDDEN',
    );
    expect(codeOf(await updateMedicine(ctx.tokens.admin, id, uncontrolled))).toBe('BAD_USER_INPUT');
    expect((await gql(ctx.tokens.nurse, `{ medicine(id: "${id}") { controlled } }`)).data.medicine.controlled).toBe(
      true,
    );
    const done = await updateMedicine(ctx.tokens.admin, id, uncontrolled, 'Descheduled by ANVISA RDC 999/2026');
    expect(done.data.updateMedicine.controlled).toBe(false);
    expect((await changesOf(id))[0]).toMatchObject({
      reason: 'Descheduled by ANVISA RDC 999/2026',
      fields: [{ field: 'controlled', before: 'true', after: 'false' }],
    });
    // Making it controlled again needs neither.
    expect((await updateMedicine(ctx.tokens.pharmacist, id, required)).data.updateMedicine.controlled).toBe(true);
  });

  it('refuses a unit change while a slot holds the medicine (12 ampoules must not become 12 mL)', async () => {
    const {
      id,
      atcCode: _a,
      barcode: _b,
      ...required
    } = (await createMedicine({ unit: 'ampoule', dosageForm: 'injectable solution' })).data.createMedicine;
    expect(
      (
        await updateMedicine(ctx.tokens.pharmacist, id, {
          ...required,
          dosageForm: 'injectable solution',
          unit: 'vial',
        })
      ).data.updateMedicine.unit,
    ).toBe('vial');
    const slot = await gql(
      ctx.tokens.technician,
      'mutation ($input: AssignSlotInput!, $w: String) { assignSlot(input: $input, witnessToken: $w) { id } }',
      {
        input: {
          dispenserId: UTI_A,
          slot: `U${made}`,
          medicineId: id,
          parLevel: 12,
          quantity: 12,
          lot: 'A1',
          expiresAt: '2030-01-31',
        },
        w: await ctx.system.witness(ctx.tokens.technician, UTI_A), // a controlled medicine
      },
    );
    expect(slot.errors).toBeUndefined();
    const refused = await updateMedicine(ctx.tokens.pharmacist, id, {
      ...required,
      dosageForm: 'injectable solution',
      unit: 'mL',
    });
    expect(codeOf(refused)).toBe('CONFLICT');
    expect((await gql(ctx.tokens.nurse, `{ medicine(id: "${id}") { unit } }`)).data.medicine.unit).toBe('vial');
  });
});

describe('one product, one record', () => {
  it('refuses a second medicine of the same active ingredient, strength and form, whatever its name, case or accents', async () => {
    const strength = freshStrength();
    const first = await createMedicine({
      name: 'Fentanil',
      activeIngredient: 'Fentanyl citrate',
      strength,
      dosageForm: 'injectable solution',
    });
    expect(first.errors).toBeUndefined();
    const again = await createMedicine({
      name: 'Fentanil genérico',
      activeIngredient: ' fentanyl  CITRATE',
      strength,
      dosageForm: 'Injectable solution',
      controlled: false,
    });
    expect(codeOf(again)).toBe('CONFLICT');
    expect(again.errors![0]!.extensions!.medicineId).toBe(first.data.createMedicine.id);
    // Another form of the same drug is another product; changing it into the first is refused.
    const patch = await createMedicine({
      activeIngredient: 'fentanyl citrate',
      strength,
      dosageForm: 'transdermal patch',
    });
    const { id, atcCode: _a, barcode: _b, ...required } = patch.data.createMedicine;
    expect(
      codeOf(
        await updateMedicine(ctx.tokens.pharmacist, id, {
          ...required,
          activeIngredient: 'fentanyl citrate',
          dosageForm: 'injectable solution',
        }),
      ),
    ).toBe('CONFLICT');
  });

  it('lets only one of two parallel creations of the same product through', async () => {
    const strength = freshStrength();
    const answers = await Promise.all(Array.from({ length: 4 }, () => createMedicine({ strength })));
    expect(answers.filter((a) => !a.errors)).toHaveLength(1);
    expect(answers.filter((a) => codeOf(a) === 'CONFLICT')).toHaveLength(3);
  });
});

describe('materials', () => {
  it('are audited and keep their unit while stocked', async () => {
    const input = { name: 'Luva de procedimento M', category: 'gloves', unit: 'pair' };
    const { id } = (
      await gql(ctx.tokens.technician, 'mutation ($input: MaterialInput!) { createMaterial(input: $input) { id } }', {
        input,
      })
    ).data.createMaterial;
    const update = (unit: string) =>
      gql(
        ctx.tokens.technician,
        'mutation ($id: ID!, $input: MaterialInput!) { updateMaterial(id: $id, input: $input) { unit } }',
        { id, input: { ...input, unit } },
      );
    expect((await update('box')).data.updateMaterial.unit).toBe('box');
    await gql(ctx.tokens.technician, 'mutation ($input: AssignSlotInput!) { assignSlot(input: $input) { id } }', {
      input: { dispenserId: UTI_A, slot: `G${made++}`, materialId: id, parLevel: 10, quantity: 10 },
    });
    expect(codeOf(await update('pair'))).toBe('CONFLICT');
    const { data } = await gql(
      ctx.tokens.technician,
      `{ material(id: "${id}") { unit changes { fields { field before after } } } }`,
    );
    expect(data.material.unit).toBe('box');
    expect(data.material.changes[0].fields).toEqual([{ field: 'unit', before: 'pair', after: 'box' }]);
    expect(data.material.changes).toHaveLength(2);
  });
});

describe('lots', () => {
  const assign = (input: Record<string, unknown>) =>
    gql(
      ctx.tokens.technician,
      'mutation ($input: AssignSlotInput!) { assignSlot(input: $input) { id lot expiresAt } }',
      {
        input: {
          dispenserId: UTI_A,
          slot: `L${made++}`,
          medicineId: '22222222-2222-4222-8222-000000000002',
          parLevel: 10,
          quantity: 7,
          ...input,
        }, // paracetamol: not controlled
      },
    );
  const restock = (slotId: string, lot: string, expiresAt?: string) =>
    gql(
      ctx.tokens.technician,
      'mutation ($id: ID!, $lot: String, $exp: String) { restock(slotId: $id, quantity: 3, lot: $lot, expiresAt: $exp) { quantity lot expiresAt } }',
      { id: slotId, lot, exp: expiresAt },
    );

  it('refuse an expired lot and a medicine lot without its expiry, and keep the slot as it was', async () => {
    expect(codeOf(await assign({ lot: 'OLD-2025', expiresAt: '2025-06-30' }))).toBe('BAD_USER_INPUT');
    expect(codeOf(await assign({ lot: 'NOEXP' }))).toBe('BAD_USER_INPUT');
    const slot = (await assign({ lot: 'D-1', expiresAt: '2030-03-31' })).data.assignSlot;
    expect(codeOf(await restock(slot.id, 'D-2'))).toBe('BAD_USER_INPUT');
    expect(codeOf(await restock(slot.id, 'D-0', '2025-01-31'))).toBe('BAD_USER_INPUT');
    const { data } = await gql(
      ctx.tokens.nurse,
      `{ dispenser(id: "${UTI_A}") { stock { id quantity lot expiresAt } } }`,
    );
    expect(data.dispenser.stock.find((s: { id: string }) => s.id === slot.id)).toMatchObject({
      quantity: 7,
      lot: 'D-1',
      expiresAt: '2030-03-31',
    });
    // A lot expiring today may still be stocked (it is good through the day).
    const today = new Date().toISOString().slice(0, 10);
    expect((await restock(slot.id, 'D-3', today)).data.restock).toMatchObject({
      quantity: 10,
      lot: 'D-3',
      expiresAt: today,
    });
  });
});

describe('barcodes', () => {
  it('find the medicine a package carries', async () => {
    const barcode = `7896${Date.now()}`;
    const { id } = (await createMedicine({ barcode })).data.createMedicine;
    const found = await gql(
      ctx.tokens.nurse,
      '{ medicineByBarcode(barcode: $b) { id } }'.replace('$b', JSON.stringify(barcode)),
    );
    expect(found.data.medicineByBarcode.id).toBe(id);
    expect(
      (await gql(ctx.tokens.nurse, '{ medicineByBarcode(barcode: "0000000000000") { id } }')).data.medicineByBarcode,
    ).toBeNull();
    expect(codeOf(await gql(ctx.tokens.nurse, '{ medicineByBarcode(barcode: "  ") { id } }'))).toBe('BAD_USER_INPUT');
  });
});
