import type { Viewer } from '@asky/shared';

/** A filter on requests: what one viewer may see. */
export type RequestScope = { readonly requesterId?: string | { readonly in: string[] } };

/** Roles that work the queue and so see every request; a NURSE sees her own. */
const STAFF = new Set(['PHARMACIST', 'TECHNICIAN', 'ADMIN']);

/**
 * Row-level visibility, applied inside every query so a nurse cannot read someone
 * else's request even by id (it is simply not found). Field access itself is
 * checked by `@access` before this runs.
 */
export function visibleTo(viewer: Viewer | null): RequestScope {
  if (viewer?.kind === 'user' && STAFF.has(viewer.role)) return {};
  if (viewer?.kind === 'user') return { requesterId: viewer.id };
  return { requesterId: { in: [] } }; // not a person: nothing
}
