import { badUserInput, parseId } from '@asky/shared';
import type { MutationResolvers } from '../generated/graphql';
import { validNewRequest } from '../newRequest';
import { checkOnHandToComplete } from '../completion';

export const Mutation: MutationResolvers = {
  createRequest: async (_, { input }, ctx) => ctx.commands.create(await validNewRequest(input, ctx.person().id, ctx.catalogue)),
  updateRequestStatus: async (_, { id, status, note }, ctx) => {
    const text = note?.trim() || null;
    if (text && text.length > 1_000) throw badUserInput('note must have at most 1000 characters', { argument: 'note' });
    const requestId = parseId(id);
    const person = ctx.person();
    if (status === 'COMPLETED') await checkOnHandToComplete(await ctx.requests.byId.load(requestId), ctx.catalogue);
    return ctx.commands.transition(requestId, status, person, text);
  },
};
