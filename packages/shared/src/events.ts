/**
 * Asky's events on RabbitMQ, as API.md publishes them: topic exchange
 * `asky.events`, persistent JSON messages whose `message_id` is the `eventId`.
 */
export const EVENTS_EXCHANGE = 'asky.events';

export const ROUTING_KEYS = {
  requestCreated: 'request.created',
  requestStatusChanged: 'request.status_changed',
} as const;
export type RoutingKey = (typeof ROUTING_KEYS)[keyof typeof ROUTING_KEYS];

/** The body of `request.created` and `request.status_changed` (ids as strings, times ISO-8601). */
export interface RequestEvent {
  readonly eventId: string;
  readonly type: RoutingKey;
  readonly occurredAt: string;
  readonly requestId: string;
  readonly kind: 'MEDICINE' | 'MATERIAL' | 'ASSISTANCE';
  readonly priority: 'ROUTINE' | 'URGENT' | 'ASAP' | 'STAT';
  readonly status: string;
  /** Null when the request was just created. */
  readonly previousStatus: string | null;
  readonly requesterId: string;
  readonly changedById: string | null;
  readonly dispenserId: string | null;
  readonly medicineId: string | null;
  readonly materialId: string | null;
  readonly quantity: number | null;
  /** Extensions to API.md's body: the dispenser's unit and who accepted the request. */
  readonly unit: string | null;
  readonly assigneeId: string | null;
  /** Extension: the `X-Request-Id` of the client request that caused the change, to follow it across logs. */
  readonly correlationId?: string;
}
