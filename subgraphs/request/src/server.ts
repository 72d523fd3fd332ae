import {
  OutboxRelay,
  OutboxRepository,
  type EscalationPolicy,
  type PushConfig,
  registerSampledGauge,
  requestIdOf,
  type Logger,
  type SubgraphDefinition,
} from '@asky/shared';
import type { Catalogue } from './catalogue';
import { Escalator } from './escalation';
import { PushNotifier, vapidKeys, type Vapid } from './push/notifier';
import { createContext, type Context } from './context';
import { createPrismaClient, type RequestPrisma } from './data/client';
import { resolvers } from './resolvers';

export { createPrismaClient, type RequestPrisma };
export { PyxisCatalogue } from './catalogue';
export { Escalator } from './escalation';
export { PUSH_QUEUE } from './push/notifier';

export interface RequestSubgraphOptions {
  /** When unattended requests escalate (loadEscalationPolicy, in a process's main). */
  readonly escalation: EscalationPolicy;
  /** Web Push (loadPushConfig, in a process's main). */
  readonly push: PushConfig;
}

/** The request subgraph; it learns about the catalogue from pyxis through `catalogue`. */
export function createRequestSubgraph(
  catalogue: Catalogue,
  options: RequestSubgraphOptions,
): SubgraphDefinition<RequestPrisma, Context> {
  const { escalation, push: pushConfig } = options;
  let vapid: Vapid | undefined;
  let relay: OutboxRelay | undefined;
  let log: Logger | undefined;
  return {
    name: 'request',
    packageName: '@asky/request',
    resolvers,
    // A committed change wakes this process's relay; other replicas' relays still poll.
    createContext: (prisma, viewer, req, witnesses) =>
      createContext(prisma, viewer, {
        catalogue,
        witnesses,
        committed: () => relay?.nudge(),
        correlationId: requestIdOf(req),
        logger: log,
        push: { config: pushConfig, publicKey: () => vapid?.publicKey },
      }),
    createPrismaClient,
    background: async (prisma, events, logger, users) => {
      log = logger;
      vapid = vapidKeys(pushConfig, logger);
      const notifier = new PushNotifier(
        prisma,
        events.bus,
        users,
        vapid,
        logger,
        events.queuePrefix,
        pushConfig.extraCa,
      );
      await notifier.start();
      const outbox = new OutboxRepository(prisma, 'request');
      relay = new OutboxRelay(outbox, events.bus, logger);
      relay.start();
      const escalator = new Escalator(prisma, escalation, logger, () => relay?.nudge());
      escalator.start();
      registerSampledGauge('asky_outbox_backlog', 'Request events in the outbox not yet confirmed by the broker', () =>
        outbox.unsentCount(),
      );
      return {
        async stop() {
          await notifier.stop();
          await escalator.stop();
          await relay?.stop();
        },
      };
    },
  };
}
