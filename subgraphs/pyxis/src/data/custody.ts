/**
 * Custody in transit: who holds a request's units between the cabinet and the
 * patient. Picking a request up (IN_TRANSIT) takes its units out of the slots,
 * first expiry first, into the carrier's custody (a PICK_UP movement naming
 * her); handing over is the DISPENSE out of custody; a request closed in transit
 * brings them back into their slot (a RETURN). The register counts custody as
 * the hospital's (its balance is delta + carried), so the book balances against
 * cabinets plus what is being carried. Every step locks the slots first, as
 * every stock change does, and claims custody rows once (a second claim finds
 * them ended).
 */
import type { PyxisPrisma, PyxisTransaction } from './client';
import type { StockCustody } from '../generated/prisma/client';
import { addToLot, takeFirstExpiring, type LotPart } from './lots';
import { lockSlot, recordMovements, type MovementFacts } from './stockChanges';
import type { LockedSlot } from './reservations';

/** How a movement changes what the hospital holds: its cabinets (delta) and what is carried in transit. */
export const heldChange = (movement: { readonly delta: number; readonly carried: number }): number =>
  movement.delta + movement.carried;

export interface PickUp {
  readonly requestId: string;
  /** Who picked it up: she carries it. */
  readonly carrierId: string;
}

/**
 * Takes `held` (what the request's reservation held, just ended) out of the
 * locked `slots`, first expiry first, into the carrier's custody. Answers what
 * went into custody (less than held when the slots no longer have it: the rest
 * is taken, or found, at hand-over).
 */
export async function takeIntoCustody(
  tx: PyxisTransaction,
  slots: readonly LockedSlot[],
  held: number,
  asked: PickUp,
): Promise<number> {
  const taken = await takeFirstExpiring(
    tx,
    slots.map((slot) => slot.id),
    held,
  );
  let carried = 0;
  const facts: MovementFacts = {
    kind: 'PICK_UP',
    reason: `request ${asked.requestId} picked up`,
    actorId: asked.carrierId,
    witnessId: null,
    requestId: asked.requestId,
  };
  for (const slot of slots) {
    const parts = taken.get(slot.id);
    if (!parts) continue;
    await tx.stockCustody.createMany({
      data: parts.map((part) => ({
        requestId: asked.requestId,
        stockItemId: slot.id,
        medicineId: slot.medicineId,
        materialId: slot.materialId,
        lot: part.lot,
        expiresAt: part.expiresAt,
        quantity: -part.delta,
        carrierId: asked.carrierId,
      })),
    });
    await recordMovements(
      tx,
      slot,
      parts.map((part) => ({ ...part, carried: -part.delta })),
      facts,
    );
    carried += parts.reduce((sum, part) => sum - part.delta, 0);
  }
  return carried;
}

/** Ends the request's custody (outcome DISPENSED or RETURNED) and answers its rows, slot by slot in id order; none when it holds none. */
async function claim(
  tx: PyxisTransaction,
  requestId: string,
  outcome: 'DISPENSED' | 'RETURNED',
): Promise<Map<string, StockCustody[]>> {
  const bySlot = new Map<string, StockCustody[]>();
  const open = await tx.stockCustody.findMany({
    where: { requestId, endedAt: null },
    orderBy: [{ stockItemId: 'asc' }, { id: 'asc' }],
  });
  for (const row of open) {
    // Two closings at once (the request service's release and its event's): the second finds it ended.
    const ending = await tx.stockCustody.updateMany({
      where: { id: row.id, endedAt: null },
      data: { endedAt: new Date(), outcome },
    });
    if (ending.count === 1) bySlot.set(row.stockItemId, [...(bySlot.get(row.stockItemId) ?? []), row]);
  }
  return bySlot;
}

/** The slot, locked, as it was for the custody's item (a slot emptied meanwhile may hold another now). */
async function slotOf(tx: PyxisTransaction, rows: readonly StockCustody[]) {
  const slot = (await lockSlot(tx, rows[0]!.stockItemId))!;
  return { ...slot, medicineId: rows[0]!.medicineId, materialId: rows[0]!.materialId };
}

/** Hands the request's custody over to the patient: a DISPENSE per lot, out of custody (the slots are not touched). Answers how many units. */
export async function handOver(tx: PyxisTransaction, requestId: string, facts: MovementFacts): Promise<number> {
  let handed = 0;
  for (const rows of (await claim(tx, requestId, 'DISPENSED')).values()) {
    const parts: LotPart[] = rows.map((row) => ({
      lot: row.lot,
      expiresAt: row.expiresAt,
      delta: 0,
      carried: -row.quantity,
    }));
    await recordMovements(tx, await slotOf(tx, rows), parts, facts);
    handed += rows.reduce((sum, row) => sum + row.quantity, 0);
  }
  return handed;
}

/** What came back from custody to one slot. */
export interface BroughtBack {
  readonly slot: Awaited<ReturnType<typeof recordMovements>>;
  readonly quantity: number;
}

/** Brings the request's custody back into the slots it came from, into its lots: a RETURN per lot. */
export async function bringBack(
  tx: PyxisTransaction,
  requestId: string,
  facts: Omit<MovementFacts, 'reason'>,
  reason: (quantity: number) => string,
): Promise<BroughtBack[]> {
  const back: BroughtBack[] = [];
  for (const rows of (await claim(tx, requestId, 'RETURNED')).values()) {
    const parts: LotPart[] = [];
    for (const row of rows)
      parts.push({
        ...(await addToLot(tx, row.stockItemId, row.lot, row.expiresAt, row.quantity)),
        carried: -row.quantity,
      });
    const quantity = rows.reduce((sum, row) => sum + row.quantity, 0);
    back.push({
      slot: await recordMovements(tx, await slotOf(tx, rows), parts, { ...facts, reason: reason(quantity) }),
      quantity,
    });
  }
  return back;
}

/** What a request carries now, in custody. */
export async function carriedFor(db: PyxisPrisma | PyxisTransaction, requestId: string): Promise<number> {
  const { _sum } = await db.stockCustody.aggregate({ where: { requestId, endedAt: null }, _sum: { quantity: true } });
  return _sum.quantity ?? 0;
}
