import type { MedicineRegisterResolvers, RegisterEntryResolvers } from '../generated/graphql';
import { hospitalLocalIso } from '@asky/shared';
import { registerCsv, registerDays } from '../data/register';

export const MedicineRegister: MedicineRegisterResolvers = {
  medicine: async (register, _, { catalogue }) => (await catalogue.medicineById.load(register.medicineId))!,
  from: (register) => register.firstDay,
  to: (register) => register.lastDay,
  csv: (register) => registerCsv(register),
  days: (register) => registerDays(register),
};

export const RegisterEntry: RegisterEntryResolvers = {
  at: (entry) => entry.at.toISOString(),
  dispenser: (entry) => entry.stockItem.dispenser,
  slot: (entry) => entry.stockItem.slot,
  localAt: (entry) => hospitalLocalIso(entry.at),
  actor: (entry) => ({ id: entry.actorId }),
  witness: (entry) => (entry.witnessId ? { id: entry.witnessId } : null),
  request: (entry) => (entry.requestId ? { id: entry.requestId } : null),
};
