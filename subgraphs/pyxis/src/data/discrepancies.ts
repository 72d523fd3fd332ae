/**
 * Discrepancies: a slot found holding other than it should. A blind count that
 * differs opens one, as does a completed request that took more than the count
 * said (an override, or stock that changed after its check), and any correction
 * down of a controlled medicine's slot. It stays open until
 * a pharmacist resolves it with a reason and a witness, as pharmacies must for
 * controlled substances before a shift ends.
 */
import { conflict, notFound, useWitness, type WitnessCheck } from '@asky/shared';
import type { PyxisPrisma, PyxisTransaction } from './client';
import type { Prisma, StockDiscrepancy, StockItem } from '../generated/prisma/client';
import { announceDiscrepancy } from '../events/stockEvents';
import { lockSlot, recordMovements } from './stockChanges';

/**
 * COUNT: a count found other; DISPENSE: a request took more than the count said;
 * ADJUST: a controlled slot corrected down; TRANSIT: a controlled medicine's
 * units carried off and not seen coming back (a request closed in transit without a witnessed return).
 */
export type DiscrepancySource = 'COUNT' | 'DISPENSE' | 'ADJUST' | 'TRANSIT';

export interface OpeningDiscrepancy {
  readonly slot: Pick<StockItem, 'id' | 'slot' | 'dispenserId' | 'medicineId' | 'materialId'>;
  readonly source: DiscrepancySource;
  readonly expected: number;
  readonly counted: number;
  readonly openedById: string;
  readonly openedWitnessId: string | null;
  readonly requestId?: string | null;
}

export async function openDiscrepancy(tx: PyxisTransaction, d: OpeningDiscrepancy): Promise<StockDiscrepancy> {
  const opened = await tx.stockDiscrepancy.create({
    data: {
      stockItemId: d.slot.id,
      medicineId: d.slot.medicineId,
      materialId: d.slot.materialId,
      source: d.source,
      expected: d.expected,
      counted: d.counted,
      requestId: d.requestId ?? null,
      openedById: d.openedById,
      openedWitnessId: d.openedWitnessId,
    },
  });
  await announceDiscrepancy(tx, d.slot, opened);
  return opened;
}

export interface DiscrepancyFilter {
  readonly open: boolean | null | undefined;
  readonly unit: string | null | undefined;
}

/** Witnessed by one person for a whole round of resolutions: the discrepancy, or its slot's dispenser. */
export class Discrepancies {
  constructor(private readonly prisma: PyxisPrisma) {}

  list(filter: DiscrepancyFilter, first: number): Promise<StockDiscrepancy[]> {
    const where: Prisma.StockDiscrepancyWhereInput = {
      ...(filter.open == null ? {} : { resolvedAt: filter.open ? null : { not: null } }),
      ...(filter.unit ? { stockItem: { dispenser: { unit: { equals: filter.unit, mode: 'insensitive' } } } } : {}),
    };
    return this.prisma.stockDiscrepancy.findMany({ where, orderBy: [{ openedAt: 'asc' }, { id: 'asc' }], take: first });
  }

  /** Closes it with why the counts differed; a pharmacist and a witness distinct from her. */
  async resolve(
    id: string,
    actorId: string,
    reason: string,
    witnessToken: string | null | undefined,
    witnesses: WitnessCheck,
  ): Promise<StockDiscrepancy> {
    const found = await this.prisma.stockDiscrepancy.findUnique({
      where: { id },
      select: { stockItem: { select: { dispenserId: true } } },
    });
    if (!found) throw notFound('No discrepancy has this id');
    const witnessed = await witnesses.confirm(witnessToken, actorId, [id, found.stockItem.dispenserId], {
      act: 'RESOLVE',
    });
    const witnessId = witnessed.witnessId;
    return this.prisma.$transaction(async (tx) => {
      await useWitness(tx, 'pyxis', witnessed);
      const closed = await tx.stockDiscrepancy.updateMany({
        where: { id, resolvedAt: null },
        data: { resolvedAt: new Date(), resolvedById: actorId, resolvedWitnessId: witnessId, resolution: reason },
      });
      if (closed.count === 0) throw conflict('This discrepancy is already resolved');
      const resolved = await tx.stockDiscrepancy.findUniqueOrThrow({ where: { id }, include: { stockItem: true } });
      // Its outcome in the register: a line of 0 units with the finding, who and who witnessed.
      const slot = await lockSlot(tx, resolved.stockItemId);
      if (slot) {
        const finding = {
          kind: 'RESOLVE',
          reason: `discrepancy ${id} resolved (${resolved.counted - resolved.expected}): ${reason}`,
          actorId,
          witnessId,
          requestId: resolved.requestId,
        } as const;
        await recordMovements(
          tx,
          { ...slot, medicineId: resolved.medicineId, materialId: resolved.materialId },
          [{ lot: null, expiresAt: null, delta: 0 }],
          finding,
        );
      }
      await announceDiscrepancy(tx, resolved.stockItem, resolved);
      return resolved;
    });
  }
}
