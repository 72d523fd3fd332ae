import { mayReadRequest } from '../auth/requestAccess';
import type { Role } from '../auth/tokens';
import { DEFAULT_LIVE_LIMITS } from '../config';
import type { RequestEvent } from '../events';
import type { LiveHub } from './hub';
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

/**
 * Checks on an event before anything is read: whether the subscriber may read the
 * request at all (the rule of `request(id)`), then the arguments. The request is
 * read again, with the subscriber's authorization, for its fields.
 */
export function wantsEvent(args: RequestSubscriptionArgs, subscriber: Subscriber, event: RequestEvent): boolean {
  if (!mayReadRequest(subscriber, event)) return false;
  if (args.requestId && args.requestId.toLowerCase() !== event.requestId) return false;
  if (args.status && args.status !== event.status) return false;
  if (args.kind && args.kind !== event.kind) return false;
  if (args.priority && args.priority !== event.priority) return false;
  if (args.unit && args.unit.toLowerCase() !== (event.unit ?? '').toLowerCase()) return false;
  if (args.assignedToMe && event.assigneeId !== subscriber.id) return false;
  return true;
}

/**
 * One subscriber's `requestStatusChanged`, at the gateway and at the request
 * subgraph alike: the hub's events it may see and asked for, each resolved
 * (read again with its own authorization) into its payload.
 */
export function requestStatusStream<P>(
  hub: LiveHub,
  args: RequestSubscriptionArgs,
  subscriber: Subscriber,
  options: Pick<StreamOptions<RequestEvent, P>, 'resolve' | 'onDropped'> & { readonly maxPending?: number },
): AsyncIterableIterator<P> {
  return liveStream<RequestEvent, P>({
    listen: (push) => hub.listen((event) => wantsEvent(args, subscriber, event) && push(event)),
    resolve: options.resolve,
    maxPending: options.maxPending ?? DEFAULT_LIVE_LIMITS.pendingPerSubscriber,
    onDropped: options.onDropped,
  });
}
