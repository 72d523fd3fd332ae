import { ConfigError, type EventsConfig } from '../config';
import type { Logger } from '../logger';
import { InMemoryBus } from './memory';
import { RabbitBus } from './rabbit';
import type { EventBus } from './types';

/** The event bus a subgraph publishes to or consumes from. */
export interface SubgraphEvents {
  readonly bus: EventBus;
  /** Prepended to queue names (tests isolate their queues with it). */
  readonly queuePrefix: string;
}

/** A service run alone talks to this broker unless AMQP_URL says otherwise. */
export const DEFAULT_AMQP_URL = 'amqp://guest:guest@127.0.0.1:5672';

/** How long start-up waits for the broker before going on without it. */
const BROKER_WAIT_MS = 3_000;

/**
 * The event bus of `config`: RabbitMQ at its URL, or in process when there is
 * none. A broker that does not answer yet does not stop start-up: it is told to
 * `logger`, and the bus connects when the broker returns.
 */
export async function connectEvents(config: EventsConfig, logger?: Logger): Promise<SubgraphEvents> {
  if (!config.amqpUrl) return { bus: new InMemoryBus(), queuePrefix: config.queuePrefix };
  const bus = await RabbitBus.connect({ url: config.amqpUrl.href, exchange: config.exchange }, BROKER_WAIT_MS).catch(
    (err: Error) => {
      throw new ConfigError(`AMQP_URL cannot be used: ${err.message}`);
    },
  );
  if (!bus.connected()) {
    logger?.warn(
      { err: bus.lastFailure },
      `${bus.description} does not answer yet: starting without it, connecting when it returns (events wait in the outbox)`,
    );
  }
  return { bus, queuePrefix: config.queuePrefix };
}
