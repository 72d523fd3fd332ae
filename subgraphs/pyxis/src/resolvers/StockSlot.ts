import type { StockItem } from '../generated/prisma/client';
import type { Context } from '../context';
import type { StockCountResolvers, StockDiscrepancyResolvers, StockLocationResolvers, StockLotResolvers, StockSlotResolvers, StockMovementResolvers } from '../generated/graphql';
import { availableIn } from '../data/reservations';
import { isExpired, unexpiredIn } from '../data/lots';
import { count } from '../validation';

const day = (date: Date | null) => date?.toISOString().slice(0, 10) ?? null;

const lotsOf = (slot: StockItem, { stock }: Context) => stock.lotsBySlot.load(slot.id);

/** The lot dispensed next: the first unexpired one, else the first. */
async function nextLot(slot: StockItem, ctx: Context) {
  const lots = await lotsOf(slot, ctx);
  return lots.find((lot) => !isExpired(lot)) ?? lots[0] ?? null;
}

/** Fields that StockSlot and StockLocation (a slot seen from its item) share. */
const slotFields = {
  lots: lotsOf,
  unexpired: async (slot: StockItem, _: unknown, ctx: Context) => unexpiredIn(await lotsOf(slot, ctx)),
  available: async (slot: StockItem, _: unknown, ctx: Context) => availableIn({ unexpired: unexpiredIn(await lotsOf(slot, ctx)), reserved: slot.reserved }),
};

export const StockSlot: StockSlotResolvers = {
  dispenser: (slot, _, { dispensers }) => dispensers.byId.load(slot.dispenserId).then((d) => d!),
  medicine: (slot, _, { catalogue }) => (slot.medicineId ? catalogue.medicineById.load(slot.medicineId) : null),
  material: (slot, _, { catalogue }) => (slot.materialId ? catalogue.materialById.load(slot.materialId) : null),
  belowPar: (slot) => slot.quantity < slot.parLevel,
  lots: (slot, _, ctx) => slotFields.lots(slot, ctx),
  unexpired: slotFields.unexpired,
  available: slotFields.available,
  lot: async (slot, _, ctx) => (await nextLot(slot, ctx))?.lot ?? null,
  expiresAt: async (slot, _, ctx) => day((await nextLot(slot, ctx))?.expiresAt ?? null),
  expired: async (slot, _, ctx) => (await lotsOf(slot, ctx)).some((lot) => isExpired(lot)),
  movements: (slot, { last }, { stock }) => stock.movements(slot.id, count(last ?? 20, 'last', { min: 1, max: 200 })),
};

export const StockLocation: StockLocationResolvers = {
  lots: (slot, _, ctx) => slotFields.lots(slot, ctx),
  unexpired: slotFields.unexpired,
  available: slotFields.available,
};

export const StockLot: StockLotResolvers = {
  expiresAt: (lot) => day(lot.expiresAt),
  expired: (lot) => isExpired(lot),
  slot: async (lot, _, { stock }) => lot.stockItem ?? (await stock.slotById.load(lot.stockItemId))!,
};

export const StockMovement: StockMovementResolvers = {
  at: (movement) => movement.at.toISOString(),
};

export const StockDiscrepancy: StockDiscrepancyResolvers = {
  slot: async (d, _, { stock }) => (await stock.slotById.load(d.stockItemId))!,
  source: (d) => d.source as 'COUNT' | 'DISPENSE',
  difference: (d) => d.counted - d.expected,
  open: (d) => d.resolvedAt === null,
  openedAt: (d) => d.openedAt.toISOString(),
  resolvedAt: (d) => d.resolvedAt?.toISOString() ?? null,
};

export const StockCount: StockCountResolvers = {
  counted: (result) => result.slot.quantity,
};
