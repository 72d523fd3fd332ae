import { badUserInput, parseId } from '@asky/shared';
import type { MutationResolvers } from '../generated/graphql';
import { validNewRequest } from '../newRequest';

export const Mutation: MutationResolvers = {
  createRequest: async (_, { input }, ctx) => ctx.commands.create(await validNewRequest(input, ctx.person().id, ctx.catalogue)),
  updateRequestStatus: (_, { id, status, note }, ctx) => {
    const text = note?.trim() || null;
    if (text && text.length > 1_000) throw badUserInput('note must have at most 1000 characters', { argument: 'note' });
    return ctx.commands.transition(parseId(id), status, ctx.person(), text);
  },
};
