/**
 * What a completed request takes out of a cabinet: first expiry first
 * out across the cabinet's slots of the item, as many slots as the quantity
 * needs, and never from an expired lot; and a request completes only if the
 * dispenser holds what it gives.
 */
import { adminQuery, useTestSystem } from '@asky/testing';
import { askingAs, hospitalDate } from './helpers/asking';

/** Not controlled: custody is witness.e2e's. */
const PARACETAMOL = '22222222-2222-4222-8222-000000000002';

const ctx = useTestSystem();

const { ok } = askingAs(ctx);

async function slotsOf(dispenserId: string) {
  const { rows } = await adminQuery(
    `SELECT slot, quantity FROM pyxis."StockItem" WHERE "dispenserId" = '${dispenserId}' ORDER BY slot`,
    ctx.system.database.url,
  );
  return Object.fromEntries(rows.map((r: { slot: string; quantity: number }) => [r.slot, r.quantity]));
}

it('takes the soonest-expiring lot first, goes on to the next slot, and leaves an expired lot alone', async () => {
  const { createDispenser: dispenser } = await ok(
    ctx.tokens.technician,
    'mutation ($input: DispenserInput!) { createDispenser(input: $input) { id } }',
    {
      input: { code: `FEFO-${Date.now() % 100000}`, name: 'FEFO', unit: 'Ala FEFO', floor: '1', room: '101' },
    },
  );
  const assign = (slot: string, quantity: number, lot: string, expiresAt: string) =>
    ok(ctx.tokens.technician, 'mutation ($input: AssignSlotInput!) { assignSlot(input: $input) { id } }', {
      input: { dispenserId: dispenser.id, slot, medicineId: PARACETAMOL, parLevel: 10, quantity, lot, expiresAt },
    });
  await assign('A', 5, 'LATE', '2030-01-31');
  await assign('B', 4, 'SOON', '2027-06-30');
  await assign('C', 10, 'EXPIRED', '2030-12-31');
  // A lot that has expired since it was stocked (the API refuses to stock one).
  await adminQuery(
    `UPDATE pyxis."StockLot" SET "expiresAt" = '${hospitalDate(-1)}' WHERE "stockItemId" IN (SELECT id FROM pyxis."StockItem" WHERE "dispenserId" = '${dispenser.id}' AND slot = 'C')`,
    ctx.system.database.url,
  );

  const { dispenser: shown } = await ok(
    ctx.tokens.nurse,
    `{ dispenser(id: "${dispenser.id}") { stock { slot expired } } }`,
  );
  expect(shown.stock).toEqual([
    { slot: 'A', expired: false },
    { slot: 'B', expired: false },
    { slot: 'C', expired: true },
  ]);
  const { createRequest } = await ok(
    ctx.tokens.nurse,
    'mutation ($input: CreateRequestInput!) { createRequest(input: $input) { id } }',
    {
      input: { kind: 'MEDICINE', medicineId: PARACETAMOL, dispenserId: dispenser.id, quantity: 6 },
    },
  );
  for (const status of ['ACCEPTED', 'PREPARING', 'IN_TRANSIT', 'COMPLETED']) {
    await ok(
      ctx.tokens.pharmacist,
      'mutation ($id: ID!, $s: RequestStatus!) { updateRequestStatus(id: $id, status: $s) { status } }',
      { id: createRequest.id, s: status },
    );
  }
  const deadline = Date.now() + 15_000;
  while ((await slotsOf(dispenser.id)).B !== 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  expect(await slotsOf(dispenser.id)).toEqual({ A: 3, B: 0, C: 10 });
  const { rows } = await adminQuery(
    `SELECT i.slot, m.delta, m.lot, m.reason FROM pyxis."StockMovement" m JOIN pyxis."StockItem" i ON i.id = m."stockItemId"
     WHERE i."dispenserId" = '${dispenser.id}' AND m.kind = 'PICK_UP' ORDER BY i.slot`,
    ctx.system.database.url,
  );
  const reason = `request ${createRequest.id} picked up`; // out of the cabinet when picked up
  expect(rows).toEqual([
    { slot: 'A', delta: -2, lot: 'LATE', reason },
    { slot: 'B', delta: -4, lot: 'SOON', reason },
  ]);
});

it('refuses to complete more than the dispenser holds, until the count is right or the request is rejected', async () => {
  const { createDispenser: dispenser } = await ok(
    ctx.tokens.technician,
    'mutation ($input: DispenserInput!) { createDispenser(input: $input) { id } }',
    {
      input: { code: `SHORT-${Date.now() % 100000}`, name: 'Short', unit: 'Ala Short', floor: '1', room: '102' },
    },
  );
  const { assignSlot: slot } = await ok(
    ctx.tokens.technician,
    'mutation ($input: AssignSlotInput!) { assignSlot(input: $input) { id } }',
    {
      input: {
        dispenserId: dispenser.id,
        slot: 'M1',
        medicineId: PARACETAMOL,
        parLevel: 10,
        quantity: 5,
        lot: 'L5',
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
  const move = (id: string, s: string, note?: string) =>
    ctx.system.graphql(
      'mutation ($id: ID!, $s: RequestStatus!, $note: String) { updateRequestStatus(id: $id, status: $s, note: $note) { status } }',
      { id, s, note },
      { token: ctx.tokens.pharmacist },
    );
  const id = await request(5);
  for (const status of ['ACCEPTED', 'PREPARING']) expect((await move(id, status)).errors).toBeUndefined();
  await ok(
    ctx.tokens.technician,
    `mutation { adjustStock(slotId: "${slot.id}", delta: -3, reason: "3 broken ampoules") { quantity } }`,
  );
  expect((await move(id, 'IN_TRANSIT')).errors).toBeUndefined(); // picks up the 2 there are

  const refused = await move(id, 'COMPLETED');
  expect(refused.errors?.[0]?.extensions).toMatchObject({ code: 'CONFLICT', available: 2 });
  expect((await ok(ctx.tokens.nurse, `{ request(id: "${id}") { status } }`)).request.status).toBe('IN_TRANSIT');
  expect((await move(id, 'REJECTED', 'only 2 left: ask again for 2')).data?.updateRequestStatus.status).toBe(
    'REJECTED',
  );

  // Within what is there it completes, and asking again (a retry) answers the same once it is dispensed.
  const two = await request(2);
  for (const status of ['ACCEPTED', 'PREPARING', 'IN_TRANSIT', 'COMPLETED'])
    expect((await move(two, status)).errors).toBeUndefined();
  const deadline = Date.now() + 15_000;
  while ((await slotsOf(dispenser.id)).M1 !== 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  expect(await slotsOf(dispenser.id)).toEqual({ M1: 0 });
  expect((await move(two, 'COMPLETED')).data?.updateRequestStatus.status).toBe('COMPLETED');
});

it('answers a recall: which requests, patients and orders received units of a lot (pharmacy only)', async () => {
  const { createDispenser: dispenser } = await ok(
    ctx.tokens.technician,
    'mutation ($input: DispenserInput!) { createDispenser(input: $input) { id } }',
    {
      input: { code: `RECALL-${Date.now() % 100000}`, name: 'Recall', unit: 'Ala Recall', floor: '1', room: '102' },
    },
  );
  const lot = `RC${Date.now() % 1_000_000}`;
  await ok(ctx.tokens.technician, 'mutation ($input: AssignSlotInput!) { assignSlot(input: $input) { id } }', {
    input: {
      dispenserId: dispenser.id,
      slot: 'A',
      medicineId: PARACETAMOL,
      parLevel: 10,
      quantity: 5,
      lot,
      expiresAt: '2030-01-31',
    },
  });
  const { createRequest } = await ok(
    ctx.tokens.nurse,
    'mutation ($input: CreateRequestInput!) { createRequest(input: $input) { id } }',
    {
      input: {
        kind: 'MEDICINE',
        medicineId: PARACETAMOL,
        dispenserId: dispenser.id,
        quantity: 2,
        patient: { identifier: 'MRN-7731', bed: 'UTI 4' },
        orderId: 'RX-2026-118',
      },
    },
  );
  for (const status of ['ACCEPTED', 'PREPARING', 'IN_TRANSIT', 'COMPLETED']) {
    await ok(
      ctx.tokens.pharmacist,
      'mutation ($id: ID!, $s: RequestStatus!) { updateRequestStatus(id: $id, status: $s) { status } }',
      { id: createRequest.id, s: status },
    );
  }
  const RECALL = `query ($lot: String!, $m: ID) { lotDispenses(lot: $lot, medicineId: $m, first: 20) { lot quantity slot dispenser { id } medicine { name } request { id orderId patient { identifier bed } } } }`;
  const deadline = Date.now() + 15_000;
  let answer = await ok(ctx.tokens.pharmacist, RECALL, { lot, m: PARACETAMOL });
  while (!answer.lotDispenses.length && Date.now() < deadline)
    answer = await ok(ctx.tokens.pharmacist, RECALL, { lot, m: PARACETAMOL }); // the dispense follows the completion's event
  expect(answer.lotDispenses).toEqual([
    {
      lot,
      quantity: 2,
      slot: 'A',
      dispenser: { id: dispenser.id },
      medicine: { name: 'Paracetamol' },
      request: { id: createRequest.id, orderId: 'RX-2026-118', patient: { identifier: 'MRN-7731', bed: 'UTI 4' } },
    },
  ]);
  const technician = await ctx.system.graphql(RECALL, { lot }, { token: ctx.tokens.technician });
  expect(technician.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
});
