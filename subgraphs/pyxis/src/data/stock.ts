import { recordedStockChange } from './recordedStockChanges';
import type { StockCustody, StockMovement } from '../generated/prisma/client';

/** Where units left from: a slot of a dispenser. */
type WithSlot = { readonly stockItem: { readonly dispenserId: string; readonly slot: string } };
/** A DISPENSE movement with where it left from. */
export type LotDispenseRow = StockMovement & WithSlot;
/** Units in custody with where they left from. */
export type InTransitRow = StockCustody & WithSlot;
import { createByIdLoader, createGroupLoader } from '@asky/shared';
import type { PyxisPrisma } from './client';
import type { Dispenser, Prisma, StockItem, StockLot } from '../generated/prisma/client';
import { firstExpiryFirst } from './lots';
import { readRegister } from './register';

export type StockWithDispenser = StockItem & { dispenser: Dispenser };

/** A lot, with its slot when the query that found it read it too. */
export type LotInSlot = StockLot & { stockItem?: StockItem };

const onUnit = (unit?: string | null): Prisma.StockItemWhereInput =>
  unit
    ? { dispenser: { unit: { equals: unit, mode: 'insensitive' }, retiredAt: null } }
    : { dispenser: { retiredAt: null } };

/** What each dispenser holds, grouped by item or by dispenser, one query per batch. */
export class StockRepository {
  readonly byMedicine = createGroupLoader(
    (ids) => this.withDispenser({ medicineId: { in: ids } }),
    (row) => row.medicineId,
  );
  readonly byMaterial = createGroupLoader(
    (ids) => this.withDispenser({ materialId: { in: ids } }),
    (row) => row.materialId,
  );
  readonly slotById = createByIdLoader((ids) => this.prisma.stockItem.findMany({ where: { id: { in: ids } } }));
  /** A slot's lots, first expiry first. */
  readonly lotsBySlot = createGroupLoader(
    (ids) =>
      this.prisma.stockLot
        .findMany({ where: { stockItemId: { in: ids } } })
        .then((lots) => lots.sort(firstExpiryFirst)),
    (row) => row.stockItemId,
  );
  readonly byDispenser = createGroupLoader(
    (ids) => this.prisma.stockItem.findMany({ where: { dispenserId: { in: ids } }, orderBy: { slot: 'asc' } }),
    (row) => row.dispenserId,
  );

  constructor(private readonly prisma: PyxisPrisma) {}

  /**
   * Slots below par, most urgent to restock first, as a pharmacy ranks them: empty
   * slots, then controlled medicines, then by how little of par is left (an empty
   * Midazolam slot before 40 swabs short of 100), then by the shortfall.
   */
  async lowStock(unit?: string | null) {
    const [slots, controlled] = await Promise.all([
      this.prisma.stockItem.findMany({ where: onUnit(unit), orderBy: [{ dispenserId: 'asc' }, { slot: 'asc' }] }),
      this.prisma.medicine.findMany({ where: { controlled: true }, select: { id: true } }),
    ]);
    const isControlled = new Set(controlled.map((m) => m.id));
    const rank = (s: StockItem) => [
      s.quantity === 0 ? 0 : 1,
      s.medicineId && isControlled.has(s.medicineId) ? 0 : 1,
      s.quantity / s.parLevel,
      -(s.parLevel - s.quantity),
    ];
    const byRank = (a: StockItem, b: StockItem) => {
      const [x, y] = [rank(a), rank(b)];
      return x.reduce((order, value, i) => order || value - y[i]!, 0);
    };
    return slots.filter((s) => s.quantity < s.parLevel).sort(byRank);
  }

  /** A recall: the dispenses of a lot (of one item, when named), newest first. */
  lotDispenses(
    lot: string,
    item: { medicineId?: string | null; materialId?: string | null },
    first: number,
  ): Promise<LotDispenseRow[]> {
    return this.prisma.stockMovement.findMany({
      where: {
        kind: 'DISPENSE',
        lot,
        ...(item.medicineId ? { medicineId: item.medicineId } : {}),
        ...(item.materialId ? { materialId: item.materialId } : {}),
      },
      orderBy: [{ at: 'desc' }, { id: 'asc' }],
      take: first,
      include: { stockItem: { select: { dispenserId: true, slot: true } } },
    });
  }

  /** Everything in custody now (picked up, not yet handed over or brought back), oldest first; of one medicine or dispenser when named. */
  inTransit(where: { medicineId?: string | null; dispenserId?: string | null }): Promise<InTransitRow[]> {
    return this.prisma.stockCustody.findMany({
      where: {
        endedAt: null,
        ...(where.medicineId ? { medicineId: where.medicineId } : {}),
        ...(where.dispenserId ? { stockItem: { dispenserId: where.dispenserId } } : {}),
      },
      include: { stockItem: { select: { dispenserId: true, slot: true } } },
      orderBy: [{ pickedUpAt: 'asc' }, { id: 'asc' }],
      take: 1_000,
    });
  }

  /** The change a stock event announced, as recorded (see recordedStockChanges.ts). */
  recordedChange(eventId: string) {
    return recordedStockChange(this.prisma, eventId);
  }

  /** Slots holding a lot that expires before `date`, the soonest first. */
  async expiringBefore(date: Date, unit?: string | null) {
    const lots = await this.expiringLots(date, unit);
    const slots = new Map(lots.map((lot) => [lot.stockItemId, lot.stockItem]));
    return [...slots.values()];
  }

  /** Every lot that expires before `date`, the soonest first. */
  expiringLots(date: Date, unit?: string | null) {
    return this.prisma.stockLot.findMany({
      where: { expiresAt: { lt: date }, quantity: { gt: 0 }, stockItem: onUnit(unit) },
      include: { stockItem: true },
      orderBy: [{ expiresAt: 'asc' }, { stockItem: { slot: 'asc' } }, { id: 'asc' }],
    });
  }

  /** A medicine's register over the hospital's days `firstDay` to `lastDay`, both included. */
  register(medicineId: string, firstDay: string, lastDay: string) {
    return readRegister(this.prisma, medicineId, firstDay, lastDay);
  }

  movements(stockItemId: string, last: number) {
    return this.prisma.stockMovement.findMany({ where: { stockItemId }, orderBy: { at: 'desc' }, take: last });
  }

  private withDispenser(where: { medicineId: { in: string[] } } | { materialId: { in: string[] } }) {
    return this.prisma.stockItem.findMany({
      where: { ...where, dispenser: { retiredAt: null } },
      include: { dispenser: true },
      orderBy: [{ dispenser: { code: 'asc' } }, { slot: 'asc' }],
    });
  }
}

/** `rows` with those on `unit` first (stable otherwise): the nearest cabinets for a ward. */
export function nearestFirst(rows: StockWithDispenser[], unit?: string | null): StockWithDispenser[] {
  if (!unit) return rows;
  const here = unit.trim().toLowerCase();
  return [...rows].sort(
    (a, b) => Number(b.dispenser.unit.toLowerCase() === here) - Number(a.dispenser.unit.toLowerCase() === here),
  );
}
