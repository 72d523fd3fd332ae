import { mayReadRequest } from '../auth/requestAccess';
import type { Role } from '../auth/tokens';
import { DEFAULT_LIVE_LIMITS } from '../config';
import type { LiveHub, RequestChangeEvent } from './hub';
import { liveStream, type StreamOptions } from './stream';

/** The arguments of `Subscription.requestStatusChanged`. */
export interface RequestSubscriptionArgs {
  readonly requestId?: string | null;
  readonly status?: string | null;
  readonly kind?: string | null;
  readonly priority?: string | null;
  readonly unit?: string | null;
  readonly assignedToMe?: boolean | null;
}

/** Who subscribes: a user id, their current role and (CHARGE_NURSE) units (services do not subscribe). */
export interface Subscriber {
  readonly id: string;
  readonly role: Role;
  readonly units?: readonly string[];
}

/** Whether an account re-checked still reads requests as when it subscribed (same role, same units): otherwise its sockets close. */
export const readsAlike = (before: Subscriber, now: Subscriber): boolean =>
  before.role === now.role && (before.units ?? []).join('|') === (now.units ?? []).join('|');

/** What an update's arguments are checked against: an event's claims first, then the request as read. */
export interface RequestFacts {
  readonly requestId: string;
  readonly kind: string;
  readonly status: string;
  readonly priority: string;
  readonly unit: string | null;
  readonly assigneeId?: string | null;
}

/** Whether a change of a request with these facts is one the subscription's arguments ask for. */
export function matchesArgs(args: RequestSubscriptionArgs, subscriber: Subscriber, facts: RequestFacts): boolean {
  if (args.requestId && args.requestId.toLowerCase() !== facts.requestId) return false;
  if (args.status && args.status !== facts.status) return false;
  if (args.kind && args.kind !== facts.kind) return false;
  if (args.priority && args.priority !== facts.priority) return false;
  if (args.unit && args.unit.toLowerCase() !== (facts.unit ?? '').toLowerCase()) return false;
  if (args.assignedToMe && facts.assigneeId !== subscriber.id) return false;
  return true;
}

/**
 * Checks on an event before anything is read, on what it claims (a hint: it was
 * checked against its schema, not believed): whether the subscriber may read
 * the request at all (the rule of `request(id)`), then the arguments. What is
 * sent is read again, with the subscriber's authorization, and the arguments
 * checked again on it.
 */
export function wantsEvent(args: RequestSubscriptionArgs, subscriber: Subscriber, event: RequestChangeEvent): boolean {
  return (
    mayReadRequest(subscriber, event) &&
    matchesArgs(args, subscriber, { ...event, assigneeId: 'assigneeId' in event ? event.assigneeId : undefined })
  );
}

/**
 * One subscriber's `requestStatusChanged`: the hub's events it may see and asked
 * for, each resolved (read again with its own authorization) into its payload.
 */
export function requestStatusStream<P>(
  hub: LiveHub<RequestChangeEvent>,
  args: RequestSubscriptionArgs,
  subscriber: Subscriber,
  options: Pick<StreamOptions<RequestChangeEvent, P>, 'resolve' | 'onDropped'> & { readonly maxPending?: number },
): AsyncIterableIterator<P> {
  return liveStream<RequestChangeEvent, P>({
    listen: (push) => hub.listen((event) => wantsEvent(args, subscriber, event) && push(event)),
    resolve: options.resolve,
    maxPending: options.maxPending ?? DEFAULT_LIVE_LIMITS.pendingPerSubscriber,
    onDropped: options.onDropped,
  });
}
