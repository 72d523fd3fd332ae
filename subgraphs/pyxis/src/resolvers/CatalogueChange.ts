import type { CatalogueChangeResolvers } from '../generated/graphql';
import type { FieldChange } from '../data/catalogueChanges';

export const CatalogueChange: CatalogueChangeResolvers = {
  at: (change) => change.at.toISOString(),
  fields: (change) => change.fields as unknown as FieldChange[],
};
