import type { SubscriptionResolvers } from '../generated/graphql';
import { requestStatusChanges, type StatusChange } from '../live';

export const Subscription: SubscriptionResolvers = {
  requestStatusChanged: {
    subscribe: (_root, args, ctx) => requestStatusChanges(ctx.live(), args, ctx),
    resolve: (change: StatusChange) => change,
  },
};
