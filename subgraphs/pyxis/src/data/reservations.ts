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
import { discrepancyOf } from './discrepancyRules';
import { bringBack, carriedFor, takeIntoCustody, type PickUp } from './custody';

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
export const availableIn = (slot: { unexpired: number; reserved: number }): number =>
  Math.max(0, slot.unexpired - slot.reserved);

/**
 * How `quantity` is held across a dispenser's slots of one item, in the order
 * given (first expiry first): each slot gives what it can still promise. The
 * whole quantity or nothing: CONFLICT, with what is available, when the slots
 * cannot promise it.
 */
export function splitReservation<S extends { unexpired: number; reserved: number }>(
  slots: readonly S[],
  quantity: number,
): { slot: S; held: number }[] {
  const available = slots.reduce((sum, slot) => sum + availableIn(slot), 0);
  if (available < quantity) {
    throw conflict(
      `The dispenser has ${available} of this item available (unexpired, not held for other accepted requests), not the ${quantity} asked`,
      { available },
    );
  }
  const split: { slot: S; held: number }[] = [];
  for (const slot of slots) {
    if (quantity === 0) break;
    const held = Math.min(quantity, availableIn(slot));
    if (held === 0) continue;
    quantity -= held;
    split.push({ slot, held });
  }
  return split;
}

