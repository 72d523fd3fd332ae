/**
 * Stock held for accepted requests. Accepting a medicine or material request
 * reserves its quantity at its dispenser, so two nurses cannot both be promised
 * the last ampoule: what a dispenser has available is what its unexpired slots
 * hold less what is reserved. A reservation ends when its request completes (the
 * dispense takes it, in the same transaction) or is cancelled or rejected
 * (released). Slots are locked in id order, as the dispense locks them.
 */
import { conflict } from '@asky/shared';
import type { PyxisPrisma, PyxisTransaction } from './client';
import { Prisma } from '../generated/prisma/client';
import { hospitalDay } from '../validation';
import { recordMovements } from './stockChanges';
import { openDiscrepancy } from './discrepancies';

export type StockedItem = { readonly medicineId: string } | { readonly materialId: string };

export interface LockedSlot {
  readonly id: string;
  readonly slot: string;
  readonly dispenserId: string;
  readonly medicineId: string | null;
  readonly materialId: string | null;
  readonly quantity: number;
  readonly reserved: number;
  /** What its unexpired lots hold. */
  readonly unexpired: number;
  /** Its first unexpired lot's expiry. */
  readonly firstExpiry: Date | null;
}

/** What a slot can still promise: its unexpired lots less what is reserved, never below zero. */
export const availableIn = (slot: { unexpired: number; reserved: number }): number => Math.max(0, slot.unexpired - slot.reserved);

/** The dispenser's slots of `item`, locked for the transaction (in id order), first expiry first (then the fullest). */
export async function lockSlotsOf(tx: PyxisTransaction, dispenserId: string, item: StockedItem): Promise<LockedSlot[]> {
  const holdsItem = 'medicineId' in item ? Prisma.sql`"medicineId" = ${item.medicineId}::uuid` : Prisma.sql`"materialId" = ${item.materialId}::uuid`;
  const today = hospitalDay().toISOString().slice(0, 10);
  return tx.$queryRaw<LockedSlot[]>`
    WITH locked AS (
      SELECT id, slot, "dispenserId", "medicineId", "materialId", quantity, reserved FROM pyxis."StockItem"
      WHERE "dispenserId" = ${dispenserId}::uuid AND ${holdsItem}
      ORDER BY id FOR UPDATE
    )
    SELECT s.id, s.slot, s."dispenserId", s."medicineId", s."materialId", s.quantity, s.reserved,
      COALESCE(SUM(l.quantity) FILTER (WHERE l."expiresAt" IS NULL OR l."expiresAt" >= ${today}::date), 0)::int AS unexpired,
      MIN(l."expiresAt") FILTER (WHERE l."expiresAt" >= ${today}::date) AS "firstExpiry"
    FROM locked s LEFT JOIN pyxis."StockLot" l ON l."stockItemId" = s.id
    GROUP BY s.id, s.slot, s."dispenserId", s."medicineId", s."materialId", s.quantity, s.reserved
    ORDER BY "firstExpiry" ASC NULLS LAST, s.quantity DESC, s.slot`;
}

/** Why a RETURN movement was written. */
export const inTransit = (requestId: string) => `request ${requestId} closed in transit`;

/** What a request closed in transit carried back: who closed it, why, and who witnessed the units come back. */
export interface ReturnedInTransit {
  readonly actorId: string;
  readonly why: string;
  readonly witnessId?: string | null;
}

export interface Reservation {
  readonly requestId: string;
  /** What it holds now (0 once ended). */
  readonly quantity: number;
  readonly active: boolean;
}

export interface ReservationAsked {
  readonly requestId: string;
  readonly dispenserId: string;
  readonly item: StockedItem;
  readonly quantity: number;
  /** Who accepted the request. */
  readonly actorId: string;
}

export class StockReservations {
  constructor(private readonly prisma: PyxisPrisma) {}

