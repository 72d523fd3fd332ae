/**
 * The shape of a new request, checked where it comes in (zod): the fields its kind
 * needs and may not have, lengths, ids and the quantity. What the catalogue says
 * of it (the item exists, the dispenser holds it) is newRequest.ts'.
 */
import { z } from 'zod';
import { badUserInput, isUuid } from '@asky/shared';
import type { CreateRequestInput } from './generated/graphql';

const MAX_QUANTITY = 1_000;
const QUANTITY_RANGE = `quantity must be from 1 to ${MAX_QUANTITY}`;

/** "A MEDICINE request", "An ASSISTANCE request". */
const aRequestOf = (kind: string) => `${/^[AEIOU]/.test(kind) ? 'An' : 'A'} ${kind} request`;

/** Trimmed text of at most `max` characters; empty is none. */
const text = (argument: string, max: number) =>
  z
    .string()
    .nullish()
    .transform((value) => value?.trim() || null)
    .refine((value) => !value || value.length <= max, `${argument} must have at most ${max} characters`);

/** An identifier as the EHR prints it: 1 to 64 characters, trimmed. */
const identifier = (argument: string) =>
  z
    .string()
    .nullish()
    .transform((value) => (value == null ? null : value.trim()))
    .refine(
      (value) => value === null || (value.length > 0 && value.length <= 64),
      `${argument} must have 1 to 64 characters`,
    );

const id = (argument: string) =>
  z
    .string()
    .nullish()
    .transform((value) => value || null)
    .refine((value) => value === null || isUuid(value), `${argument} is not a valid id`)
    .transform((value) => value?.toLowerCase() ?? null);

/** What each kind names, and what it may not. */
const FIELDS = {
  MEDICINE: { needs: ['medicineId', 'dispenserId', 'quantity'], hasNo: ['materialId', 'assistanceTypeId'] },
  MATERIAL: { needs: ['materialId', 'dispenserId', 'quantity'], hasNo: ['medicineId', 'assistanceTypeId'] },
  ASSISTANCE: { needs: ['assistanceTypeId', 'dispenserId', 'note'], hasNo: ['medicineId', 'materialId', 'quantity'] },
} as const;
/** How a message names a field when its name alone says too little. */
const SAYING: Record<string, string> = { note: 'a note saying what is wrong' };
/** Only a MEDICINE request is for a patient. */
const PATIENT_FIELDS = ['patient', 'encounterId', 'orderId'] as const;

const requestInput = z
  .object({
    kind: z.enum(['MEDICINE', 'MATERIAL', 'ASSISTANCE']),
    priority: z.enum(['ROUTINE', 'URGENT', 'ASAP', 'STAT']).nullish(),
    medicineId: id('medicineId'),
    materialId: id('materialId'),
    assistanceTypeId: id('assistanceTypeId'),
    dispenserId: id('dispenserId'),
    quantity: z
      .number()
      .int(QUANTITY_RANGE)
      .min(1, QUANTITY_RANGE)
      .max(MAX_QUANTITY, QUANTITY_RANGE)
      .nullish()
      .transform((value) => value ?? null),
    note: text('note', 1_000),
    clientKey: text('clientKey', 100),
    patient: z
      .object({ identifier: identifier('patient.identifier'), bed: text('patient.bed', 64) })
      .nullish()
      .transform((patient) => patient ?? null),
    encounterId: identifier('encounterId'),
    orderId: identifier('orderId'),
  })
  .superRefine((input, ctx) => {
    const { needs, hasNo } = FIELDS[input.kind];
    for (const field of needs) {
      if (input[field] === null)
        ctx.addIssue({
          code: 'custom',
          path: [field],
          message: `${aRequestOf(input.kind)} needs ${SAYING[field] ?? field}`,
        });
    }
    for (const field of hasNo) {
      if (input[field] !== null)
        ctx.addIssue({ code: 'custom', path: [field], message: `${aRequestOf(input.kind)} has no ${field}` });
    }
    if (input.kind !== 'MEDICINE') {
      for (const field of PATIENT_FIELDS) {
        if (input[field] !== null)
          ctx.addIssue({ code: 'custom', path: [field], message: `${field} is for MEDICINE requests` });
      }
    }
  });

export type RequestInput = z.output<typeof requestInput>;

/** The input as a request holds it, or BAD_USER_INPUT naming the first argument at fault. */
export function parseRequestInput(input: CreateRequestInput): RequestInput {
  const parsed = requestInput.safeParse(input);
  if (parsed.success) return parsed.data;
  const [issue] = parsed.error.issues;
  throw badUserInput(issue!.message, { argument: issue!.path.join('.') });
}
