import { badUserInput, parseId } from '@asky/shared';
import { parseQrPayload } from '../qrCodes';
import type { QueryResolvers } from '../generated/graphql';

export const Query: QueryResolvers = {
  medicines: (_, { search }, { catalogue }) => catalogue.medicines(search),
  medicine: (_, { id }, { catalogue }) => catalogue.medicineById.load(parseId(id)),
  materials: (_, { search }, { catalogue }) => catalogue.materials(search),
  material: (_, { id }, { catalogue }) => catalogue.materialById.load(parseId(id)),
  assistanceTypes: (_, __, { catalogue }) => catalogue.assistanceTypes(),
  dispensers: (_, __, { dispensers }) => dispensers.list(),
  dispenser: (_, { id }, { dispensers }) => dispensers.byId.load(parseId(id)),
  dispenserByQr: async (_, { payload }, { dispensers }) => {
    const scanned = parseQrPayload(payload);
    const dispenser = await dispensers.byId.load(scanned.id);
    // A payload whose code does not match its id was not printed by us.
    if (!dispenser || dispenser.code !== scanned.code) throw badUserInput('This QR code names no dispenser of this hospital', { argument: 'payload' });
    return dispenser;
  },
};
