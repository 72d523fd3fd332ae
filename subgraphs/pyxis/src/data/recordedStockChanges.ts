/**
 * Stock changes as pyxis recorded them: the outbox row written in the transaction
 * that moved the stock holds the event it announced. Live updates read a change
 * here by the event's id, so what a board shows is what happened, whatever a
 * broker message claims.
 */
import { isUuid, parseEvent } from '@asky/shared';
import type { PyxisPrisma } from './client';

const TYPES = {
  'stock.movement': 'MOVEMENT',
  'stock.discrepancy_opened': 'DISCREPANCY_OPENED',
  'stock.discrepancy_resolved': 'DISCREPANCY_RESOLVED',
} as const;

/** A `StockChange`, by field name. */
export interface RecordedStockChange {
  readonly type: (typeof TYPES)[keyof typeof TYPES];
  readonly slotId: string;
  readonly slot: string;
  readonly dispenserId: string;
  readonly unit: string;
  readonly medicineId: string | null;
  readonly materialId: string | null;
  readonly movementKind: string | null;
  readonly lot: string | null;
  readonly delta: number | null;
  readonly quantityAfter: number | null;
  readonly actorId: string;
  readonly witnessId: string | null;
  readonly requestId: string | null;
  readonly reason: string | null;
  readonly discrepancyId: string | null;
  readonly at: string;
}

/** The stock change `eventId` announced, or null when pyxis announced no such change. */
export async function recordedStockChange(prisma: PyxisPrisma, eventId: string): Promise<RecordedStockChange | null> {
  if (!isUuid(eventId)) return null;
  const row = await prisma.outboxEvent.findUnique({
    where: { id: eventId.toLowerCase() },
    select: { routingKey: true, payload: true },
  });
  const parsed = row ? parseEvent(row.routingKey, row.payload) : undefined;
  if (!parsed || !('event' in parsed)) return null;
  const { event } = parsed;
  if (
    event.type !== 'stock.movement' &&
    event.type !== 'stock.discrepancy_opened' &&
    event.type !== 'stock.discrepancy_resolved'
  )
    return null;
  const common = {
    type: TYPES[event.type],
    slotId: event.slotId,
    slot: event.slot,
    dispenserId: event.dispenserId,
    unit: event.unit,
    medicineId: event.medicineId,
    materialId: event.materialId,
    actorId: event.actorId,
    witnessId: event.witnessId,
    requestId: event.requestId,
    at: event.occurredAt,
  };
  if (event.type === 'stock.movement') {
    return {
      ...common,
      movementKind: event.kind,
      lot: event.lot,
      delta: event.delta,
      quantityAfter: event.quantityAfter,
      reason: event.reason,
      discrepancyId: null,
    };
  }
  return {
    ...common,
    movementKind: null,
    lot: null,
    delta: null,
    quantityAfter: null,
    reason: event.resolution,
    discrepancyId: event.discrepancyId,
  };
}
