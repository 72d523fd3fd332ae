/**
 * Every change to stock: one transaction that updates the slot atomically
 * (`quantity = quantity + delta` guarded against going below zero, so parallel
 * changes never lose an update) and appends the movement that explains it.
 */
import { badUserInput, conflict, expectingClientErrors, notFound } from '@asky/shared';
import type { PyxisPrisma } from './client';
import type { StockMovementKind } from '../generated/prisma/client';

export interface Assignment {
  readonly dispenserId: string;
  readonly slot: string;
  readonly medicineId: string | null;
  readonly materialId: string | null;
  readonly parLevel: number;
  readonly quantity: number;
  readonly lot: string | null;
  readonly expiresAt: Date | null;
}

export class StockChanges {
  constructor(
    private readonly prisma: PyxisPrisma,
    /** Who makes the changes (a user id). */
    private readonly actorId: string,
  ) {}

  /** Puts an item in a new slot, or in an existing slot that is empty. */
  assign(a: Assignment) {
    return this.prisma.$transaction(async (tx) => {
      const existing = await tx.stockItem.findUnique({ where: { dispenserId_slot: { dispenserId: a.dispenserId, slot: a.slot } } });
      if (existing && existing.quantity > 0) throw conflict(`Slot ${a.slot} still holds stock: empty it first`);
      const data = { medicineId: a.medicineId, materialId: a.materialId, parLevel: a.parLevel, quantity: a.quantity, lot: a.lot, expiresAt: a.expiresAt };
      const item = await expectingClientErrors(
        existing
          ? tx.stockItem.update({ where: { id: existing.id }, data })
          : tx.stockItem.create({ data: { ...data, dispenserId: a.dispenserId, slot: a.slot } }),
        { badReference: 'The dispenser, medicine or material does not exist' },
      );
      await tx.stockMovement.create({
        data: { stockItemId: item.id, kind: 'ASSIGN', delta: a.quantity, quantityAfter: item.quantity, lot: a.lot, actorId: this.actorId },
      });
      return item;
    });
  }

  /** Adds stock; a new lot replaces the slot's lot and expiry. */
  restock(slotId: string, quantity: number, lot: { lot: string; expiresAt: Date | null } | null) {
    return this.change(slotId, 'RESTOCK', quantity, null, lot);
  }

  adjust(slotId: string, delta: number, reason: string) {
    return this.change(slotId, 'ADJUST', delta, reason, null);
  }

  private change(slotId: string, kind: StockMovementKind, delta: number, reason: string | null, lot: { lot: string; expiresAt: Date | null } | null) {
    return this.prisma.$transaction(async (tx) => {
      if (lot && !lot.expiresAt) {
        // Without it the new lot would carry no expiry and leave every expiry list.
        const slot = await tx.stockItem.findUnique({ where: { id: slotId }, select: { medicineId: true } });
        if (slot?.medicineId) throw badUserInput("A medicine's lot needs its expiry date", { argument: 'expiresAt' });
      }
      const updated = await tx.stockItem.updateMany({
        where: { id: slotId, quantity: { gte: -delta } },
        data: { quantity: { increment: delta }, ...(lot ?? {}) },
      });
      const item = await tx.stockItem.findUnique({ where: { id: slotId } });
      if (!item) throw notFound('No stock slot has this id');
      if (updated.count === 0) throw conflict(`Only ${item.quantity} left in slot ${item.slot}: stock cannot go below zero`, { quantity: item.quantity });
      await tx.stockMovement.create({
        data: { stockItemId: slotId, kind, delta, quantityAfter: item.quantity, reason, lot: lot?.lot ?? item.lot, actorId: this.actorId },
      });
      return item;
    });
  }
}
