/**
 * An update that could not be read from the service that owns it (the database
 * or a subgraph is down): the subscriber is told so — an error with
 * `SERVICE_UNAVAILABLE`, `retryable` and `refetch: true` — rather than left
 * believing what it last saw. The subscription goes on.
 */
import { GraphQLError, type ExecutionResult } from 'graphql';
import { processMetrics } from '@asky/shared';

const UNREADABLE = Symbol('unreadable');

/** The payload standing for an update that could not be read. */
export interface Unreadable {
  readonly [UNREADABLE]: true;
  readonly message: string;
}

export function unreadable(message: string): Unreadable {
  processMetrics.liveUnreadable.inc();
  return { [UNREADABLE]: true, message };
}

export const isUnreadable = (payload: object): payload is Unreadable => UNREADABLE in payload;

/** What a subscriber receives for it. */
export const unreadableResult = (payload: Unreadable): ExecutionResult => ({
  errors: [
    new GraphQLError(payload.message, { extensions: { code: 'SERVICE_UNAVAILABLE', retryable: true, refetch: true } }),
  ],
});
