import { parseId } from '@asky/shared';
import type { QueryResolvers } from '../generated/graphql';

export const Query: QueryResolvers = {
  medicines: (_, { search }, { catalogue }) => catalogue.medicines(search),
  medicine: (_, { id }, { catalogue }) => catalogue.medicineById.load(parseId(id)),
  materials: (_, { search }, { catalogue }) => catalogue.materials(search),
  material: (_, { id }, { catalogue }) => catalogue.materialById.load(parseId(id)),
  assistanceTypes: (_, __, { catalogue }) => catalogue.assistanceTypes(),
  dispensers: (_, __, { dispensers }) => dispensers.list(),
  dispenser: (_, { id }, { dispensers }) => dispensers.byId.load(parseId(id)),
};
