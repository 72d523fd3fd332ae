import { createByIdLoader } from '@asky/shared';
import type { PyxisPrisma } from './client';

const byName = { name: 'asc' } as const;

/** Medicines, materials and assistance types; lookups by id are batched per request. */
export class CatalogueRepository {
  readonly medicineById = createByIdLoader((ids) => this.prisma.medicine.findMany({ where: { id: { in: ids } } }));
  readonly materialById = createByIdLoader((ids) => this.prisma.material.findMany({ where: { id: { in: ids } } }));
  readonly assistanceTypeById = createByIdLoader((ids) =>
    this.prisma.assistanceType.findMany({ where: { id: { in: ids } } }),
  );

  constructor(private readonly prisma: PyxisPrisma) {}

  medicines(search?: string | null) {
    const text = search?.trim();
    return this.prisma.medicine.findMany({
      where: text
        ? {
            OR: [
              { name: { contains: text, mode: 'insensitive' } },
              { activeIngredient: { contains: text, mode: 'insensitive' } },
            ],
          }
        : undefined,
      orderBy: byName,
    });
  }

  materials(search?: string | null) {
    const text = search?.trim();
    return this.prisma.material.findMany({
      where: text ? { name: { contains: text, mode: 'insensitive' } } : undefined,
      orderBy: byName,
    });
  }

  assistanceTypes() {
    return this.prisma.assistanceType.findMany({ orderBy: byName });
  }
}
