import { connectionOf, parseId, parsePage, parseInstant, serviceUnavailable } from '@asky/shared';
import type { QueryResolvers, RequestFilter } from '../generated/graphql';
import type { Prisma } from '../generated/prisma/client';
import { kindsHandledBy } from '../workflow';

export const MAX_PAGE_SIZE = 200;

const pageArgs = (first: number | null | undefined, after: string | null | undefined) =>
  parsePage(first, after, { fallback: 20, max: MAX_PAGE_SIZE });

/** A date-time filter: without an offset, the hospital's local time (a date alone: its midnight). */
const instant = (value: string | null | undefined, argument: string): Date | undefined =>
  value ? parseInstant(value, argument) : undefined;

/** `requests`' condition: the filter and the shorthand `status`/`kind`. */
const listWhere = (args: {
  status?: Prisma.RequestWhereInput['status'] | null;
  kind?: Prisma.RequestWhereInput['kind'] | null;
  filter?: RequestFilter | null;
}) => ({
  AND: [whereOf(args.filter), { status: args.status ?? undefined, kind: args.kind ?? undefined }],
});

/** The filter arguments as a Prisma condition; the shorthand `status`/`kind` arguments narrow it further. */
function whereOf(filter: RequestFilter | null | undefined): Prisma.RequestWhereInput {
  return {
    status: filter?.status ? { in: filter.status } : undefined,
    kind: filter?.kind ? { in: filter.kind } : undefined,
    priority: filter?.priority ? { in: filter.priority } : undefined,
    requesterId: filter?.requesterId ? parseId(filter.requesterId, 'requesterId') : undefined,
    assigneeId: filter?.assigneeId ? parseId(filter.assigneeId, 'assigneeId') : undefined,
    unit: filter?.unit ? { equals: filter.unit, mode: 'insensitive' } : undefined,
    createdAt: {
      gte: instant(filter?.createdAfter, 'createdAfter'),
      lt: instant(filter?.createdBefore, 'createdBefore'),
    },
  };
}

export const Query: QueryResolvers = {
  pushSettings: (_, __, { push }) => {
    const publicKey = push.publicKey();
    if (!publicKey) throw serviceUnavailable('push is starting: try again');
    return { publicKey };
  },
  request: (_, { id }, { requests }) => requests.byId.load(parseId(id)),
  requests: (_, args, { requests }) => requests.list(listWhere(args), pageArgs(args.first, args.after)),
  requestsConnection: (_, args, { requests }) =>
    connectionOf(pageArgs(args.first, args.after), (page) => requests.list(listWhere(args), page)),
  myRequests: (_, { status, first, after }, ctx) =>
    ctx.requests.mine(ctx.person().id, { status: status ? { in: status } : undefined }, pageArgs(first, after)),
  myRequestsConnection: (_, { status, first, after }, ctx) =>
    connectionOf(pageArgs(first, after), (page) =>
      ctx.requests.mine(ctx.person().id, { status: status ? { in: status } : undefined }, page),
    ),
  myLastRequest: (_, __, ctx) => ctx.requests.lastOf(ctx.person().id),
  queue: (_, { first, after }, ctx) => ctx.requests.queue(kindsHandledBy(ctx.person().role), pageArgs(first, after)),
  queueConnection: (_, { first, after }, ctx) =>
    connectionOf(pageArgs(first, after), (page) => ctx.requests.queue(kindsHandledBy(ctx.person().role), page)),
  assignedToMe: (_, __, ctx) => ctx.requests.assignedTo(ctx.person().id),
};
