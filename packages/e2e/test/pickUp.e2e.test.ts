/**
 * Handing a medicine over: the pick-up verified by scanning the
 * package — a wrong item is refused and nothing moves — and the requester
 * confirming she received it (FHIR MedicationDispense's receiver).
 */
import { useTestSystem } from '@asky/testing';
import { cabinets } from './helpers/cabinet';

const ctx = useTestSystem();
const { gql, cabinet, request, move } = cabinets(ctx);
const call = (token: string, query: string, variables: Record<string, unknown> = {}) =>
  ctx.system.graphql(query, variables, { token });
const soon = (days: number) => new Date(Date.now() + days * 864e5).toISOString().slice(0, 10);
const idOf = async (token: string) => (await gql(token, '{ me { id } }')).me.id as string;
const RECEIVE = 'mutation ($id: ID!) { confirmReceipt(id: $id) { status receivedBy { id } receivedAt } }';

async function medicineWithBarcode(barcode: string | null) {
  const { createMedicine } = await gql(
    ctx.tokens.pharmacist,
    'mutation ($input: MedicineInput!) { createMedicine(input: $input) { id } }',
    {
      input: {
        name: 'Escaneável',
        activeIngredient: 'scanol',
        strength: `${Math.floor(Math.random() * 1e6) + 1} mg`,
        dosageForm: 'tablet',
        unit: 'tablet',
        controlled: false,
        barcode,
      },
    },
  );
  return createMedicine.id as string;
}

it('refuses a pick-up or hand-over whose scanned package is not the medicine asked for, and records the right one', async () => {
  const barcode = `789${Date.now()}`;
  const medicine = await medicineWithBarcode(barcode);
  const cab = await cabinet('SCAN', medicine, { A: [{ lot: 'S1', expiresAt: soon(100), quantity: 5 }] });
  const id = await request(cab.id, medicine, 1);
  for (const status of ['ACCEPTED', 'PREPARING']) expect((await move(id, status)).errors).toBeUndefined();
  const wrong = await move(id, 'IN_TRANSIT', { scannedBarcode: '7890000000000' });
  expect(wrong.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'scannedBarcode' });
  expect(wrong.errors?.[0]?.message).toMatch(/Wrong item/);
  expect((await gql(ctx.tokens.nurse, `{ request(id: "${id}") { status } }`)).request.status).toBe('PREPARING');
  // Scanned at a move that takes nothing: refused.
  expect(codeOf(await move(id, 'PREPARING', { scannedBarcode: barcode }))).toBe('BAD_USER_INPUT');
  expect((await move(id, 'IN_TRANSIT', { scannedBarcode: ` ${barcode} ` })).errors).toBeUndefined();
  expect((await move(id, 'COMPLETED', { scannedBarcode: barcode })).errors).toBeUndefined();
  const { request: done } = await gql(
    ctx.tokens.nurse,
    `{ request(id: "${id}") { history { toStatus scannedBarcode } } }`,
  );
  expect(done.history.slice(-2)).toEqual([
    { toStatus: 'IN_TRANSIT', scannedBarcode: barcode },
    { toStatus: 'COMPLETED', scannedBarcode: barcode },
  ]);

  // A medicine with no barcode on record cannot be verified by a scan.
  const unlabelled = await medicineWithBarcode(null);
  const other = await cabinet('NOSCAN', unlabelled, { A: [{ lot: 'N1', expiresAt: soon(100), quantity: 5 }] });
  const second = await request(other.id, unlabelled, 1);
  for (const status of ['ACCEPTED', 'PREPARING']) expect((await move(second, status)).errors).toBeUndefined();
  expect((await move(second, 'IN_TRANSIT', { scannedBarcode: barcode })).errors?.[0]?.message).toMatch(
    /no barcode on record/,
  );
});

it('lets the requester alone confirm receipt, once the request completed, once', async () => {
  const medicine = await medicineWithBarcode(null);
  const cab = await cabinet('RECV', medicine, { A: [{ lot: 'R1', expiresAt: soon(100), quantity: 5 }] });
  const id = await request(cab.id, medicine, 1);
  expect(codeOf(await call(ctx.tokens.nurse, RECEIVE, { id }))).toBe('CONFLICT');
  for (const status of ['ACCEPTED', 'PREPARING', 'IN_TRANSIT', 'COMPLETED'])
    expect((await move(id, status)).errors).toBeUndefined();
  expect(codeOf(await call(ctx.tokens.pharmacist, RECEIVE, { id }))).toBe('FORBIDDEN');
  const first = await gql(ctx.tokens.nurse, RECEIVE, { id });
  expect(first.confirmReceipt).toEqual({
    status: 'COMPLETED',
    receivedBy: { id: await idOf(ctx.tokens.nurse) },
    receivedAt: expect.any(String),
  });
  const again = await gql(ctx.tokens.nurse, RECEIVE, { id });
  expect(again.confirmReceipt.receivedAt).toBe(first.confirmReceipt.receivedAt);
  expect(codeOf(await call(ctx.tokens.nurse, RECEIVE, { id: 'not-an-id' }))).toBe('BAD_USER_INPUT');
});

function codeOf(body: { errors?: { extensions?: { code?: string } }[] }) {
  return body.errors?.[0]?.extensions?.code;
}
