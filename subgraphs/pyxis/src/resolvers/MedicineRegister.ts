import type { MedicineRegisterResolvers, RegisterEntryResolvers } from '../generated/graphql';
import { registerCsv } from '../data/register';

export const MedicineRegister: MedicineRegisterResolvers = {
  medicine: async (register, _, { catalogue }) => (await catalogue.medicineById.load(register.medicineId))!,
  from: (register) => register.firstDay,
  to: (register) => register.lastDay,
  csv: (register) => registerCsv(register),
};

export const RegisterEntry: RegisterEntryResolvers = {
  at: (entry) => entry.at.toISOString(),
  dispenser: (entry) => entry.stockItem.dispenser,
  slot: (entry) => entry.stockItem.slot,
};
