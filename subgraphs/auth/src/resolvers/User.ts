import type { UserResolvers } from '../generated/graphql';

export const User: UserResolvers = {
  __resolveReference: (reference, { users }) => users.findById(reference.id),
};
