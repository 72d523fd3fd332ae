/**
 * What makes a request valid: the fields its kind needs, and catalogue facts from
 * pyxis (the item exists; a medicine or material is asked at a dispenser in
 * service that holds the quantity, unexpired; help is offered where it is asked).
 */
import { badUserInput, ErrorCode, hasErrorCode, parseId } from '@asky/shared';
import type { CreateRequestInput } from './generated/graphql';
import { availableAt, type Catalogue, type CatalogueFacts } from './catalogue';
import type { NewRequest } from './data/commands';

const MAX_QUANTITY = 1_000;

/** "A MEDICINE request", "An ASSISTANCE request". */
const aRequestOf = (kind: string) => `${/^[AEIOU]/.test(kind) ? 'An' : 'A'} ${kind} request`;

/** `argument` must be given; `what` names it in the message when the name alone says too little. */
function need<T>(value: T | null | undefined, argument: string, kind: string, what = argument): T {
  if (value === null || value === undefined || value === '')
    throw badUserInput(`${aRequestOf(kind)} needs ${what}`, { argument });
  return value;
}

function forbidFor(input: CreateRequestInput, fields: (keyof CreateRequestInput)[]) {
  for (const field of fields) {
    if (input[field] != null) throw badUserInput(`${aRequestOf(input.kind)} has no ${field}`, { argument: field });
  }
}

function quantityOf(input: CreateRequestInput): number {
  const quantity = need(input.quantity, 'quantity', input.kind);
  if (!Number.isInteger(quantity) || quantity < 1 || quantity > MAX_QUANTITY) {
    throw badUserInput(`quantity must be from 1 to ${MAX_QUANTITY}`, { argument: 'quantity' });
  }
  return quantity;
}

const optionalId = (value: string | null | undefined, argument: string) => (value ? parseId(value, argument) : null);

export async function validNewRequest(
  input: CreateRequestInput,
  requesterId: string,
  catalogue: Catalogue,
): Promise<NewRequest> {
  const note = input.note?.trim() || null;
  if (note && note.length > 1_000) throw badUserInput('note must have at most 1000 characters', { argument: 'note' });
  const clientKey = input.clientKey?.trim() || null;
  if (clientKey && clientKey.length > 100)
    throw badUserInput('clientKey must have at most 100 characters', { argument: 'clientKey' });
  const ids = {
    medicineId: optionalId(input.medicineId, 'medicineId'),
    materialId: optionalId(input.materialId, 'materialId'),
    assistanceTypeId: optionalId(input.assistanceTypeId, 'assistanceTypeId'),
    dispenserId: optionalId(input.dispenserId, 'dispenserId'),
  };
  const patient = patientOf(input);
  let quantity: number | null = null;
  if (input.kind === 'MEDICINE') {
    need(ids.medicineId, 'medicineId', input.kind);
    need(ids.dispenserId, 'dispenserId', input.kind);
    forbidFor(input, ['materialId', 'assistanceTypeId']);
    quantity = quantityOf(input);
  } else if (input.kind === 'MATERIAL') {
    need(ids.materialId, 'materialId', input.kind);
    need(ids.dispenserId, 'dispenserId', input.kind);
    forbidFor(input, ['medicineId', 'assistanceTypeId']);
    quantity = quantityOf(input);
  } else {
    need(ids.assistanceTypeId, 'assistanceTypeId', input.kind);
    need(ids.dispenserId, 'dispenserId', input.kind);
    need(note, 'note', input.kind, 'a note saying what is wrong');
    forbidFor(input, ['medicineId', 'materialId', 'quantity']);
  }

  // A kept answer may be stale: one that refuses is asked again before it does.
  const check = (facts: CatalogueFacts) => {
    if (facts.medicineControlled) checkControlledOrder(patient);
    return checkFacts(input.kind, ids, quantity, facts);
  };
  let dispenser: CatalogueFacts['dispenser'];
  try {
    dispenser = check(await catalogue.facts(ids));
  } catch (err) {
    if (!hasErrorCode(err, ErrorCode.BAD_USER_INPUT)) throw err;
    dispenser = check(await catalogue.facts(ids, { fresh: true }));
  }
  return {
    kind: input.kind,
    priority: input.priority ?? 'ROUTINE',
    requesterId,
    ...ids,
    quantity,
    note,
    clientKey,
    unit: dispenser?.unit ?? null,
    ...patient,
  };
}

