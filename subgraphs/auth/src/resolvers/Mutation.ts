import {
  badUserInput,
  forbidden,
  hashPassword,
  notFound,
  parseId,
  personViewer,
  type WitnessedAct,
} from '@asky/shared';
import type { MutationResolvers } from '../generated/graphql';
import type { Context } from '../context';
import type { AuthSession } from '../sessions';
import type { WitnessedDeed } from '../tokens';
import { checkPassword, validEmail, validName, validRegistration, validUnits } from '../validation';

/** The most acts one witness sign-in confirms (a cabinet's restock round). */
const MAX_ROUND = 50;

const actorOf = (ctx: Context): string => {
  if (ctx.viewer?.kind !== 'user') throw forbidden('Only a person acts with a witness');
  return ctx.viewer.id;
};

/** What a witness confirms, checked: the subject, and the act and its quantity when named. */
function witnessedDeed(
  subjectId: string,
  act: WitnessedAct | null | undefined,
  quantity: number | null | undefined,
): WitnessedDeed {
  const qty = quantity ?? undefined;
  if (qty !== undefined && Math.abs(qty) > 100_000)
    throw badUserInput('quantity must be between -100000 and 100000 (an adjustment is signed)', {
      argument: 'quantity',
    });
  return {
    what: parseId(subjectId, 'subjectId'),
    ...(act ? { deed: act } : {}),
    ...(qty !== undefined ? { qty } : {}),
  };
}

/** The rest of the operation (e.g. `AuthPayload.user`) runs as the person who just logged in. */
function actAs(ctx: Context, session: AuthSession): AuthSession {
  ctx.viewer = personViewer(session.user.id, session.user.role, session.user.passwordChangeRequired);
  return session;
}

export const Mutation: MutationResolvers = {
  register: async (_, args, ctx) => actAs(ctx, await ctx.sessions.register(args, ctx.clientAddress)),
  login: async (_, { email, password }, ctx) =>
    actAs(ctx, await ctx.sessions.login(email, password, ctx.clientAddress)),
  refreshToken: async (_, { refreshToken }, ctx) => actAs(ctx, await ctx.sessions.refresh(refreshToken)),
  logout: (_, { refreshToken }, { sessions }) => sessions.logout(refreshToken),
  witness: async (_, { email, password, subjectId, act, quantity }, ctx) => {
    const [confirmation] = await ctx.sessions.witness(
      actorOf(ctx),
      email,
      password,
      [witnessedDeed(subjectId, act, quantity)],
      ctx.clientAddress,
    );
    return confirmation!;
  },
  witnessRound: async (_, { email, password, acts }, ctx) => {
    if (acts.length < 1 || acts.length > MAX_ROUND)
      throw badUserInput(`A round names 1 to ${MAX_ROUND} acts`, { argument: 'acts' });
    return ctx.sessions.witness(
      actorOf(ctx),
      email,
      password,
      acts.map((a) => witnessedDeed(a.subjectId, a.act, a.quantity)),
      ctx.clientAddress,
    );
  },
  changePassword: async (_, { currentPassword, newPassword }, ctx) => {
    if (ctx.viewer?.kind !== 'user') throw forbidden('Only a person has a password');
    return actAs(
      ctx,
      await ctx.sessions.changePassword(ctx.viewer.id, currentPassword, newPassword, ctx.clientAddress),
    );
  },
  createUser: async (_, { input }, { users }) => {
    const email = validEmail(input.email);
    checkPassword(input.password, email);
    // A password the administrator knows: the person picks their own at first login.
    const units = validUnits(input.units ?? [], input.role);
    const registration = validRegistration(input.registration);
    return users.create({
      name: validName(input.name),
      email,
      passwordHash: await hashPassword(input.password),
      role: input.role,
      passwordChangeRequired: true,
      units,
      registration,
    });
  },
  setUserUnits: async (_, { id, units }, { users }) => {
    const user = await users.findById(parseId(id));
    if (!user) throw notFound('No such user');
    return users.setUnits(user.id, validUnits(units, user.role));
  },
  changeUserRole: (_, { id, role }, { users }) => users.setRole(parseId(id), role),
  setUserRegistration: (_, { id, registration }, { users }) =>
    users.setRegistration(parseId(id), validRegistration(registration)),
  deactivateUser: (_, { id }, { users }) => users.deactivate(parseId(id)),
};
