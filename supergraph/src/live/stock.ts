/**
 * `stockChanged`: the stock events (pyxis' `stock.*`) as live updates. Stock is
 * the hospital's to see for any person (as `dispensers { stock }` is), so a
 * change goes to every subscriber whose arguments it matches, as the event
 * carries it: no follow-up read. What a blind count expected is not in it.
 */
import type { StockEvent } from '@asky/shared';

export interface StockSubscriptionArgs {
  readonly unit?: string | null;
  readonly dispenserId?: string | null;
  readonly medicineId?: string | null;
}

export function wantsStockChange(args: StockSubscriptionArgs, event: StockEvent): boolean {
  if (args.unit && args.unit.toLowerCase() !== event.unit.toLowerCase()) return false;
  if (args.dispenserId && args.dispenserId.toLowerCase() !== event.dispenserId) return false;
  if (args.medicineId && args.medicineId.toLowerCase() !== event.medicineId) return false;
  return true;
}

const TYPES = { 'stock.movement': 'MOVEMENT', 'stock.discrepancy_opened': 'DISCREPANCY_OPENED', 'stock.discrepancy_resolved': 'DISCREPANCY_RESOLVED' } as const;

/** The `StockChange` an event is, by field name. */
export function stockChangeOf(event: StockEvent): Record<string, unknown> {
  const common = {
    __typename: 'StockChange',
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
    return { ...common, movementKind: event.kind, lot: event.lot, delta: event.delta, quantityAfter: event.quantityAfter, reason: event.reason, discrepancyId: null };
  }
  return { ...common, movementKind: null, lot: null, delta: null, quantityAfter: null, reason: event.resolution, discrepancyId: event.discrepancyId };
}
