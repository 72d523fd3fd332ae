import type { DispenserResolvers } from '../generated/graphql';
import { describeLocation } from '../data/dispensers';

export const Dispenser: DispenserResolvers = {
  __resolveReference: (reference, { dispensers }) => dispensers.byId.load(reference.id),
  location: (dispenser) => describeLocation(dispenser),
  qrCode: (dispenser, _, { qrCodes }) => qrCodes.dataUrl(dispenser),
  stock: (dispenser, _, { stock }) => stock.byDispenser.load(dispenser.id),
};
