/**
 * The subscription schema: the gateway's API schema (every type of the
 * supergraph) extended with `Subscription.requestStatusChanged`, rebuilt whenever
 * the gateway loads a supergraph.
 */
import { extendSchema, parse, type GraphQLSchema } from 'graphql';

export const LIVE_SDL = /* GraphQL */ `
  "A new request (previousStatus null) or a status change, with the request as it is now."
  type RequestStatusChange {
    "The whole entity: fields of every subgraph resolve."
    request: Request!
    previousStatus: RequestStatus
    status: RequestStatus!
    changedBy: User
    "ISO-8601."
    at: String!
  }

  type Subscription {
    """
    Every creation and status change of the requests the caller may see; the
    arguments narrow it (unit: the dispenser's unit; assignedToMe: requests the
    caller accepted).
    """
    requestStatusChanged(requestId: ID, status: RequestStatus, kind: RequestKind, priority: Priority, unit: String, assignedToMe: Boolean): RequestStatusChange!
  }

  extend schema {
    subscription: Subscription
  }
`;

/** `apiSchema` with the subscription types added. */
export const buildLiveSchema = (apiSchema: GraphQLSchema): GraphQLSchema => extendSchema(apiSchema, parse(LIVE_SDL));
