import { OutboxRelay, OutboxRepository, registerSampledGauge, type SubgraphDefinition } from '@asky/shared';
import { createContext, type Context } from './context';
import { createPrismaClient, type PyxisPrisma } from './data/client';
import { RemoteRequests, type RequestSource } from './events/requests';
import { StockConsumer } from './events/stockConsumer';
import { qrRoutes } from './http';
import { DispenserQrCodes, qrCallerAllowance } from './qrCodes';
import { resolvers } from './resolvers';

export { createPrismaClient, RemoteRequests, type PyxisPrisma, type RequestSource };

/** One cache per process: QR codes outlive requests. */
const qrCodes = new DispenserQrCodes();
/** Each caller's QR rendering a minute, across operations and label URLs. */
const qrAllowance = qrCallerAllowance();

/** The pyxis subgraph; `requests` answers what a completed request dispenses. */
export function createPyxisSubgraph(requests: RequestSource): SubgraphDefinition<PyxisPrisma, Context> {
  return {
    name: 'pyxis',
    packageName: '@asky/pyxis',
    resolvers,
    createContext: (prisma, viewer, _req, witnesses) => createContext(prisma, viewer, qrCodes, qrAllowance, witnesses),
    createPrismaClient,
    routes: (app, prisma, viewerOf) => qrRoutes(app, prisma, viewerOf, qrCodes, qrAllowance),
    background: async (prisma, events, logger) => {
      const consumer = new StockConsumer(prisma, events.bus, logger, requests, events.queuePrefix);
      await consumer.start();
      const outbox = new OutboxRepository(prisma, 'pyxis');
      const relay = new OutboxRelay(outbox, events.bus, logger);
      relay.start();
      registerSampledGauge(
        'asky_stock_outbox_backlog',
        'Stock events in the outbox not yet confirmed by the broker',
        () => outbox.unsentCount(),
      );
      return {
        async stop() {
          await consumer.stop();
          await relay.stop();
        },
      };
    },
  };
}
