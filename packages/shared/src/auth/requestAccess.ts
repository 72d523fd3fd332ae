/**
 * Who may read a request — the one rule behind `request(id)`, every request list,
 * and every live update at the gateway and at the request subgraph: a person
 * reads their own requests; a CHARGE_NURSE those of her units too; staff the
 * kinds they work; ADMIN all.
 */
import type { Role } from './tokens';

export type RequestKindName = 'MEDICINE' | 'MATERIAL' | 'ASSISTANCE';

/** Who works each kind of request: the pharmacy delivers medicines, supply and technicians the rest. */
export const HANDLERS: Record<RequestKindName, readonly Role[]> = {
  MEDICINE: ['PHARMACIST', 'ADMIN'],
  MATERIAL: ['PHARMACIST', 'TECHNICIAN', 'ADMIN'],
  ASSISTANCE: ['TECHNICIAN', 'ADMIN'],
};

/** The kinds a role works, for queues and visibility. */
export const kindsHandledBy = (role: Role): RequestKindName[] =>
  (Object.keys(HANDLERS) as RequestKindName[]).filter((kind) => HANDLERS[kind].includes(role));

/** Someone reading requests: their id, current role and (CHARGE_NURSE) units. */
export interface RequestReader {
  readonly id: string;
  readonly role: Role;
  readonly units?: readonly string[];
}

/** Whether a CHARGE_NURSE's units include a request's (the dispenser's unit when it was made). */
const onUnitsOf = (person: RequestReader, unit: string | null | undefined) =>
  person.role === 'CHARGE_NURSE' && !!unit && !!person.units?.includes(unit);

/** Whether `person` (their current role) may read a request with this requester, kind and unit. */
export function mayReadRequest(
  person: RequestReader,
  request: { readonly requesterId: string; readonly kind: string; readonly unit?: string | null },
): boolean {
  return (
    request.requesterId === person.id ||
    onUnitsOf(person, request.unit) ||
    (Object.hasOwn(HANDLERS, request.kind) && HANDLERS[request.kind as RequestKindName].includes(person.role))
  );
}

/**
 * People who read a request alike: everyone of a role, except its requester, who
 * also sees what is theirs only (their own e-mail…). Live updates resolve an event
 * once per such group.
 */
export const requestReaderGroup = (person: RequestReader, request: { readonly requesterId: string }) =>
  request.requesterId === person.id
    ? `user:${person.id}`
    : person.role === 'CHARGE_NURSE'
      ? `units:${[...(person.units ?? [])].sort().join('|')}`
      : `role:${person.role}`;
