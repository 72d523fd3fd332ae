/**
 * The ward board: a CHARGE_NURSE sees every request of her units —
 * as a list and live — besides her own, and nothing of other units; an ADMIN
 * sets her units, and a change takes effect (and closes her live sockets).
 */
import { listen, useTestSystem } from '@asky/testing';
import { cabinets } from './helpers/cabinet';

const ctx = useTestSystem();
const UTI_A = '44444444-4444-4444-8444-000000000001';
const PS = '44444444-4444-4444-8444-000000000003';
const CHARGE = '11111111-1111-4111-8111-000000000005';
const PARACETAMOL = '22222222-2222-4222-8222-000000000002';
const { gql } = cabinets(ctx);
const create = async (dispenserId: string) =>
  (
    await gql(ctx.tokens.nurse, 'mutation ($input: CreateRequestInput!) { createRequest(input: $input) { id } }', {
      input: { kind: 'MEDICINE', medicineId: PARACETAMOL, dispenserId, quantity: 1 },
    })
  ).createRequest.id as string;
const board = async () =>
  (await gql(ctx.tokens.charge, '{ requests(first: 200) { id dispenser { id } } }')).requests as {
    id: string;
    dispenser: { id: string };
  }[];

it("shows a charge nurse every request of her units and none of another's, and follows an ADMIN's change of her units", async () => {
  const here = await create(UTI_A);
  const elsewhere = await create(PS);
  const seen = await board();
  expect(seen.map((r) => r.id)).toContain(here);
  expect(seen.map((r) => r.id)).not.toContain(elsewhere);
  expect(seen.every((r) => r.dispenser.id === UTI_A || r.dispenser.id === '44444444-4444-4444-8444-000000000002')).toBe(
    true,
  );
  expect((await gql(ctx.tokens.charge, `{ request(id: "${elsewhere}") { id } }`)).request).toBeNull();
  // She cannot work them: accepting is the pharmacy's.
  const accept = await ctx.system.graphql(
    'mutation ($id: ID!) { updateRequestStatus(id: $id, status: ACCEPTED) { status } }',
    { id: here },
    { token: ctx.tokens.charge },
  );
  expect(accept.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');

  // Units are an ADMIN's to set, and only a charge nurse's.
  const set = (token: string, id: string, units: string[]) =>
    ctx.system.graphql(
      'mutation ($id: ID!, $u: [String!]!) { setUserUnits(id: $id, units: $u) { role units } }',
      { id, u: units },
      { token },
    );
  expect((await set(ctx.tokens.charge, CHARGE, ['Pronto-Socorro'])).errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  expect(
    (await set(ctx.tokens.admin, '11111111-1111-4111-8111-000000000001', ['UTI Adulto'])).errors?.[0]?.extensions,
  ).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'units' });
  expect((await set(ctx.tokens.admin, CHARGE, ['Pronto-Socorro'])).data.setUserUnits).toEqual({
    role: 'CHARGE_NURSE',
    units: ['Pronto-Socorro'],
  });
  try {
    const moved = (await board()).map((r) => r.id); // user statuses are not kept in tests: at once
    expect(moved).toContain(elsewhere);
    expect(moved).not.toContain(here);
  } finally {
    await set(ctx.tokens.admin, CHARGE, ['UTI Adulto']);
  }
});

it("brings her units' changes live, and only theirs", async () => {
  const live = listen(
    ctx.system,
    ctx.tokens.charge,
    'subscription { requestStatusChanged { status request { id dispenser { id } } } }',
  );
  try {
    // Subscribed for sure once one of her unit's requests arrives.
    let mine = '';
    for (let i = 0; i < 50 && !live.events.length; i++) {
      mine = await create(UTI_A);
      await new Promise((r) => setTimeout(r, 100));
    }
    const other = await create(PS);
    const last = await create(UTI_A);
    const ids = async () => live.events.map((e) => e.data?.requestStatusChanged.request.id as string);
    for (let i = 0; i < 100 && !(await ids()).includes(last); i++) await new Promise((r) => setTimeout(r, 100));
    expect(await ids()).toContain(mine);
    expect(await ids()).toContain(last);
    expect(await ids()).not.toContain(other);
  } finally {
    live.dispose();
  }
});
