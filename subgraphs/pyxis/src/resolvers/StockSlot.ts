import type { StockLocationResolvers, StockSlotResolvers, StockMovementResolvers } from '../generated/graphql';
import { availableIn, isExpired } from '../data/reservations';
import { count } from '../validation';

export const StockSlot: StockSlotResolvers = {
  dispenser: (slot, _, { dispensers }) => dispensers.byId.load(slot.dispenserId).then((d) => d!),
  medicine: (slot, _, { catalogue }) => (slot.medicineId ? catalogue.medicineById.load(slot.medicineId) : null),
  material: (slot, _, { catalogue }) => (slot.materialId ? catalogue.materialById.load(slot.materialId) : null),
  belowPar: (slot) => slot.quantity < slot.parLevel,
  available: (slot) => availableIn(slot),
  expiresAt: (slot) => slot.expiresAt?.toISOString().slice(0, 10) ?? null,
  expired: (slot) => isExpired(slot),
  movements: (slot, { last }, { stock }) => stock.movements(slot.id, count(last ?? 20, 'last', { min: 1, max: 200 })),
};

export const StockMovement: StockMovementResolvers = {
  at: (movement) => movement.at.toISOString(),
};

export const StockLocation: StockLocationResolvers = {
  available: (slot) => availableIn(slot),
};
