import { createByIdLoader } from '@asky/shared';
import type { PyxisPrisma } from './client';
import type { Dispenser } from '../generated/prisma/client';

/** Dispensers; lookups by id are batched per request. */
export class DispenserRepository {
  readonly byId = createByIdLoader((ids) => this.prisma.dispenser.findMany({ where: { id: { in: ids } } }));

  constructor(private readonly prisma: PyxisPrisma) {}

  list() {
    return this.prisma.dispenser.findMany({ orderBy: { code: 'asc' } });
  }
}

/** "UTI Adulto · 2º andar · Sala 201": what a person reads to find the cabinet. */
export const describeLocation = (dispenser: Pick<Dispenser, 'unit' | 'floor' | 'room'>): string =>
  [dispenser.unit, dispenser.floor, dispenser.room].join(' · ');
