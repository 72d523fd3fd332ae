import { conflict, createByIdLoader, createGroupLoader, expectingClientErrors } from '@asky/shared';
import type { PyxisPrisma } from './client';
import type { Dispenser, Prisma } from '../generated/prisma/client';

const MISSING = 'No dispenser has this id';

/** Dispensers and what help each offers; lookups by id are batched per request. */
export class DispenserRepository {
  readonly byId = createByIdLoader((ids) => this.prisma.dispenser.findMany({ where: { id: { in: ids } } }));
  readonly assistance = createGroupLoader(
    (ids) =>
      this.prisma.dispenserAssistance.findMany({
        where: { dispenserId: { in: ids } },
        include: { assistanceType: true },
        orderBy: { assistanceType: { name: 'asc' } },
      }),
    (row) => row.dispenserId,
  );

  constructor(private readonly prisma: PyxisPrisma) {}

  list(includeRetired = false) {
    return this.prisma.dispenser.findMany({
      where: includeRetired ? {} : { retiredAt: null },
      orderBy: { code: 'asc' },
    });
  }

  create(data: Prisma.DispenserCreateInput) {
    return expectingClientErrors(this.prisma.dispenser.create({ data }), {
      duplicate: 'Another dispenser has this code',
    });
  }

  update(id: string, data: Prisma.DispenserUpdateInput) {
    return expectingClientErrors(this.prisma.dispenser.update({ where: { id }, data }), { missing: MISSING });
  }

  /** Retiring needs an empty dispenser: stock must be moved out first. */
  async retire(id: string) {
    return this.prisma.$transaction(async (tx) => {
      const held = await tx.stockItem.aggregate({ where: { dispenserId: id }, _sum: { quantity: true } });
      if ((held._sum.quantity ?? 0) > 0) throw conflict('The dispenser still holds stock: empty it before retiring it');
      return expectingClientErrors(
        tx.dispenser.update({ where: { id }, data: { retiredAt: new Date(), status: 'OFFLINE' } }),
        {
          missing: MISSING,
        },
      );
    });
  }

  async setAssistance(dispenserId: string, assistanceTypeIds: string[]) {
    await expectingClientErrors(
      this.prisma.$transaction([
        this.prisma.dispenserAssistance.deleteMany({ where: { dispenserId } }),
        this.prisma.dispenserAssistance.createMany({
          data: [...new Set(assistanceTypeIds)].map((assistanceTypeId) => ({ dispenserId, assistanceTypeId })),
        }),
        this.prisma.dispenser.update({ where: { id: dispenserId }, data: { updatedAt: new Date() } }),
      ]),
      { missing: MISSING, badReference: 'An assistance type or the dispenser does not exist' },
    );
    return this.prisma.dispenser.findUniqueOrThrow({ where: { id: dispenserId } });
  }
}

/** "UTI Adulto · 2º andar · Sala 201": what a person reads to find the cabinet. */
export const describeLocation = (dispenser: Pick<Dispenser, 'unit' | 'floor' | 'room'>): string =>
  [dispenser.unit, dispenser.floor, dispenser.room].join(' · ');
