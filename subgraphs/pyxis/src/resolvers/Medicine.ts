import type { MedicineResolvers } from '../generated/graphql';
import { nearestFirst } from '../data/stock';
import { count } from '../validation';

export const Medicine: MedicineResolvers = {
  __resolveReference: (reference, { catalogue }) => catalogue.medicineById.load(reference.id),
  locations: async (medicine, { unit }, { stock }) => nearestFirst(await stock.byMedicine.load(medicine.id), unit),
  changes: (medicine, { last }, { catalogue }) =>
    catalogue.changes({ medicineId: medicine.id }, count(last ?? 20, 'last', { min: 1, max: 200 })),
};
