import { heldChange } from '../data/custody';
import type { LotDispenseResolvers, StockInTransitResolvers } from '../generated/graphql';

export const LotDispense: LotDispenseResolvers = {
  at: (row) => row.at.toISOString(),
  lot: (row) => row.lot ?? '',
  medicine: (row, _, { catalogue }) => (row.medicineId ? catalogue.medicineById.load(row.medicineId) : null),
  material: (row, _, { catalogue }) => (row.materialId ? catalogue.materialById.load(row.materialId) : null),
  dispenser: async (row, _, { dispensers }) => (await dispensers.byId.load(row.stockItem.dispenserId))!,
  slot: (row) => row.stockItem.slot,
  quantity: (row) => -heldChange(row), // out of the slot, or (picked up before) out of custody
  request: (row) => (row.requestId ? { id: row.requestId } : null),
};

export const StockInTransit: StockInTransitResolvers = {
  request: (row) => ({ id: row.requestId }),
  medicine: (row, _, { catalogue }) => (row.medicineId ? catalogue.medicineById.load(row.medicineId) : null),
  material: (row, _, { catalogue }) => (row.materialId ? catalogue.materialById.load(row.materialId) : null),
  dispenser: async (row, _, { dispensers }) => (await dispensers.byId.load(row.stockItem.dispenserId))!,
  slot: (row) => row.stockItem.slot,
  carrier: (row) => ({ id: row.carrierId }),
  since: (row) => row.pickedUpAt.toISOString(),
};
