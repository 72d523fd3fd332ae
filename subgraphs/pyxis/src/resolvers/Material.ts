import type { MaterialResolvers } from '../generated/graphql';
import { nearestFirst } from '../data/stock';
import { count } from '../validation';

export const Material: MaterialResolvers = {
  __resolveReference: (reference, { catalogue }) => catalogue.materialById.load(reference.id),
  locations: async (material, { unit }, { stock }) => nearestFirst(await stock.byMaterial.load(material.id), unit),
  changes: (material, { last }, { catalogue }) =>
    catalogue.changes({ materialId: material.id }, count(last ?? 20, 'last', { min: 1, max: 200 })),
};
