import { LiveHub, loadEscalationPolicy, OutboxRelay, OutboxRepository, REQUEST_EVENTS, type EscalationPolicy, registerSampledGauge, requestIdOf, startSubgraph, type Logger, type SubgraphDefinition, type SubgraphDeps } from '@asky/shared';
import type { Catalogue } from './catalogue';
import { Escalator } from './escalation';
import { createContext, type Context } from './context';
import { createPrismaClient, type RequestPrisma } from './data/client';
import { resolvers } from './resolvers';

export { createPrismaClient, type RequestPrisma };
export { PyxisCatalogue } from './catalogue';
export { Escalator } from './escalation';

/** The request subgraph; it learns about the catalogue from pyxis through `catalogue`. */
export function createRequestSubgraph(catalogue: Catalogue, escalation: EscalationPolicy = loadEscalationPolicy()): SubgraphDefinition<RequestPrisma, Context> {
  let relay: OutboxRelay | undefined;
  let hub: LiveHub | undefined;
  let log: Logger | undefined;
  return {
    name: 'request',
    packageName: '@asky/request',
    resolvers,
    // A committed change wakes this process's relay; other replicas' relays still poll.
    createContext: (prisma, viewer, req, witnesses) => createContext(prisma, viewer, { catalogue, witnesses, committed: () => relay?.nudge(), hub: () => hub, correlationId: requestIdOf(req), logger: log }),
    createPrismaClient,
    subscriptions: true,
    background: async (prisma, events, logger) => {
      log = logger;
      hub = new LiveHub(events.bus, logger, REQUEST_EVENTS);
      await hub.start();
      const outbox = new OutboxRepository(prisma, 'request');
      relay = new OutboxRelay(outbox, events.bus, logger);
      relay.start();
      const escalator = new Escalator(prisma, escalation, logger, () => relay?.nudge());
      escalator.start();
      registerSampledGauge('asky_outbox_backlog', 'Request events in the outbox not yet confirmed by the broker', () => outbox.unsentCount());
      return {
        async stop() {
          await escalator.stop();
          await relay?.stop();
          await hub?.stop();
        },
      };
    },
  };
}

/** Starts the request subgraph; the caller owns `deps.prisma`. */
export const createServer = (catalogue: Catalogue, deps: SubgraphDeps<RequestPrisma>) => startSubgraph(createRequestSubgraph(catalogue), deps);
