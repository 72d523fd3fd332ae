/**
 * The lots a slot holds. A slot keeps several lots, each with its quantity and
 * expiry; its `quantity` is their sum. Units leave first expiry first (FEFO) and
 * never from an expired lot when they are dispensed; counts and waste may take
 * expired units (that is how an expired lot leaves). Every function here runs in
 * a transaction that has locked the slot row first (as every stock change does),
 * so a slot's lots change one transaction at a time.
 */
import { badUserInput, conflict } from '@asky/shared';
import type { PyxisTransaction } from './client';
import type { StockLot } from '../generated/prisma/client';
import { hospitalDay } from '../validation';

/** Whether a lot is past its expiry date (UTC): nothing is promised or dispensed from it. */
export const isExpired = (lot: { expiresAt: Date | null }, today = hospitalDay()): boolean =>
  !!lot.expiresAt && lot.expiresAt < today;

/** First expiry first; lots without an expiry last; then the oldest received. */
export function firstExpiryFirst(
  a: Pick<StockLot, 'expiresAt' | 'receivedAt'>,
  b: Pick<StockLot, 'expiresAt' | 'receivedAt'>,
): number {
  const [x, y] = [a.expiresAt?.getTime() ?? Infinity, b.expiresAt?.getTime() ?? Infinity];
  return x === y ? a.receivedAt.getTime() - b.receivedAt.getTime() : x - y;
}

/** What units of a slot can still be dispensed: those of unexpired lots. */
export const unexpiredIn = (lots: readonly Pick<StockLot, 'expiresAt' | 'quantity'>[], today = hospitalDay()): number =>
  lots.reduce((sum, lot) => sum + (isExpired(lot, today) ? 0 : lot.quantity), 0);

/** What one change took from (or put in) one lot. */
export interface LotPart {
  readonly lot: string | null;
  readonly expiresAt: Date | null;
  /** Signed. */
  readonly delta: number;
  /** Signed change of what is carried in transit (see custody.ts); 0 when not given. */
  readonly carried?: number;
}

export const lotsOfSlot = (tx: PyxisTransaction, stockItemId: string) =>
  tx.stockLot.findMany({ where: { stockItemId } });

/**
 * Puts `quantity` in the slot's `lot` (a new lot, or more of one it holds: its
 * expiry must be the one recorded). `lot` null: units whose lot is not known.
 */
export async function addToLot(
  tx: PyxisTransaction,
  stockItemId: string,
  lot: string | null,
  expiresAt: Date | null,
  quantity: number,
): Promise<LotPart> {
  const held = await tx.stockLot.findFirst({ where: { stockItemId, lot } });
  if (held) {
    if (expiresAt && held.expiresAt?.getTime() !== expiresAt.getTime()) {
      throw conflict(
        `Lot ${lot} is in this slot with expiry ${held.expiresAt?.toISOString().slice(0, 10) ?? 'unknown'}: check the package`,
      );
    }
    await tx.stockLot.update({ where: { id: held.id }, data: { quantity: { increment: quantity } } });
    return { lot, expiresAt: held.expiresAt, delta: quantity };
  }
  await tx.stockLot.create({ data: { stockItemId, lot, expiresAt, quantity } });
  return { lot, expiresAt, delta: quantity };
}

export interface Taking {
  /** Only from this lot. */
  readonly lot?: string | null;
  /** Expired lots too (counts and waste), first; otherwise never from them (dispensing). */
  readonly expired: boolean;
}

/**
 * Takes up to `quantity` out of the slot's lots, first expiry first, and answers
 * what came out of each (a lot left empty leaves the slot). Takes less when the
 * lots hold less: the caller decides whether that is refused.
 */
export async function takeFromLots(
  tx: PyxisTransaction,
  stockItemId: string,
  quantity: number,
  taking: Taking,
): Promise<LotPart[]> {
  const today = hospitalDay();
  const lots = (await lotsOfSlot(tx, stockItemId)).filter(
    (lot) => (taking.lot === undefined || lot.lot === taking.lot) && (taking.expired || !isExpired(lot, today)),
  );
  return (await takeInOrder(tx, lots, quantity)).get(stockItemId) ?? [];
}

/**
 * Takes up to `quantity` from the unexpired lots of several slots (a cabinet's
 * slots of one item), first expiry first across all of them: what came out of
 * each slot, by slot id.
 */
export async function takeFirstExpiring(
  tx: PyxisTransaction,
  stockItemIds: readonly string[],
  quantity: number,
): Promise<Map<string, LotPart[]>> {
  const today = hospitalDay();
  const lots = await tx.stockLot.findMany({ where: { stockItemId: { in: [...stockItemIds] } } });
  return takeInOrder(
    tx,
    lots.filter((lot) => !isExpired(lot, today)),
    quantity,
  );
}

/** What comes out of which lot when `quantity` units are taken from `lots`: first expiry first, up to what they hold. */
export function fefoTakings<L extends Pick<StockLot, 'quantity' | 'expiresAt' | 'receivedAt'>>(
  lots: readonly L[],
  quantity: number,
): { lot: L; taken: number }[] {
  const takings: { lot: L; taken: number }[] = [];
  for (const lot of [...lots].sort(firstExpiryFirst)) {
    if (quantity === 0) break;
    const taken = Math.min(quantity, lot.quantity);
    if (taken === 0) continue;
    quantity -= taken;
    takings.push({ lot, taken });
  }
  return takings;
}

async function takeInOrder(tx: PyxisTransaction, lots: StockLot[], quantity: number): Promise<Map<string, LotPart[]>> {
  const parts = new Map<string, LotPart[]>();
  for (const { lot, taken } of fefoTakings(lots, quantity)) {
    if (taken === lot.quantity) await tx.stockLot.delete({ where: { id: lot.id } });
    else await tx.stockLot.update({ where: { id: lot.id }, data: { quantity: { decrement: taken } } });
    parts.set(lot.stockItemId, [
      ...(parts.get(lot.stockItemId) ?? []),
      { lot: lot.lot, expiresAt: lot.expiresAt, delta: -taken },
    ]);
  }
  return parts;
}

/** The lot a positive correction goes to: the one named, or the slot's only lot; with several, it must be named. */
export async function lotForCorrection(
  tx: PyxisTransaction,
  stockItemId: string,
  lot: string | null | undefined,
): Promise<{ lot: string | null; expiresAt: Date | null }> {
  const lots = await lotsOfSlot(tx, stockItemId);
  if (lot != null) {
    const named = lots.find((l) => l.lot === lot);
    if (!named) throw badUserInput(`This slot holds no lot ${lot}: restock a new lot instead`, { argument: 'lot' });
    return named;
  }
  if (lots.length > 1)
    throw badUserInput('This slot holds several lots: name the one the units belong to', { argument: 'lot' });
  return lots[0] ?? { lot: null, expiresAt: null };
}
