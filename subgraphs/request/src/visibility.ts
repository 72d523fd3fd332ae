import type { Viewer } from '@asky/shared';
import type { Prisma } from './generated/prisma/client';
import { kindsHandledBy } from './workflow';

/** A filter on requests: what one viewer may see. */
export type RequestScope = Prisma.RequestWhereInput;

/**
 * Row-level visibility, applied inside every query so nobody reads a request they
 * should not even by id (it is simply not found). A NURSE sees her own requests;
 * a CHARGE_NURSE hers and every request made at a dispenser of her units; staff
 * the kinds they work, and their own; ADMIN all. Field access itself is
 * checked by `@access` before this runs. A service sees nothing, except one whose
 * token reads requests (`requests:read`: pyxis, to dispense completed requests).
 */
export function visibleTo(viewer: Viewer | null): RequestScope {
  if (viewer?.kind === 'service' && viewer.scopes.has('requests:read')) return {};
  if (viewer?.kind !== 'user') return { requesterId: { in: [] } }; // not a person, nor a reader of requests: nothing
  if (viewer.role === 'ADMIN') return {};
  if (viewer.role === 'NURSE') return { requesterId: viewer.id };
  if (viewer.role === 'CHARGE_NURSE') return { OR: [{ requesterId: viewer.id }, { unit: { in: [...viewer.units] } }] };
  return { OR: [{ kind: { in: kindsHandledBy(viewer.role) } }, { requesterId: viewer.id }] };
}
