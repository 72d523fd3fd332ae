import type { RequestEvent } from '../events';

/** The arguments of `Subscription.requestStatusChanged`. */
export interface RequestSubscriptionArgs {
  readonly requestId?: string | null;
  readonly status?: string | null;
  readonly kind?: string | null;
  readonly priority?: string | null;
  readonly unit?: string | null;
  readonly assignedToMe?: boolean | null;
}

/** Who subscribes: a user id and role (services do not subscribe). */
export interface Subscriber {
  readonly id: string;
  readonly role: string;
}

/**
 * Cheap checks on an event before anything is read: the arguments, and a
 * nurse's own requests only. Who may see the request is decided again, for
 * real, when it is read with the subscriber's authorization.
 */
export function wantsEvent(args: RequestSubscriptionArgs, subscriber: Subscriber, event: RequestEvent): boolean {
  if (subscriber.role === 'NURSE' && event.requesterId !== subscriber.id) return false;
  if (args.requestId && args.requestId.toLowerCase() !== event.requestId) return false;
  if (args.status && args.status !== event.status) return false;
  if (args.kind && args.kind !== event.kind) return false;
  if (args.priority && args.priority !== event.priority) return false;
  if (args.unit && args.unit.toLowerCase() !== (event.unit ?? '').toLowerCase()) return false;
  if (args.assignedToMe && event.assigneeId !== subscriber.id) return false;
  return true;
}
