/**
 * What makes a request valid: the fields its kind needs, and catalogue facts from
 * pyxis (the item exists; a medicine or material is asked at a dispenser in
 * service that holds the quantity, unexpired; help is offered where it is asked).
 */
import { badUserInput, ErrorCode, hasErrorCode } from '@asky/shared';
import type { CreateRequestInput } from './generated/graphql';
import { availableAt, type Catalogue, type CatalogueFacts } from './catalogue';
import type { NewRequest } from './data/commands';
import { parseRequestInput } from './requestInput';

export async function validNewRequest(
  input: CreateRequestInput,
  requesterId: string,
  catalogue: Catalogue,
): Promise<NewRequest> {
  const {
    kind,
    priority,
    quantity,
    note,
    clientKey,
    patient: given,
    encounterId,
    orderId,
    ...ids
  } = parseRequestInput(input);
  const patient = {
    patientIdentifier: given?.identifier ?? null,
    patientBed: given?.bed ?? null,
    encounterId,
    orderId,
  };
  // A kept answer may be stale: one that refuses is asked again before it does.
  const check = (facts: CatalogueFacts) => {
    if (facts.medicineControlled) checkControlledOrder(patient);
    return checkFacts(kind, ids, quantity, facts);
  };
  let dispenser: CatalogueFacts['dispenser'];
  try {
    dispenser = check(await catalogue.facts(ids));
  } catch (err) {
    if (!hasErrorCode(err, ErrorCode.BAD_USER_INPUT)) throw err;
    dispenser = check(await catalogue.facts(ids, { fresh: true }));
  }
  return {
    kind,
    priority: priority ?? 'ROUTINE',
    requesterId,
    ...ids,
    quantity,
    note,
    clientKey,
    unit: dispenser?.unit ?? null,
    ...patient,
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
