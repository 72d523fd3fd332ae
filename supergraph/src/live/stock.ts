/**
 * `stockChanged`: pyxis' stock events as live updates. Stock is the hospital's to
 * see for any person (as `dispensers { stock }` is), so a change goes to every
 * subscriber whose arguments it matches. What is sent is read from pyxis' own
 * record of the change (`stockChange(eventId)`), once per event for everyone, and
 * the arguments are checked again on it: a broker message is only a hint.
 */
import type { StockEvent } from '@asky/shared';

export interface StockSubscriptionArgs {
  readonly unit?: string | null;
  readonly dispenserId?: string | null;
  readonly medicineId?: string | null;
}

/** Where a stock change happened and to what: what the arguments are checked against. */
type StockPlace = Pick<StockEvent, 'unit' | 'dispenserId' | 'medicineId'>;

export function wantsStockChange(args: StockSubscriptionArgs, change: StockPlace): boolean {
  if (args.unit && args.unit.toLowerCase() !== change.unit.toLowerCase()) return false;
  if (args.dispenserId && args.dispenserId.toLowerCase() !== change.dispenserId) return false;
  if (args.medicineId && args.medicineId.toLowerCase() !== change.medicineId) return false;
  return true;
}

/** Every field of `StockChange`, read by the event's id. */
export const STOCK_CHANGE_QUERY = `query LiveStockChange($__eventId: ID!) {
  stockChange(eventId: $__eventId) { type slotId slot dispenserId unit medicineId materialId movementKind lot delta quantityAfter actorId witnessId requestId reason discrepancyId at }
}`;
