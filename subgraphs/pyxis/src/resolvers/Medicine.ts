import type { MedicineResolvers } from '../generated/graphql';
import { nearestFirst } from '../data/stock';

export const Medicine: MedicineResolvers = {
  __resolveReference: (reference, { catalogue }) => catalogue.medicineById.load(reference.id),
  locations: async (medicine, { unit }, { stock }) => nearestFirst(await stock.byMedicine.load(medicine.id), unit),
};
