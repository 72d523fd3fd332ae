/**
 * Every change to stock: one transaction that updates the slot atomically
 * (`quantity = quantity + delta` guarded against going below zero, so parallel
 * changes never lose an update) and appends the movement that explains it. A
 * slot holding a controlled medicine changes only with a witness's confirmation
 * for it, recorded on the movement (chain of custody).
 */
import { badUserInput, conflict, expectingClientErrors, notFound, type WitnessCheck } from '@asky/shared';
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

/** A lot a restock brings in. */
export type NewLot = { lot: string; expiresAt: Date | null } | null;

export class StockChanges {
  constructor(
    private readonly prisma: PyxisPrisma,
    /** Who makes the changes (a user id). */
    private readonly actorId: string,
    private readonly witnesses: WitnessCheck,
  ) {}

  /** Puts an item in a new slot, or in an existing slot that is empty. */
  async assign(a: Assignment, witnessToken?: string | null) {
    const controlled = !!a.medicineId && a.quantity > 0 && !!(await this.prisma.medicine.findUnique({ where: { id: a.medicineId }, select: { controlled: true } }))?.controlled;
    const witnessId = await this.witness(controlled, witnessToken, a.dispenserId);
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
        data: { stockItemId: item.id, kind: 'ASSIGN', delta: a.quantity, quantityAfter: item.quantity, lot: a.lot, actorId: this.actorId, witnessId },
      });
      return item;
    });
  }

  /** Adds stock; a new lot replaces the slot's lot and expiry. */
  restock(slotId: string, quantity: number, lot: NewLot, witnessToken?: string | null) {
    return this.change(slotId, 'RESTOCK', quantity, null, lot, witnessToken);
  }

  adjust(slotId: string, delta: number, reason: string, witnessToken?: string | null) {
    return this.change(slotId, 'ADJUST', delta, reason, null, witnessToken);
  }

  /** Takes out what was broken, spoiled or partly used. */
  waste(slotId: string, quantity: number, reason: string, witnessToken?: string | null) {
    return this.change(slotId, 'WASTE', -quantity, reason, null, witnessToken);
  }

  /** The witness of a change: needed for a controlled medicine, recorded whenever one is given. */
  private async witness(controlled: boolean, token: string | null | undefined, subject: string | readonly string[]): Promise<string | null> {
    return controlled || token ? this.witnesses.confirm(token, this.actorId, subject) : null;
  }

  private async change(slotId: string, kind: StockMovementKind, delta: number, reason: string | null, lot: NewLot, witnessToken: string | null | undefined) {
    const slot = await this.prisma.stockItem.findUnique({ where: { id: slotId }, select: { dispenserId: true, medicineId: true, medicine: { select: { controlled: true } } } });
    if (!slot) throw notFound('No stock slot has this id');
    // Without it the new lot would carry no expiry and leave every expiry list.
    if (lot && !lot.expiresAt && slot.medicineId) throw badUserInput("A medicine's lot needs its expiry date", { argument: 'expiresAt' });
    // For this slot, or for its whole cabinet (a witnessed restock round).
    const witnessId = await this.witness(!!slot.medicine?.controlled, witnessToken, [slotId, slot.dispenserId]);
    return this.prisma.$transaction(async (tx) => {
      const updated = await tx.stockItem.updateMany({
        // The item checked for a witness is the one changed.
        where: { id: slotId, medicineId: slot.medicineId, quantity: { gte: -delta } },
        data: { quantity: { increment: delta }, ...(lot ?? {}) },
      });
      const item = await tx.stockItem.findUniqueOrThrow({ where: { id: slotId } });
      if (updated.count === 0) {
        if (item.medicineId !== slot.medicineId) throw conflict('The slot was given another item meanwhile: reload it and try again');
        throw conflict(`Only ${item.quantity} left in slot ${item.slot}: stock cannot go below zero`, { quantity: item.quantity });
      }
      await tx.stockMovement.create({
        data: { stockItemId: slotId, kind, delta, quantityAfter: item.quantity, reason, lot: lot?.lot ?? item.lot, actorId: this.actorId, witnessId },
      });
      return item;
    });
  }
}
