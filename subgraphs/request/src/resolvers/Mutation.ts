import { badUserInput, parseId, type Witnessed } from '@asky/shared';
import type { MutationResolvers } from '../generated/graphql';
import { validNewRequest } from '../newRequest';
import { checkOnHandToComplete } from '../completion';
import { checkScan } from '../pickUp';
import { checkEndpoint, checkKeys } from '../push/subscriptions';

export const Mutation: MutationResolvers = {
  createRequest: async (_, { input }, ctx) =>
    ctx.commands.create(await validNewRequest(input, ctx.person().id, ctx.catalogue)),
  updateRequestStatus: async (_, { id, status, note, witnessToken, overrideReason, scannedBarcode }, ctx) => {
    const text = note?.trim() || null;
    if (text && text.length > 1_000) throw badUserInput('note must have at most 1000 characters', { argument: 'note' });
    const requestId = parseId(id);
    const person = ctx.person();
    const closing = status === 'CANCELLED' || status === 'REJECTED';
    if (witnessToken && status !== 'COMPLETED' && !closing)
      throw badUserInput(
        'A witness confirms completing a request, or what a request closed in transit brings back; not other moves',
        { argument: 'witnessToken' },
      );
    const override = overrideReason?.trim() || null;
    if (override && (status !== 'COMPLETED' || override.length > 500))
      throw badUserInput('overrideReason (at most 500 characters) is for completing a request', {
        argument: 'overrideReason',
      });
    const request =
      scannedBarcode || status === 'COMPLETED' || (closing && witnessToken)
        ? await ctx.requests.byId.load(requestId)
        : null;
    const scanned = await checkScan(request, status, scannedBarcode, ctx.catalogue);
    let witnessed: Witnessed | null = null;
    if (status === 'COMPLETED') {
      const { controlled } = await checkOnHandToComplete(request, ctx.catalogue, !!override);
      if (controlled || witnessToken)
        witnessed = await ctx.witnesses.confirm(witnessToken, person.id, requestId, {
          act: 'DISPENSE',
          quantity: request?.quantity,
        });
    } else if (closing && witnessToken) {
      // The units a request in transit carried, seen coming back.
      if (request?.status !== 'IN_TRANSIT')
        throw badUserInput(
          'A witness confirms what a request closed in transit brings back: this one is not in transit',
          { argument: 'witnessToken' },
        );
      witnessed = await ctx.witnesses.confirm(witnessToken, person.id, requestId, {
        act: 'RETURN',
        quantity: request.quantity,
        named: true,
      });
    }
    return ctx.commands.transition(requestId, status, person, text, {
      witnessed,
      overrideReason: override,
      scannedBarcode: scanned,
    });
  },
  confirmReceipt: (_, { id }, ctx) => ctx.commands.confirmReceipt(parseId(id), ctx.person()),
  registerPush: async (_, { subscription }, ctx) => {
    const person = ctx.person();
    const endpoint = checkEndpoint(subscription.endpoint, ctx.push.config);
    await ctx.push.subscriptions.register(person, endpoint, checkKeys(subscription.keys));
    return true;
  },
  unregisterPush: (_, { endpoint }, ctx) => ctx.push.subscriptions.unregister(ctx.person().id, endpoint),
};
