import type { AssistanceTypeResolvers } from '../generated/graphql';

export const AssistanceType: AssistanceTypeResolvers = {
  __resolveReference: (reference, { catalogue }) => catalogue.assistanceTypeById.load(reference.id),
};
