import type { RequestHistoryEntryResolvers } from '../generated/graphql';
import { reference } from '../data/references';

export const RequestHistoryEntry: RequestHistoryEntryResolvers = {
  changedBy: (entry) => reference(entry.changedById),
  witness: (entry) => reference(entry.witnessId),
  at: (entry) => entry.at.toISOString(),
};
