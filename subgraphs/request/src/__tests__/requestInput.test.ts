/** A new request's shape, checked where it comes in: no database, no catalogue. */
import { parseRequestInput } from '../requestInput';
import type { CreateRequestInput } from '../generated/graphql';

const MEDICINE = '22222222-2222-4222-8222-000000000002';
const CABINET = '44444444-4444-4444-8444-000000000001';
const HELP = '55555555-5555-4555-8555-000000000002';

const refusal = (input: Partial<CreateRequestInput>) => {
  try {
    parseRequestInput(input as CreateRequestInput);
  } catch (err) {
    const { message, extensions } = err as { message: string; extensions: { code: string; argument: string } };
    return { message, code: extensions.code, argument: extensions.argument };
  }
  throw new Error('accepted');
};

it('takes a medicine request as the nurse typed it: trimmed text, ids in lower case, empty text as none', () => {
  const input = parseRequestInput({
    kind: 'MEDICINE',
    medicineId: MEDICINE.toUpperCase(),
    dispenserId: CABINET,
    quantity: 2,
    note: '  leito 3  ',
    clientKey: '   ',
    patient: { identifier: ' MRN-1001 ', bed: '' },
    orderId: 'RX-1',
  });
  expect(input).toMatchObject({
    medicineId: MEDICINE,
    quantity: 2,
    note: 'leito 3',
    clientKey: null,
    patient: { identifier: 'MRN-1001', bed: null },
  });
});

it.each([
  ['A MEDICINE request needs medicineId', 'medicineId', { kind: 'MEDICINE', dispenserId: CABINET, quantity: 1 }],
  ['A MEDICINE request needs dispenserId', 'dispenserId', { kind: 'MEDICINE', medicineId: MEDICINE, quantity: 1 }],
  ['A MATERIAL request needs quantity', 'quantity', { kind: 'MATERIAL', materialId: MEDICINE, dispenserId: CABINET }],
  [
    'An ASSISTANCE request needs a note saying what is wrong',
    'note',
    { kind: 'ASSISTANCE', assistanceTypeId: HELP, dispenserId: CABINET },
  ],
  [
    'An ASSISTANCE request has no quantity',
    'quantity',
    { kind: 'ASSISTANCE', assistanceTypeId: HELP, dispenserId: CABINET, note: 'x', quantity: 2 },
  ],
  [
    'A MATERIAL request has no medicineId',
    'medicineId',
    { kind: 'MATERIAL', materialId: MEDICINE, medicineId: MEDICINE, dispenserId: CABINET, quantity: 1 },
  ],
  [
    'orderId is for MEDICINE requests',
    'orderId',
    { kind: 'MATERIAL', materialId: MEDICINE, dispenserId: CABINET, quantity: 1, orderId: 'RX-1' },
  ],
  [
    'quantity must be from 1 to 1000',
    'quantity',
    { kind: 'MEDICINE', medicineId: MEDICINE, dispenserId: CABINET, quantity: 1_001 },
  ],
  [
    'quantity must be from 1 to 1000',
    'quantity',
    { kind: 'MEDICINE', medicineId: MEDICINE, dispenserId: CABINET, quantity: 0 },
  ],
  [
    'medicineId is not a valid id',
    'medicineId',
    { kind: 'MEDICINE', medicineId: 'not-an-id', dispenserId: CABINET, quantity: 1 },
  ],
  [
    'note must have at most 1000 characters',
    'note',
    { kind: 'MEDICINE', medicineId: MEDICINE, dispenserId: CABINET, quantity: 1, note: 'x'.repeat(1_001) },
  ],
  [
    'patient.identifier must have 1 to 64 characters',
    'patient.identifier',
    { kind: 'MEDICINE', medicineId: MEDICINE, dispenserId: CABINET, quantity: 1, patient: { identifier: ' ' } },
  ],
])('refuses: "%s", naming %s', (message, argument, input) => {
  expect(refusal(input as Partial<CreateRequestInput>)).toEqual({ message, code: 'BAD_USER_INPUT', argument });
});
