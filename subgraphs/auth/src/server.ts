import { startSubgraph, type SubgraphDefinition, type SubgraphDeps } from '@asky/shared';
import { createContext, type Context } from './context';
import { createPrismaClient, type AuthPrisma } from './data/client';
import { resolvers } from './resolvers';

export { createPrismaClient, type AuthPrisma };

export const authSubgraph: SubgraphDefinition<AuthPrisma, Context> = {
  name: 'auth',
  packageName: '@asky/auth',
  resolvers,
  createContext,
  createPrismaClient,
};

/** Starts the auth subgraph; the caller owns `deps.prisma`. */
export const createServer = (deps: SubgraphDeps<AuthPrisma>) => startSubgraph(authSubgraph, deps);
