import { forbidden, hashPassword, notFound, parseId, personViewer } from '@asky/shared';
import type { MutationResolvers } from '../generated/graphql';
import type { Context } from '../context';
import type { AuthSession } from '../sessions';
import { checkPassword, validEmail, validName, validUnits } from '../validation';

/** The rest of the operation (e.g. `AuthPayload.user`) runs as the person who just logged in. */
function actAs(ctx: Context, session: AuthSession): AuthSession {
  ctx.viewer = personViewer(session.user.id, session.user.role, session.user.passwordChangeRequired);
  return session;
}

export const Mutation: MutationResolvers = {
  register: async (_, args, ctx) => actAs(ctx, await ctx.sessions.register(args, ctx.clientAddress)),
  login: async (_, { email, password }, ctx) => actAs(ctx, await ctx.sessions.login(email, password, ctx.clientAddress)),
  refreshToken: async (_, { refreshToken }, ctx) => actAs(ctx, await ctx.sessions.refresh(refreshToken)),
  logout: (_, { refreshToken }, { sessions }) => sessions.logout(refreshToken),
  witness: async (_, { email, password, subjectId }, ctx) => {
    if (ctx.viewer?.kind !== 'user') throw forbidden('Only a person acts with a witness');
    const { token, expiresIn, user } = await ctx.sessions.witness(ctx.viewer.id, email, password, parseId(subjectId, 'subjectId'), ctx.clientAddress);
    return { token, expiresIn, witness: user };
  },
  changePassword: async (_, { currentPassword, newPassword }, ctx) => {
    if (ctx.viewer?.kind !== 'user') throw forbidden('Only a person has a password');
    return actAs(ctx, await ctx.sessions.changePassword(ctx.viewer.id, currentPassword, newPassword, ctx.clientAddress));
  },
  createUser: async (_, { input }, { users }) => {
    const email = validEmail(input.email);
    checkPassword(input.password, email);
    // A password the administrator knows: the person picks their own at first login.
    const units = validUnits(input.units ?? [], input.role);
    return users.create({ name: validName(input.name), email, passwordHash: await hashPassword(input.password), role: input.role, passwordChangeRequired: true, units });
  },
  setUserUnits: async (_, { id, units }, { users }) => {
    const user = await users.findById(parseId(id));
    if (!user) throw notFound('No such user');
    return users.setUnits(user.id, validUnits(units, user.role));
  },
  changeUserRole: (_, { id, role }, { users }) => users.setRole(parseId(id), role),
  deactivateUser: (_, { id }, { users }) => users.deactivate(parseId(id)),
};
