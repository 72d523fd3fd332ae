import type { Resolvers } from '../generated/graphql';
import { Mutation } from './Mutation';
import { Query } from './Query';
import { Request } from './Request';
import { RequestHistoryEntry } from './RequestHistoryEntry';
import { Subscription } from './Subscription';

export const resolvers: Resolvers = { Query, Mutation, Subscription, Request, RequestHistoryEntry };
