import { createGroupLoader } from '@asky/shared';
import type { PyxisPrisma } from './client';
import type { Dispenser, StockItem } from '../generated/prisma/client';

export type StockWithDispenser = StockItem & { dispenser: Dispenser };

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

  private withDispenser(where: { medicineId: { in: string[] } } | { materialId: { in: string[] } }) {
    return this.prisma.stockItem.findMany({
      where,
      include: { dispenser: true },
      orderBy: [{ dispenser: { code: 'asc' } }, { slot: 'asc' }],
    });
  }
}
