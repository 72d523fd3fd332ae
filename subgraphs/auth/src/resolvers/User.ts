import { forbidden, roleScope } from '@asky/shared';
import type { UserResolvers } from '../generated/graphql';

export const User: UserResolvers = {
  __resolveReference: (reference, { users }) => users.findById(reference.id),
  // Colleagues see each other's names and roles; an e-mail is the person's own and ADMIN's business.
  email: (user, _, { viewer }) => {
    if (viewer?.kind === 'user' && (viewer.id === user.id || viewer.scopes.has(roleScope('ADMIN')))) return user.email;
    throw forbidden("Only the person and an administrator see an account's e-mail");
  },
};
