import type { MedicineRegisterResolvers, RegisterEntryResolvers } from '../generated/graphql';
import { registerCsv } from '../data/register';

const day = (date: Date) => date.toISOString().slice(0, 10);

export const MedicineRegister: MedicineRegisterResolvers = {
  medicine: async (register, _, { catalogue }) => (await catalogue.medicineById.load(register.medicineId))!,
  from: (register) => day(register.from),
  to: (register) => day(new Date(register.to.getTime() - 864e5)), // `to` is the day after the last, excluded
  csv: (register) => registerCsv(register),
};

export const RegisterEntry: RegisterEntryResolvers = {
  at: (entry) => entry.at.toISOString(),
  dispenser: (entry) => entry.stockItem.dispenser,
  slot: (entry) => entry.stockItem.slot,
};
