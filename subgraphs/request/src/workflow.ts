/**
 * The request workflow (after HL7 FHIR Task/SupplyRequest statuses, simplified to
 * Asky's contract), and who may move a request along it. Pure functions: the
 * repository applies them inside a transaction.
 *
 *   MEDICINE, MATERIAL: PENDING → ACCEPTED → PREPARING → IN_TRANSIT → COMPLETED
 *   ASSISTANCE:         PENDING → ACCEPTED → IN_PROGRESS → COMPLETED
 *   before COMPLETED:   → CANCELLED (requester, ADMIN) | → REJECTED (staff, with a reason)
 */
import { badUserInput, conflict, forbidden, HANDLERS, type Viewer } from '@asky/shared';
import type { Request, RequestKind, RequestStatus } from './generated/prisma/client';

const FORWARD: Record<RequestKind, RequestStatus[]> = {
  MEDICINE: ['PENDING', 'ACCEPTED', 'PREPARING', 'IN_TRANSIT', 'COMPLETED'],
  MATERIAL: ['PENDING', 'ACCEPTED', 'PREPARING', 'IN_TRANSIT', 'COMPLETED'],
  ASSISTANCE: ['PENDING', 'ACCEPTED', 'IN_PROGRESS', 'COMPLETED'],
};

export const TERMINAL: readonly RequestStatus[] = ['COMPLETED', 'CANCELLED', 'REJECTED'];

export { HANDLERS, kindsHandledBy } from '@asky/shared';

/** Where a request of `kind` in `status` may go next. */
export function allowedTransitions(kind: RequestKind, status: RequestStatus): RequestStatus[] {
  if (TERMINAL.includes(status)) return [];
  const path = FORWARD[kind];
  return [path[path.indexOf(status) + 1]!, 'CANCELLED', 'REJECTED'];
}

type Person = Extract<Viewer, { kind: 'user' }>;

/**
 * Checks that `viewer` may move `request` to `to`; CONFLICT (naming the allowed
 * transitions) for a move the workflow does not have, FORBIDDEN for the wrong person,
 * BAD_USER_INPUT for a rejection without a reason.
 */
export function checkTransition(request: Request, to: RequestStatus, viewer: Person, note: string | null): void {
  const allowed = allowedTransitions(request.kind, request.status);
  if (!allowed.includes(to)) {
    throw conflict(
      `A ${request.kind} request cannot go from ${request.status} to ${to}` +
        (allowed.length ? `; allowed: ${allowed.join(', ')}` : ': it is closed'),
      { allowed },
    );
  }
  const admin = viewer.role === 'ADMIN';
  const handler = HANDLERS[request.kind].includes(viewer.role);
  if (to === 'CANCELLED') {
    if (!admin && viewer.id !== request.requesterId)
      throw forbidden('Only the requester or an ADMIN can cancel a request');
  } else if (to === 'REJECTED') {
    if (!handler) throw forbidden(`Only ${HANDLERS[request.kind].join(' or ')} can reject a ${request.kind} request`);
    if (!note) throw badUserInput('Rejecting needs a reason in note', { argument: 'note' });
  } else if (to === 'ACCEPTED') {
    if (!handler) throw forbidden(`Only ${HANDLERS[request.kind].join(' or ')} can accept a ${request.kind} request`);
  } else if (!admin && viewer.id !== request.assigneeId) {
    throw forbidden('Only the person who accepted the request (or an ADMIN) can move it on');
  }
}
