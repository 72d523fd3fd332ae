/**
 * The changes of a request as this service recorded them: the outbox row written
 * in the transaction that made each change holds the event it announced. Live
 * updates read a change here by the event's id, so what a board shows is what
 * happened, whatever a broker message claims.
 */
import { isUuid, parseEvent } from '@asky/shared';
import type { RequestPrisma } from './client';
import type { RequestStatus } from '../generated/prisma/client';

export interface RecordedChange {
  readonly eventId: string;
  readonly type: 'CREATED' | 'STATUS_CHANGED' | 'ESCALATED';
  readonly previousStatus: RequestStatus | null;
  readonly status: RequestStatus;
  readonly changedById: string | null;
  readonly at: string;
  readonly escalationLevel: number | null;
}

const TYPES = {
  'request.created': 'CREATED',
  'request.status_changed': 'STATUS_CHANGED',
  'request.escalated': 'ESCALATED',
} as const;

/** The change `eventId` announced for `requestId`, or null (no such event of this request). */
export async function recordedChange(
  prisma: RequestPrisma,
  requestId: string,
  eventId: string,
): Promise<RecordedChange | null> {
  if (!isUuid(eventId)) return null;
  const row = await prisma.outboxEvent.findFirst({
    where: { id: eventId.toLowerCase(), requestId },
    select: { routingKey: true, payload: true },
  });
  if (!row) return null;
  const parsed = parseEvent(row.routingKey, row.payload);
  if (!('event' in parsed)) return null; // written by this service: only a bug of ours gets here
  const { event } = parsed;
  if (event.type !== 'request.created' && event.type !== 'request.status_changed' && event.type !== 'request.escalated')
    return null;
  return {
    eventId: event.eventId,
    type: TYPES[event.type],
    previousStatus: 'previousStatus' in event ? event.previousStatus : event.status,
    status: event.status,
    changedById:
      'changedById' in event
        ? (event.changedById ?? (event.type === 'request.created' ? event.requesterId : null))
        : null,
    at: event.occurredAt,
    escalationLevel: 'level' in event ? event.level : null,
  };
}
