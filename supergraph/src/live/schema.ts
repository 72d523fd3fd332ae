/**
 * The schema live subscriptions execute against: a copy of the gateway's API
 * schema (the supergraph declares `Subscription`, owned by the request
 * subgraph), so the gateway can attach its own `subscribe` without touching the
 * schema it serves queries with. Rebuilt whenever the gateway loads a supergraph.
 */
import { buildSchema, printSchema, type GraphQLSchema } from 'graphql';

export function buildLiveSchema(apiSchema: GraphQLSchema): GraphQLSchema {
  const live = buildSchema(printSchema(apiSchema));
  if (!live.getSubscriptionType()?.getFields().requestStatusChanged) {
    throw new Error('the supergraph has no Subscription.requestStatusChanged: run `npm run compose`');
  }
  return live;
}
