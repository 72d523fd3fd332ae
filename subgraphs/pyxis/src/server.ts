import { startSubgraph, type SubgraphDefinition, type SubgraphDeps } from '@asky/shared';
import { createContext, type Context } from './context';
import { createPrismaClient, type PyxisPrisma } from './data/client';
import { StockConsumer } from './events/stockConsumer';
import { qrRoutes } from './http';
import { DispenserQrCodes, qrCallerAllowance } from './qrCodes';
import { resolvers } from './resolvers';

export { createPrismaClient, type PyxisPrisma };

/** One cache per process: QR codes outlive requests. */
const qrCodes = new DispenserQrCodes();
/** Each caller's QR rendering a minute, across operations and label URLs. */
const qrAllowance = qrCallerAllowance();

export const pyxisSubgraph: SubgraphDefinition<PyxisPrisma, Context> = {
  name: 'pyxis',
  packageName: '@asky/pyxis',
  resolvers,
  createContext: (prisma, viewer) => createContext(prisma, viewer, qrCodes, qrAllowance),
  createPrismaClient,
  routes: (app, prisma, viewerOf) => qrRoutes(app, prisma, viewerOf, qrCodes, qrAllowance),
  background: async (prisma, events, logger) => {
    const consumer = new StockConsumer(prisma, events.bus, logger, events.queuePrefix);
    await consumer.start();
    return consumer;
  },
};

/** Starts the pyxis subgraph; the caller owns `deps.prisma`. */
export const createServer = (deps: SubgraphDeps<PyxisPrisma>) => startSubgraph(pyxisSubgraph, deps);
