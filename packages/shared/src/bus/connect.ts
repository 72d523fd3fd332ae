import { ConfigError, type EventsConfig } from '../config';
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

/** The event bus of `config`: RabbitMQ at its URL, or in process when there is none. */
export async function connectEvents(config: EventsConfig): Promise<SubgraphEvents> {
  if (!config.amqpUrl) return { bus: new InMemoryBus(), queuePrefix: config.queuePrefix };
  const { hostname, port } = config.amqpUrl;
  const bus = await RabbitBus.connect({ url: config.amqpUrl.href, exchange: config.exchange }).catch((err: Error) => {
    throw new ConfigError(`cannot reach RabbitMQ at ${hostname}:${port || 5672} (AMQP_URL): ${err.message}`);
  });
  return { bus, queuePrefix: config.queuePrefix };
}

