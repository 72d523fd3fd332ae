import type { LotDispenseResolvers } from '../generated/graphql';

export const LotDispense: LotDispenseResolvers = {
  at: (row) => row.at.toISOString(),
  lot: (row) => row.lot ?? '',
  medicine: (row, _, { catalogue }) => (row.medicineId ? catalogue.medicineById.load(row.medicineId) : null),
  material: (row, _, { catalogue }) => (row.materialId ? catalogue.materialById.load(row.materialId) : null),
  dispenser: async (row, _, { dispensers }) => (await dispensers.byId.load(row.stockItem.dispenserId))!,
  slot: (row) => row.stockItem.slot,
  quantity: (row) => -row.delta,
  request: (row) => (row.requestId ? { id: row.requestId } : null),
};
