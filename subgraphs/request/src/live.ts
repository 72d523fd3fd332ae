/**
 * `Subscription.requestStatusChanged` as this subgraph serves it (to a router in
 * passthrough mode): each event the subscriber wants, with the request read
 * again under the subscriber's visibility — not visible, not sent.
 */
import { requestStatusStream, type LiveHub, type RequestSubscriptionArgs } from '@asky/shared';
import type { Context } from './context';
import type { Request } from './generated/prisma/client';
import { reference, type Reference } from './data/references';

export interface StatusChange {
  readonly request: Request;
  readonly previousStatus: string | null;
  readonly status: string;
  readonly changedBy: Reference | null;
  readonly at: string;
}

export function requestStatusChanges(hub: LiveHub, args: RequestSubscriptionArgs, ctx: Context): AsyncIterableIterator<StatusChange> {
  return requestStatusStream<StatusChange>(hub, args, ctx.person(), {
    resolve: async (event) => {
      const request = await ctx.requests.current(event.requestId);
      if (!request) return undefined;
      return { request, previousStatus: event.previousStatus, status: event.status, changedBy: reference(event.changedById ?? event.requesterId), at: event.occurredAt };
    },
    onDropped: () => undefined, // the stream ends: graphql-ws completes the subscription
  });
}
