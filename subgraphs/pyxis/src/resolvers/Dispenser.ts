import type { DispenserResolvers } from '../generated/graphql';
import { describeLocation } from '../data/dispensers';
import { checkQrSize } from '../qrCodes';

export const Dispenser: DispenserResolvers = {
  __resolveReference: (reference, { dispensers }) => dispensers.byId.load(reference.id),
  location: (dispenser) => describeLocation(dispenser),
  qrCode: (dispenser, { format, size }, { qrCodes, qrBudget }) =>
    qrCodes.code(dispenser, format ?? 'PNG', checkQrSize(size ?? 256), qrBudget),
  stock: (dispenser, _, { stock }) => stock.byDispenser.load(dispenser.id),
  retired: (dispenser) => dispenser.retiredAt !== null,
  assistanceTypes: async (dispenser, _, { dispensers }) =>
    (await dispensers.assistance.load(dispenser.id)).map((offer) => offer.assistanceType),
};
