import { createByIdLoader, createGroupLoader } from '@asky/shared';
import type { RequestPrisma } from './client';
import type { RequestKind, RequestStatus } from '../generated/prisma/client';
import type { RequestScope } from '../visibility';

export interface RequestFilter {
  readonly status?: RequestStatus | null;
  readonly kind?: RequestKind | null;
  /** How many, already validated. */
  readonly first: number;
  /** The id of the last request of the previous page. */
  readonly after?: string | null;
}

/** Requests the viewer may see, and their history; lookups by id are batched per request. */
export class RequestRepository {
  readonly byId = createByIdLoader((ids) => this.prisma.request.findMany({ where: { ...this.scope, id: { in: ids } } }));
  readonly history = createGroupLoader(
    (ids) => this.prisma.statusHistory.findMany({ where: { requestId: { in: ids } }, orderBy: { at: 'asc' } }),
    (entry) => entry.requestId,
  );

  /**
   * @param scope the rows this viewer may see (see visibility.ts), part of every query
   */
  constructor(
    private readonly prisma: RequestPrisma,
    private readonly scope: RequestScope,
  ) {}

  /** Newest first, keyset-paginated on (createdAt, id) so pages never skip or repeat. */
  list({ status, kind, first, after }: RequestFilter) {
    return this.prisma.request.findMany({
      where: { ...this.scope, status: status ?? undefined, kind: kind ?? undefined },
      orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
      take: first,
      ...(after ? { cursor: { id: after }, skip: 1 } : {}),
    });
  }
}
