import type { MedicineResolvers } from '../generated/graphql';

export const Medicine: MedicineResolvers = {
  __resolveReference: (reference, { catalogue }) => catalogue.medicineById.load(reference.id),
  locations: (medicine, _, { stock }) => stock.byMedicine.load(medicine.id),
};