/** The dispenser's slots of `item`, locked for the transaction (in id order), first expiry first (then the fullest). */
export async function lockSlotsOf(tx: PyxisTransaction, dispenserId: string, item: StockedItem): Promise<LockedSlot[]> {
  const holdsItem =
    'medicineId' in item
      ? Prisma.sql`"medicineId" = ${item.medicineId}::uuid`
      : Prisma.sql`"materialId" = ${item.materialId}::uuid`;
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
  /** What it holds now in its slots (0 once picked up or ended). */
  readonly quantity: number;
  /** What it carries in transit (custody), picked up and not yet handed over or brought back. */
  readonly carried: number;
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
        return { requestId: asked.requestId, quantity: held, carried: 0, active: true };
      }
      for (const { slot, held: taken } of splitReservation(slots, asked.quantity)) {
        const key = { requestId_stockItemId: { requestId: asked.requestId, stockItemId: slot.id } };
        const active = { quantity: taken, actorId: asked.actorId, createdAt: new Date(), endedAt: null, outcome: null };
        await tx.stockReservation.upsert({
          where: key,
          create: { requestId: asked.requestId, stockItemId: slot.id, ...active },
          update: active,
        });
        await tx.stockItem.update({ where: { id: slot.id }, data: { reserved: { increment: taken } } });
      }
      return { requestId: asked.requestId, quantity: asked.quantity, carried: 0, active: true };
    });
  }

  /**
   * The request was picked up (IN_TRANSIT): what its reservation holds goes out
   * of the slots into the carrier's custody, once. A request that holds nothing
   * (picked up before, released, or accepted before reservations) takes
   * nothing, and completes from the slots. Answers what went into custody.
   */
  pickUp(asked: PickUp): Promise<number> {
    return this.prisma.$transaction(async (tx) => {
      // Where and what: the slots it holds (never what a caller says).
      const holding = await tx.stockReservation.findFirst({
        where: { requestId: asked.requestId, endedAt: null },
        include: { stockItem: true },
      });
      if (!holding) return 0;
      const { dispenserId, medicineId, materialId } = holding.stockItem;
      const slots = await lockSlotsOf(tx, dispenserId, medicineId ? { medicineId } : { materialId: materialId! });
      const held = (await this.end(tx, asked.requestId, 'PICKED_UP')).reduce((sum, ended) => sum + ended.quantity, 0);
      return held > 0 ? takeIntoCustody(tx, slots, held, asked) : 0;
    });
  }

  /**
   * Ends the request's reservation, giving its quantity back. `returned`: the
   * request was cancelled or rejected in transit, and what it carried comes back
   * to its slots — out of custody into its lots, or (units reserved but never
   * picked up) a RETURN of 0 — written once, by whichever release ends it. A
   * controlled medicine's return is confirmed by a witness (`witnessId`);
   * without one, a TRANSIT discrepancy is opened for what nobody saw come back,
   * for a pharmacist to find.
   */
  release(requestId: string, returned?: ReturnedInTransit): Promise<void> {
    return this.prisma.$transaction(async (tx) => {
      const released = await this.end(tx, requestId, 'RELEASED');
      if (!returned) return;
      const facts = {
        kind: 'RETURN',
        actorId: returned.actorId,
        witnessId: returned.witnessId ?? null,
        requestId,
      } as const;
      const reason = (quantity: number) =>
        `${returned.why}: ${quantity} back in the slot${returned.witnessId ? ', witnessed' : ''}`;
      const back = await bringBack(tx, requestId, facts, reason);
      for (const { stockItemId, quantity } of released) {
        const slot = await tx.stockItem.findUniqueOrThrow({ where: { id: stockItemId } });
        back.push({
          slot: await recordMovements(tx, slot, [{ lot: null, expiresAt: null, delta: 0 }], {
            ...facts,
            reason: reason(quantity),
          }),
          quantity,
        });
      }
      if (returned.witnessId) return;
      for (const { slot, quantity } of back) {
        const controlled =
          !!slot.medicineId &&
          !!(await tx.medicine.findUnique({ where: { id: slot.medicineId }, select: { controlled: true } }))
            ?.controlled;
        const found = discrepancyOf({
          kind: 'TRANSIT',
          controlled,
          witnessed: false,
          expected: slot.quantity,
          carriedBack: quantity,
        });
        if (found)
          await openDiscrepancy(tx, { slot, ...found, openedById: returned.actorId, openedWitnessId: null, requestId });
      }
    });
  }

  /** What the request holds now, over its slots, and carries in custody. */
  async held(requestId: string): Promise<Reservation> {
    const [quantity, carried] = await Promise.all([
      this.heldIn(this.prisma, requestId),
      carriedFor(this.prisma, requestId),
    ]);
    return { requestId, quantity, carried, active: quantity > 0 };
  }

  /** Ends the request's active reservations inside `tx`; their slots are locked in id order, as every stock change locks them. */
  async end(
    tx: PyxisTransaction,
    requestId: string,
    outcome: 'RELEASED' | 'DISPENSED' | 'PICKED_UP',
  ): Promise<{ stockItemId: string; quantity: number }[]> {
    const active = await tx.stockReservation.findMany({
      where: { requestId, endedAt: null },
      orderBy: { stockItemId: 'asc' },
    });
    const ended: { stockItemId: string; quantity: number }[] = [];
    if (active.length === 0) return ended;
    await tx.$queryRaw`SELECT id FROM pyxis."StockItem" WHERE id = ANY(${active.map((r) => r.stockItemId)}::uuid[]) ORDER BY id FOR UPDATE`;
    for (const reservation of active) {
      // Two releases at once (the request service's and its event's): the second finds it ended.
      const ending = await tx.stockReservation.updateMany({
        where: { id: reservation.id, endedAt: null },
        data: { endedAt: new Date(), outcome },
      });
      if (ending.count === 0) continue;
      await tx.stockItem.update({
        where: { id: reservation.stockItemId },
        data: { reserved: { decrement: reservation.quantity } },
      });
      ended.push({ stockItemId: reservation.stockItemId, quantity: reservation.quantity });
    }
    return ended;
  }

  private async heldIn(db: PyxisPrisma | PyxisTransaction, requestId: string): Promise<number> {
    const { _sum } = await db.stockReservation.aggregate({
      where: { requestId, endedAt: null },
      _sum: { quantity: true },
    });
    return _sum.quantity ?? 0;
  }
}
