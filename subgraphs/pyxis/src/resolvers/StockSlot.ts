import type { StockItem } from '../generated/prisma/client';
import type { Context } from '../context';
import type {
  StockChangeResolvers,
  StockCountResolvers,
  StockDiscrepancyResolvers,
  StockLocationResolvers,
  StockLotResolvers,
  StockSlotResolvers,
  StockMovementResolvers,
} from '../generated/graphql';
import { availableIn } from '../data/reservations';
import { isExpired, unexpiredIn } from '../data/lots';
import { count } from '../validation';
import { figure } from '../blindCounts';
import type { DiscrepancySource } from '../data/discrepancies';

const day = (date: Date | null) => date?.toISOString().slice(0, 10) ?? null;

const lotsOf = (slot: StockItem, { stock }: Context) => stock.lotsBySlot.load(slot.id);

/** The lot dispensed next: the first unexpired one, else the first. */
async function nextLot(slot: StockItem, ctx: Context) {
  const lots = await lotsOf(slot, ctx);
  return lots.find((lot) => !isExpired(lot)) ?? lots[0] ?? null;
}

/** Whether a medicine is controlled (batched, per operation). */
const controlledIn = (ctx: Context) => async (medicineId: string) =>
  !!(await ctx.catalogue.medicineById.load(medicineId))?.controlled;

/** A figure of `slot`, unless it would show a blind counter what a controlled slot holds (see blindCounts.ts). */
const seen = async <T>(slot: Pick<StockItem, 'medicineId'>, ctx: Context, value: () => Promise<T> | T) =>
  figure(await value(), ctx.viewer, slot.medicineId, controlledIn(ctx));

/** Fields that StockSlot and StockLocation (a slot seen from its item) share. */
const slotFields = {
  lots: lotsOf,
  quantity: (slot: StockItem, _: unknown, ctx: Context) => seen(slot, ctx, () => slot.quantity),
  reserved: (slot: StockItem, _: unknown, ctx: Context) => seen(slot, ctx, () => slot.reserved),
  unexpired: (slot: StockItem, _: unknown, ctx: Context) =>
    seen(slot, ctx, async () => unexpiredIn(await lotsOf(slot, ctx))),
  available: (slot: StockItem, _: unknown, ctx: Context) =>
    seen(slot, ctx, async () =>
      availableIn({ unexpired: unexpiredIn(await lotsOf(slot, ctx)), reserved: slot.reserved }),
    ),
};

export const StockSlot: StockSlotResolvers = {
  dispenser: (slot, _, { dispensers }) => dispensers.byId.load(slot.dispenserId).then((d) => d!),
  medicine: (slot, _, { catalogue }) => (slot.medicineId ? catalogue.medicineById.load(slot.medicineId) : null),
  material: (slot, _, { catalogue }) => (slot.materialId ? catalogue.materialById.load(slot.materialId) : null),
  belowPar: (slot) => slot.quantity < slot.parLevel,
  lots: (slot, _, ctx) => slotFields.lots(slot, ctx),
  quantity: slotFields.quantity,
  reserved: slotFields.reserved,
  unexpired: slotFields.unexpired,
  available: slotFields.available,
  lot: async (slot, _, ctx) => (await nextLot(slot, ctx))?.lot ?? null,
  expiresAt: async (slot, _, ctx) => day((await nextLot(slot, ctx))?.expiresAt ?? null),
  expired: async (slot, _, ctx) => (await lotsOf(slot, ctx)).some((lot) => isExpired(lot)),
  movements: (slot, { last }, { stock }) => stock.movements(slot.id, count(last ?? 20, 'last', { min: 1, max: 200 })),
};

export const StockLocation: StockLocationResolvers = {
  lots: (slot, _, ctx) => slotFields.lots(slot, ctx),
  quantity: slotFields.quantity,
  reserved: slotFields.reserved,
  unexpired: slotFields.unexpired,
  available: slotFields.available,
};

export const StockLot: StockLotResolvers = {
  quantity: async (lot, _, ctx) =>
    seen(lot.stockItem ?? (await ctx.stock.slotById.load(lot.stockItemId))!, ctx, () => lot.quantity),
  expiresAt: (lot) => day(lot.expiresAt),
  expired: (lot) => isExpired(lot),
  slot: async (lot, _, { stock }) => lot.stockItem ?? (await stock.slotById.load(lot.stockItemId))!,
};

export const StockMovement: StockMovementResolvers = {
  delta: (movement, _, ctx) => seen(movement, ctx, () => movement.delta),
  quantityAfter: (movement, _, ctx) => seen(movement, ctx, () => movement.quantityAfter),
  carried: (movement, _, ctx) => seen(movement, ctx, () => movement.carried),
  at: (movement) => movement.at.toISOString(),
};

/** A live or read stock change: its figures as a movement's. */
export const StockChange: StockChangeResolvers = {
  delta: (change, _, ctx) => seen(change, ctx, () => change.delta),
  quantityAfter: (change, _, ctx) => seen(change, ctx, () => change.quantityAfter),
};

export const StockDiscrepancy: StockDiscrepancyResolvers = {
  slot: async (d, _, { stock }) => (await stock.slotById.load(d.stockItemId))!,
  source: (d) => d.source as DiscrepancySource,
  difference: (d) => d.counted - d.expected,
  open: (d) => d.resolvedAt === null,
  openedAt: (d) => d.openedAt.toISOString(),
  resolvedAt: (d) => d.resolvedAt?.toISOString() ?? null,
};

export const StockCount: StockCountResolvers = {
  counted: (result) => result.slot.quantity,
};
