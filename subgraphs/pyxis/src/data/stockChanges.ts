/**
 * Every change to stock: one transaction that locks the slot, changes its lots,
 * keeps the slot's quantity their sum (never below zero) and appends one
 * movement per lot that explains it. A slot holding a controlled medicine
 * changes only with a witness's confirmation for it, recorded on the movement
 * (chain of custody).
 */
import {
  badUserInput,
  conflict,
  expectingClientErrors,
  notFound,
  useWitness,
  type Deed,
  type WitnessCheck,
  type Witnessed,
} from '@asky/shared';
import type { PyxisPrisma, PyxisTransaction } from './client';
import type { StockDiscrepancy, StockItem, StockMovementKind } from '../generated/prisma/client';
import { addToLot, lotForCorrection, takeFromLots, type LotPart } from './lots';
import { openDiscrepancy } from './discrepancies';
import { discrepancyOf } from './discrepancyRules';
import { announceMovements } from '../events/stockEvents';

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

/** A lot a restock brings in; null: more of the slot's only lot. */
export type NewLot = { lot: string; expiresAt: Date | null } | null;

/** Who and why, for the movements of one change. */
export interface MovementFacts {
  readonly kind: StockMovementKind;
  readonly reason: string | null;
  readonly actorId: string;
  readonly witnessId: string | null;
  readonly requestId?: string | null;
  /** A bedside waste's amount, in its unit (see doseWaste.ts). */
  readonly doseAmount?: number;
  readonly doseUnit?: string;
}

export type LockedItem = Pick<StockItem, 'id' | 'slot' | 'dispenserId' | 'quantity' | 'medicineId' | 'materialId'>;

/** Locks the slot for the transaction (every stock change does, before its lots). */
export async function lockSlot(tx: PyxisTransaction, id: string): Promise<LockedItem | undefined> {
  const [row] = await tx.$queryRaw<LockedItem[]>`
    SELECT id, slot, "dispenserId", quantity, "medicineId", "materialId" FROM pyxis."StockItem" WHERE id = ${id}::uuid FOR UPDATE`;
  return row;
}

/** Applies `parts` to the slot's quantity and writes their movements (and their events); answers the slot after. */
export async function recordMovements(
  tx: PyxisTransaction,
  slot: LockedItem,
  parts: readonly LotPart[],
  facts: MovementFacts,
): Promise<StockItem> {
  let quantity = slot.quantity;
  const movements = [];
  for (const part of parts) {
    quantity += part.delta;
    movements.push(
      await tx.stockMovement.create({
        data: {
          stockItemId: slot.id,
          medicineId: slot.medicineId,
          materialId: slot.materialId,
          delta: part.delta,
          carried: part.carried ?? 0,
          quantityAfter: quantity,
          lot: part.lot,
          ...facts,
        },
      }),
    );
  }
  await announceMovements(tx, slot, movements);
  return tx.stockItem.update({ where: { id: slot.id }, data: { quantity } });
}

export interface CountResult {
  readonly slot: StockItem;
  /** Opened when the count differs from what the slot should hold. */
  readonly discrepancy: StockDiscrepancy | null;
}

export class StockChanges {
  constructor(
    private readonly prisma: PyxisPrisma,
    /** Who makes the changes (a user id). */
    private readonly actorId: string,
    private readonly witnesses: WitnessCheck,
  ) {}

