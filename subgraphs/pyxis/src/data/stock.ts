import { createGroupLoader } from '@asky/shared';
import type { PyxisPrisma } from './client';
import type { Dispenser, Prisma, StockItem } from '../generated/prisma/client';

export type StockWithDispenser = StockItem & { dispenser: Dispenser };

const onUnit = (unit?: string | null): Prisma.StockItemWhereInput =>
  unit ? { dispenser: { unit: { equals: unit, mode: 'insensitive' }, retiredAt: null } } : { dispenser: { retiredAt: null } };

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
    const rank = (s: StockItem) => [s.quantity === 0 ? 0 : 1, s.medicineId && isControlled.has(s.medicineId) ? 0 : 1, s.quantity / s.parLevel, -(s.parLevel - s.quantity)];
    const byRank = (a: StockItem, b: StockItem) => {
      const [x, y] = [rank(a), rank(b)];
      return x.reduce((order, value, i) => order || value - y[i]!, 0);
    };
    return slots.filter((s) => s.quantity < s.parLevel).sort(byRank);
  }

  expiringBefore(date: Date, unit?: string | null) {
    return this.prisma.stockItem.findMany({
      where: { ...onUnit(unit), expiresAt: { lt: date }, quantity: { gt: 0 } },
      orderBy: [{ expiresAt: 'asc' }, { slot: 'asc' }],
    });
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
  return [...rows].sort((a, b) => Number(b.dispenser.unit.toLowerCase() === here) - Number(a.dispenser.unit.toLowerCase() === here));
}
