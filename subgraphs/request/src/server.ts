import { startSubgraph, type SubgraphDefinition, type SubgraphDeps } from '@asky/shared';
import { createContext, type Context } from './context';
import { createPrismaClient, type RequestPrisma } from './data/client';
import { resolvers } from './resolvers';

export { createPrismaClient, type RequestPrisma };

export const requestSubgraph: SubgraphDefinition<RequestPrisma, Context> = {
  name: 'request',
  packageName: '@asky/request',
  resolvers,
  createContext,
  createPrismaClient,
};

/** Starts the request subgraph; the caller owns `deps.prisma`. */
export const createServer = (deps: SubgraphDeps<RequestPrisma>) => startSubgraph(requestSubgraph, deps);