  /** Puts an item in a new slot, or in an existing slot that is empty. */
  async assign(a: Assignment, witnessToken?: string | null) {
    const controlled =
      !!a.medicineId &&
      a.quantity > 0 &&
      !!(await this.prisma.medicine.findUnique({ where: { id: a.medicineId }, select: { controlled: true } }))
        ?.controlled;
    const witnessed = await this.witness(controlled, witnessToken, a.dispenserId, {
      act: 'ASSIGN',
      quantity: a.quantity,
    });
    const witnessId = witnessed?.witnessId ?? null;
    return this.prisma.$transaction(async (tx) => {
      if (witnessed) await useWitness(tx, 'pyxis', witnessed);
      const existing = await tx.stockItem.findUnique({
        where: { dispenserId_slot: { dispenserId: a.dispenserId, slot: a.slot } },
      });
      if (existing && ((await lockSlot(tx, existing.id))?.quantity ?? 0) > 0)
        throw conflict(`Slot ${a.slot} still holds stock: empty it first`);
      const data = { medicineId: a.medicineId, materialId: a.materialId, parLevel: a.parLevel, quantity: 0 };
      const item = await expectingClientErrors(
        existing
          ? tx.stockItem.update({ where: { id: existing.id }, data })
          : tx.stockItem.create({ data: { ...data, dispenserId: a.dispenserId, slot: a.slot } }),
        { badReference: 'The dispenser, medicine or material does not exist' },
      );
      await tx.stockLot.deleteMany({ where: { stockItemId: item.id } }); // an empty slot's lots are gone
      const parts =
        a.quantity > 0
          ? [await addToLot(tx, item.id, a.lot, a.expiresAt, a.quantity)]
          : [{ lot: a.lot, expiresAt: a.expiresAt, delta: 0 }];
      return recordMovements(tx, item, parts, { kind: 'ASSIGN', reason: null, actorId: this.actorId, witnessId });
    });
  }

  /** Adds stock: a new lot beside the others, or more of a lot the slot holds (named, or its only one). */
  restock(slotId: string, quantity: number, lot: NewLot, witnessToken?: string | null) {
    return this.change(slotId, witnessToken, { act: 'RESTOCK', quantity }, async (tx, slot) => {
      const into = lot ?? (await lotForCorrection(tx, slotId, undefined));
      // Without it the units would carry no expiry and leave every expiry list.
      if (slot.medicineId && !into.expiresAt)
        throw badUserInput("A medicine's units come in with their lot and expiry date", { argument: 'expiresAt' });
      return { parts: [await addToLot(tx, slotId, into.lot, into.expiresAt, quantity)], kind: 'RESTOCK', reason: null };
    });
  }

  /**
   * Corrects the count: more of a lot (named, or the slot's only one), or fewer,
   * first expiry first (or of the lot named). Fewer of a controlled medicine is
   * a loss nobody explained yet: it opens a discrepancy a pharmacist resolves.
   */
  adjust(slotId: string, delta: number, reason: string, lot: string | null | undefined, witnessToken?: string | null) {
    return this.change(
      slotId,
      witnessToken,
      { act: 'ADJUST', quantity: delta },
      async (tx, slot, witnessId, controlled) => {
        if (delta > 0) {
          const into = await lotForCorrection(tx, slotId, lot);
          return { parts: [await addToLot(tx, slotId, into.lot, into.expiresAt, delta)], kind: 'ADJUST', reason };
        }
        const parts = await this.takeAll(tx, slot, -delta, lot);
        const found = discrepancyOf({ kind: 'ADJUST', controlled, expected: slot.quantity, delta });
        if (found) await openDiscrepancy(tx, { slot, ...found, openedById: this.actorId, openedWitnessId: witnessId });
        return { parts, kind: 'ADJUST', reason };
      },
    );
  }

  /** Takes out what was broken, spoiled, partly used or expired: first expiry first, or of the lot named. */
  waste(
    slotId: string,
    quantity: number,
    reason: string,
    lot: string | null | undefined,
    witnessToken?: string | null,
  ) {
    return this.change(slotId, witnessToken, { act: 'WASTE', quantity }, async (tx, slot) => ({
      parts: await this.takeAll(tx, slot, quantity, lot),
      kind: 'WASTE',
      reason,
    }));
  }