  /**
   * Holds `quantity` for the request, first expiry first across the dispenser's
   * slots; CONFLICT with `available` when the dispenser cannot promise it. Asked
   * again for the same request (a retried acceptance), answers the reservation it
   * has, if it holds the same quantity.
   */
  reserve(asked: ReservationAsked): Promise<Reservation> {
    return this.prisma.$transaction(async (tx) => {
      const slots = await lockSlotsOf(tx, asked.dispenserId, asked.item);
      const held = await this.heldIn(tx, asked.requestId);
      if (held > 0) {
        if (held !== asked.quantity) throw conflict(`This request already holds ${held}, not ${asked.quantity}`);
        return { requestId: asked.requestId, quantity: held, active: true };
      }
      const available = slots.reduce((sum, slot) => sum + availableIn(slot), 0);
      if (available < asked.quantity) {
        throw conflict(
          `The dispenser has ${available} of this item available (unexpired, not held for other accepted requests), not the ${asked.quantity} asked`,
          { available },
        );
      }
      let wanted = asked.quantity;
      for (const slot of slots) {
        const taken = Math.min(wanted, availableIn(slot));
        if (taken === 0) continue;
        wanted -= taken;
        const key = { requestId_stockItemId: { requestId: asked.requestId, stockItemId: slot.id } };
        const active = { quantity: taken, actorId: asked.actorId, createdAt: new Date(), endedAt: null, outcome: null };
        await tx.stockReservation.upsert({ where: key, create: { requestId: asked.requestId, stockItemId: slot.id, ...active }, update: active });
        await tx.stockItem.update({ where: { id: slot.id }, data: { reserved: { increment: taken } } });
        if (wanted === 0) break;
      }
      return { requestId: asked.requestId, quantity: asked.quantity, active: true };
    });
  }

  /**
   * Ends the request's reservation, giving its quantity back. `returned`: the
   * request was cancelled or rejected in transit, and what it carried comes back
   * to its slots — a RETURN movement per slot (delta 0: it was reserved, never
   * taken out of the count), written once, by whichever release ends the
   * reservation. A controlled medicine's return is confirmed by a witness
   * (`witnessId`); without one, a TRANSIT discrepancy is opened for what nobody
   * saw come back, for a pharmacist to find.
   */
  release(requestId: string, returned?: ReturnedInTransit): Promise<void> {
    return this.prisma.$transaction(async (tx) => {
      const released = await this.end(tx, requestId, 'RELEASED');
      if (!returned) return;
      for (const { stockItemId, quantity } of released) {
        const slot = await tx.stockItem.findUniqueOrThrow({ where: { id: stockItemId }, include: { medicine: { select: { controlled: true } } } });
        const confirmed = returned.witnessId ? 'back in the slot, witnessed' : 'back in the slot';
        const back = { kind: 'RETURN', reason: `${returned.why}: ${quantity} ${confirmed}`, actorId: returned.actorId, witnessId: returned.witnessId ?? null, requestId } as const;
        await recordMovements(tx, slot, [{ lot: null, expiresAt: null, delta: 0 }], back);
        if (slot.medicine?.controlled && !returned.witnessId) {
          await openDiscrepancy(tx, { slot, source: 'TRANSIT', expected: slot.quantity, counted: slot.quantity - quantity, openedById: returned.actorId, openedWitnessId: null, requestId });
        }
      }
    });
  }

  /** What the request holds now, over its slots. */
  async held(requestId: string): Promise<Reservation> {
    const quantity = await this.heldIn(this.prisma, requestId);
    return { requestId, quantity, active: quantity > 0 };
  }

  /** Ends the request's active reservations inside `tx`; their slots are locked in id order, as every stock change locks them. */
  async end(tx: PyxisTransaction, requestId: string, outcome: 'RELEASED' | 'DISPENSED'): Promise<{ stockItemId: string; quantity: number }[]> {
    const active = await tx.stockReservation.findMany({ where: { requestId, endedAt: null }, orderBy: { stockItemId: 'asc' } });
    const ended: { stockItemId: string; quantity: number }[] = [];
    if (active.length === 0) return ended;
    await tx.$queryRaw`SELECT id FROM pyxis."StockItem" WHERE id = ANY(${active.map((r) => r.stockItemId)}::uuid[]) ORDER BY id FOR UPDATE`;
    for (const reservation of active) {
      // Two releases at once (the request service's and its event's): the second finds it ended.
      const ending = await tx.stockReservation.updateMany({ where: { id: reservation.id, endedAt: null }, data: { endedAt: new Date(), outcome } });
      if (ending.count === 0) continue;
      await tx.stockItem.update({ where: { id: reservation.stockItemId }, data: { reserved: { decrement: reservation.quantity } } });
      ended.push({ stockItemId: reservation.stockItemId, quantity: reservation.quantity });
    }
    return ended;
  }

  private async heldIn(db: PyxisPrisma | PyxisTransaction, requestId: string): Promise<number> {
    const { _sum } = await db.stockReservation.aggregate({ where: { requestId, endedAt: null }, _sum: { quantity: true } });
    return _sum.quantity ?? 0;
  }
}