/** An identifier as the EHR prints it: 1 to 64 characters, trimmed. */
function identifier(value: string | null | undefined, argument: string): string | null {
  if (value == null) return null;
  const trimmed = value.trim();
  if (!trimmed || trimmed.length > 64) throw badUserInput(`${argument} must have 1 to 64 characters`, { argument });
  return trimmed;
}

/** Who a MEDICINE request is for; the other kinds carry no patient. */
function patientOf(input: CreateRequestInput) {
  const given = { patient: input.patient, encounterId: input.encounterId, orderId: input.orderId };
  if (input.kind !== 'MEDICINE') {
    const named = Object.entries(given).find(([, value]) => value != null);
    if (named) throw badUserInput(`${named[0]} is for MEDICINE requests`, { argument: named[0] });
  }
  return {
    patientIdentifier: identifier(input.patient?.identifier, 'patient.identifier'),
    patientBed: input.patient?.bed?.trim() ? identifier(input.patient.bed, 'patient.bed') : null,
    encounterId: identifier(input.encounterId, 'encounterId'),
    orderId: identifier(input.orderId, 'orderId'),
  };
}

/**
 * A controlled medicine leaves the cabinet for a patient, on an order (the
 * prescription the register names): both are required, never invented later.
 */
export function checkControlledOrder(patient: {
  readonly patientIdentifier: string | null;
  readonly orderId: string | null;
}): void {
  if (!patient.patientIdentifier)
    throw badUserInput(
      'A controlled medicine is requested for a patient: give patient.identifier (the record number)',
      { argument: 'patient.identifier' },
    );
  if (!patient.orderId)
    throw badUserInput('A controlled medicine is requested on an order: give orderId (the prescription it fulfils)', {
      argument: 'orderId',
    });
}

type Ids = Record<'medicineId' | 'materialId' | 'assistanceTypeId' | 'dispenserId', string | null>;

/** BAD_USER_INPUT unless the catalogue has what the request names; returns its dispenser's facts. */
function checkFacts(
  kind: CreateRequestInput['kind'],
  ids: Ids,
  quantity: number | null,
  facts: CatalogueFacts,
): CatalogueFacts['dispenser'] {
  if (ids.medicineId && !facts.medicineExists)
    throw badUserInput('No medicine has this medicineId', { argument: 'medicineId' });
  if (ids.materialId && !facts.materialExists)
    throw badUserInput('No material has this materialId', { argument: 'materialId' });
  if (ids.assistanceTypeId && !facts.assistanceTypeExists)
    throw badUserInput('No assistance type has this assistanceTypeId', { argument: 'assistanceTypeId' });
  const dispenser = facts.dispenser;
  if (!ids.dispenserId) return dispenser;
  if (!dispenser || dispenser.retired)
    throw badUserInput('No dispenser in service has this dispenserId', { argument: 'dispenserId' });
  const offered =
    (ids.medicineId && dispenser.medicineIds.has(ids.medicineId)) ||
    (ids.materialId && dispenser.materialIds.has(ids.materialId)) ||
    (ids.assistanceTypeId && dispenser.assistanceTypeIds.has(ids.assistanceTypeId));
  if (!offered)
    throw badUserInput(`This dispenser does not ${kind === 'ASSISTANCE' ? 'offer this help' : 'stock this item'}`, {
      argument: 'dispenserId',
    });
  const item = ids.medicineId ?? ids.materialId;
  if (item && quantity !== null) {
    // Help can be asked at a cabinet under maintenance; nothing can be taken out of one.
    if (dispenser.status !== 'ACTIVE')
      throw badUserInput(`This dispenser is out of service (${dispenser.status}): nothing can be taken from it now`, {
        argument: 'dispenserId',
        status: dispenser.status,
      });
    const available = availableAt(dispenser, item);
    if (available < quantity) {
      throw badUserInput(
        `This dispenser has ${available} of this item available (unexpired, not held for accepted requests): ask for at most that, or at another dispenser`,
        { argument: 'quantity', available },
      );
    }
  }
  return dispenser;
}
