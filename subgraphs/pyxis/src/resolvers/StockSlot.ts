import type { StockSlotResolvers } from '../generated/graphql';

export const StockSlot: StockSlotResolvers = {
  medicine: (slot, _, { catalogue }) => (slot.medicineId ? catalogue.medicineById.load(slot.medicineId) : null),
  material: (slot, _, { catalogue }) => (slot.materialId ? catalogue.materialById.load(slot.materialId) : null),
};
