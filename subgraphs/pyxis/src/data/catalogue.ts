import { createByIdLoader, expectingClientErrors } from '@asky/shared';
import type { Prisma } from '../generated/prisma/client';
import type { PyxisPrisma } from './client';
import { searchPage, type Page } from './search';

/** Medicines, materials and assistance types; lookups by id are batched per request. */
export class CatalogueRepository {
  readonly medicineById = createByIdLoader((ids) => this.prisma.medicine.findMany({ where: { id: { in: ids } } }));
  readonly materialById = createByIdLoader((ids) => this.prisma.material.findMany({ where: { id: { in: ids } } }));
  readonly assistanceTypeById = createByIdLoader((ids) =>
    this.prisma.assistanceType.findMany({ where: { id: { in: ids } } }),
  );

  constructor(private readonly prisma: PyxisPrisma) {}

  /** One page of medicines matching `search` (name or active ingredient), by name. */
  async medicines(page: Page) {
    return this.inOrder(await searchPage(this.prisma, 'Medicine', page), this.medicineById);
  }

  /** One page of materials matching `search` (name or category), by name. */
  async materials(page: Page) {
    return this.inOrder(await searchPage(this.prisma, 'Material', page), this.materialById);
  }

  /** Loads rows for ids found by a search, keeping the search's order. */
  private async inOrder<T>(
    ids: string[],
    loader: { loadMany(ids: string[]): Promise<(T | null | Error)[]> },
  ): Promise<T[]> {
    const rows = await loader.loadMany(ids);
    return rows.filter((row): row is T => row !== null && !(row instanceof Error));
  }

  /** The medicine a package's barcode names. */
  medicineByBarcode(barcode: string) {
    return this.prisma.medicine.findUnique({ where: { barcode } });
  }

  /** A record's audit trail, latest first. */
  changes(item: { medicineId: string } | { materialId: string }, last: number) {
    return this.prisma.catalogueChange.findMany({ where: item, orderBy: [{ at: 'desc' }, { id: 'desc' }], take: last });
  }

  createAssistanceType(data: Prisma.AssistanceTypeCreateInput) {
    return expectingClientErrors(this.prisma.assistanceType.create({ data }), {
      duplicate: 'Another assistance type has this code',
    });
  }

  assistanceTypes() {
    return this.prisma.assistanceType.findMany({ orderBy: { name: 'asc' } });
  }
}
