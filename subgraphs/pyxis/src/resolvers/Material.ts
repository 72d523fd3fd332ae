import type { MaterialResolvers } from '../generated/graphql';

export const Material: MaterialResolvers = {
  __resolveReference: (reference, { catalogue }) => catalogue.materialById.load(reference.id),
  locations: (material, _, { stock }) => stock.byMaterial.load(material.id),
};
