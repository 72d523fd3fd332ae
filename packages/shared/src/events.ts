/**
 * Asky's events on RabbitMQ, as API.md publishes them: topic exchange
 * `asky.events`, persistent JSON messages whose `message_id` is the `eventId`.
 */
export const EVENTS_EXCHANGE = 'asky.events';

export const ROUTING_KEYS = {
  requestCreated: 'request.created',
  requestStatusChanged: 'request.status_changed',
  requestEscalated: 'request.escalated',
  stockMovement: 'stock.movement',
  stockDiscrepancyOpened: 'stock.discrepancy_opened',
  stockDiscrepancyResolved: 'stock.discrepancy_resolved',
} as const;
export type RoutingKey = (typeof ROUTING_KEYS)[keyof typeof ROUTING_KEYS];

/** The body of `request.created` and `request.status_changed` (ids as strings, times ISO-8601). */
export interface RequestEvent {
  readonly eventId: string;
  readonly type: typeof ROUTING_KEYS.requestCreated | typeof ROUTING_KEYS.requestStatusChanged;
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

/** Where a stock event happened: the slot, its dispenser and unit, and the item. */
interface StockPlace {
  readonly eventId: string;
  readonly occurredAt: string;
  readonly slotId: string;
  readonly slot: string;
  readonly dispenserId: string;
  readonly unit: string;
  readonly medicineId: string | null;
  readonly materialId: string | null;
}

/** The body of `stock.movement`: one movement of one lot of a slot (pyxis). */
export interface StockMovementEvent extends StockPlace {
  readonly type: typeof ROUTING_KEYS.stockMovement;
  readonly movementId: string;
  /** ASSIGN, RESTOCK, ADJUST, DISPENSE, RETURN, WASTE or COUNT. */
  readonly kind: string;
  readonly lot: string | null;
  readonly delta: number;
  readonly quantityAfter: number;
  readonly actorId: string;
  readonly witnessId: string | null;
  readonly requestId: string | null;
  readonly reason: string | null;
}

/** The body of `stock.discrepancy_opened` and `stock.discrepancy_resolved` (pyxis). */
export interface StockDiscrepancyEvent extends StockPlace {
  readonly type: typeof ROUTING_KEYS.stockDiscrepancyOpened | typeof ROUTING_KEYS.stockDiscrepancyResolved;
  readonly discrepancyId: string;
  /** COUNT or DISPENSE. */
  readonly source: string;
  readonly expected: number;
  readonly counted: number;
  readonly requestId: string | null;
  /** Who opened it, or (resolved) who resolved it. */
  readonly actorId: string;
  readonly witnessId: string | null;
  /** Set once resolved. */
  readonly resolution: string | null;
}

/** The body of `request.escalated`: a STAT or ASAP request still PENDING past its priority's wait (request). */
export interface RequestEscalatedEvent {
  readonly eventId: string;
  readonly type: typeof ROUTING_KEYS.requestEscalated;
  readonly occurredAt: string;
  readonly requestId: string;
  readonly kind: 'MEDICINE' | 'MATERIAL' | 'ASSISTANCE';
  readonly priority: 'ROUTINE' | 'URGENT' | 'ASAP' | 'STAT';
  readonly status: string;
  /** 1 the first time, 2 after a second period still unattended. */
  readonly level: number;
  /** How long it had waited, in seconds. */
  readonly waitedSeconds: number;
  readonly requesterId: string;
  readonly dispenserId: string | null;
  /** The dispenser's unit: whose supervisors are told. */
  readonly unit: string | null;
}
