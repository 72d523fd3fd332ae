import { recordedChange } from './changes';
import { createByIdLoader, createGroupLoader, type PageArgs } from '@asky/shared';
import type { RequestPrisma } from './client';
import type { Prisma, RequestKind } from '../generated/prisma/client';
import type { RequestScope } from '../visibility';
import { TERMINAL } from '../workflow';

/** Most urgent first (the enum is declared ROUTINE → STAT), then oldest first. */
const BY_URGENCY: Prisma.RequestOrderByWithRelationInput[] = [
  { priority: 'desc' },
  { createdAt: 'asc' },
  { id: 'asc' },
];
const NEWEST_FIRST: Prisma.RequestOrderByWithRelationInput[] = [{ createdAt: 'desc' }, { id: 'desc' }];
const OPEN: Prisma.RequestWhereInput = { status: { notIn: [...TERMINAL] } };

/** Requests the viewer may see, and their history; lookups by id are batched per request. */
export class RequestRepository {
  readonly byId = createByIdLoader((ids) =>
    this.prisma.request.findMany({ where: { ...this.scope, id: { in: ids } } }),
  );
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

  /** The change an event announced for a request the viewer reads (see changes.ts). */
  change(requestId: string, eventId: string) {
    return recordedChange(this.prisma, requestId, eventId);
  }

  /** Filtered, most urgent first, keyset-paginated so pages never skip or repeat. */
  list(where: Prisma.RequestWhereInput, page: PageArgs) {
    return this.page({ AND: [this.scope, where] }, BY_URGENCY, page);
  }

  mine(requesterId: string, where: Prisma.RequestWhereInput, page: PageArgs) {
    return this.page({ AND: [where, { requesterId }] }, NEWEST_FIRST, page);
  }

  lastOf(requesterId: string) {
    return this.prisma.request.findFirst({ where: { requesterId }, orderBy: NEWEST_FIRST });
  }

  /** PENDING requests of the given kinds: what to pick up next. */
  queue(kinds: RequestKind[], page: PageArgs) {
    return this.page({ status: 'PENDING', kind: { in: kinds } }, BY_URGENCY, page);
  }

  assignedTo(assigneeId: string) {
    return this.prisma.request.findMany({ where: { ...OPEN, assigneeId }, orderBy: BY_URGENCY });
  }

  private page(
    where: Prisma.RequestWhereInput,
    orderBy: Prisma.RequestOrderByWithRelationInput[],
    { first, after }: PageArgs,
  ) {
    return this.prisma.request.findMany({
      where,
      orderBy,
      take: first,
      ...(after ? { cursor: { id: after }, skip: 1 } : {}),
    });
  }
}
