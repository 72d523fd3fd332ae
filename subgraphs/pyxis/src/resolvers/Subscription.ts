import { GraphQLError } from 'graphql';
import type { SubscriptionResolvers } from '../generated/graphql';

/** Declared here for the supergraph; the gateway serves it, from the stock events. */
export const Subscription: SubscriptionResolvers = {
  stockChanged: {
    subscribe: () => {
      throw new GraphQLError('stockChanged is served by the gateway over graphql-ws', {
        extensions: { code: 'BAD_REQUEST' },
      });
    },
  },
};
