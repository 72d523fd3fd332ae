import type { Resolvers } from '../generated/graphql';
import { User } from './User';

export const resolvers: Resolvers = { User };
