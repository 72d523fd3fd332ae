import type { RequestChangeResolvers } from '../generated/graphql';
import { reference } from '../data/references';

export const RequestChange: RequestChangeResolvers = {
  changedBy: (change) => reference(change.changedById),
};
