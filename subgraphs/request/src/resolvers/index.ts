import type { Resolvers } from '../generated/graphql';
import { Mutation } from './Mutation';
import { Query } from './Query';
import { Request } from './Request';
import { RequestChange } from './RequestChange';
import { RequestHistoryEntry } from './RequestHistoryEntry';

export const resolvers: Resolvers = { Query, Mutation, Request, RequestChange, RequestHistoryEntry };
