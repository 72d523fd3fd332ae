import { isUuid, parseId } from '@asky/shared';
import type { QueryResolvers } from '../generated/graphql';

export const Query: QueryResolvers = {
  me: (_, __, { viewer, users }) => (viewer?.kind === 'user' ? users.findById(viewer.id) : null),
  user: (_, { id }, { users }) => users.findById(parseId(id)),
  users: (_, __, { users }) => users.list(),
  userStatuses: (_, { ids }, { users }) => users.statuses(ids.filter(isUuid)),
};