  /**
   * A count of what the slot holds, blind: the counter says what is there and is
   * not shown what the slot should hold. A count that differs sets the slot to
   * what was counted (missing units first expiry first; found ones in a lot
   * marked unknown) and opens a discrepancy for a pharmacist to resolve.
   */
  async count(slotId: string, counted: number, witnessToken?: string | null): Promise<CountResult> {
    let discrepancy: StockDiscrepancy | null = null;
    const slot = await this.change(
      slotId,
      witnessToken,
      { act: 'COUNT', quantity: counted },
      async (tx, locked, witnessId) => {
        const found = discrepancyOf({ kind: 'COUNT', expected: locked.quantity, counted });
        // No figures in the reason: anyone who reads movements would learn what the slot held (blind counts).
        if (!found)
          return {
            parts: [{ lot: null, expiresAt: null, delta: 0 }],
            kind: 'COUNT',
            reason: 'blind count: as expected',
          };
        discrepancy = await openDiscrepancy(tx, {
          slot: locked,
          ...found,
          openedById: this.actorId,
          openedWitnessId: witnessId,
        });
        const difference = counted - locked.quantity;
        const parts =
          difference > 0
            ? [await addToLot(tx, slotId, null, null, difference)]
            : await takeFromLots(tx, slotId, -difference, { expired: true });
        return { parts, kind: 'COUNT', reason: 'blind count: differed, discrepancy opened' };
      },
    );
    return { slot, discrepancy };
  }

  /** The witness of a change: needed for a controlled medicine, recorded whenever one is given. */
  private async witness(
    controlled: boolean,
    token: string | null | undefined,
    subject: string | readonly string[],
    deed: Deed,
  ): Promise<Witnessed | null> {
    return controlled || token ? this.witnesses.confirm(token, this.actorId, subject, deed) : null;
  }

  /** `quantity` out of the slot, or CONFLICT: stock never goes below zero. */
  private async takeAll(
    tx: PyxisTransaction,
    slot: LockedItem,
    quantity: number,
    lot: string | null | undefined,
  ): Promise<LotPart[]> {
    const parts = await takeFromLots(tx, slot.id, quantity, { lot: lot ?? undefined, expired: true });
    const taken = -parts.reduce((sum, part) => sum + part.delta, 0);
    if (taken < quantity) {
      const where = lot ? `lot ${lot} of slot ${slot.slot}` : `slot ${slot.slot}`;
      throw conflict(`Only ${lot ? taken : slot.quantity} left in ${where}: stock cannot go below zero`, {
        quantity: lot ? taken : slot.quantity,
      });
    }
    return parts;
  }

  private async change(
    slotId: string,
    witnessToken: string | null | undefined,
    deed: Deed,
    lots: (
      tx: PyxisTransaction,
      slot: LockedItem,
      witnessId: string | null,
      controlled: boolean,
    ) => Promise<{ parts: LotPart[]; kind: StockMovementKind; reason: string | null }>,
  ): Promise<StockItem> {
    const slot = await this.prisma.stockItem.findUnique({
      where: { id: slotId },
      select: { dispenserId: true, medicineId: true, medicine: { select: { controlled: true } } },
    });
    if (!slot) throw notFound('No stock slot has this id');
    const controlled = !!slot.medicine?.controlled;
    // For this slot, or for its whole cabinet (one act of a witnessed restock round).
    const witnessed = await this.witness(controlled, witnessToken, [slotId, slot.dispenserId], deed);
    const witnessId = witnessed?.witnessId ?? null;
    return this.prisma.$transaction(async (tx) => {
      if (witnessed) await useWitness(tx, 'pyxis', witnessed); // once: a replay is CONFLICT, and rolls nothing in
      const locked = await lockSlot(tx, slotId);
      // The item checked for a witness is the one changed.
      if (!locked || locked.medicineId !== slot.medicineId)
        throw conflict('The slot was given another item meanwhile: reload it and try again');
      const { parts, kind, reason } = await lots(tx, locked, witnessId, controlled);
      return recordMovements(tx, locked, parts, { kind, reason, actorId: this.actorId, witnessId });
    });
  }
}
