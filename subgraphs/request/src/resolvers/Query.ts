import { badUserInput, parseId } from '@asky/shared';
import type { QueryResolvers } from '../generated/graphql';

export const MAX_PAGE_SIZE = 100;

export const Query: QueryResolvers = {
  request: (_, { id }, { requests }) => requests.byId.load(parseId(id)),
  requests: (_, { status, kind, first, after }, { requests }) => {
    const size = first ?? 20;
    if (!Number.isInteger(size) || size < 1 || size > MAX_PAGE_SIZE) {
      throw badUserInput(`first must be between 1 and ${MAX_PAGE_SIZE}`, { argument: 'first' });
    }
    return requests.list({ status, kind, first: size, after: after ? parseId(after, 'after') : null });
  },
};
