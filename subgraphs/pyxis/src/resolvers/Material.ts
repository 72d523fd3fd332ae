import type { MaterialResolvers } from '../generated/graphql';
import { nearestFirst } from '../data/stock';

export const Material: MaterialResolvers = {
  __resolveReference: (reference, { catalogue }) => catalogue.materialById.load(reference.id),
  locations: async (material, { unit }, { stock }) => nearestFirst(await stock.byMaterial.load(material.id), unit),
};
