/**
 * One broadcast subscription per process (gateway, or request subgraph for a
 * router), fanned out in process to every live subscriber: N replicas each get
 * every event. Listeners must not block: the consumer never waits for them.
 */
import type { EventBus, Subscription } from '../bus';
import { ROUTING_KEYS, type RequestEvent } from '../events';
import type { Logger } from '../logger';

export type Listener = (event: RequestEvent) => void;

export class LiveHub {
  private readonly listeners = new Set<Listener>();
  private subscription?: Subscription;
  private loop?: Promise<void>;

  constructor(
    private readonly bus: EventBus,
    private readonly logger: Logger,
  ) {}

  async start(): Promise<void> {
    this.subscription = await this.bus.broadcast([ROUTING_KEYS.requestCreated, ROUTING_KEYS.requestStatusChanged]);
    this.loop = (async () => {
      for await (const delivery of this.subscription!) {
        const event = delivery.body as RequestEvent | undefined;
        delivery.ack();
        if (!event?.requestId || !event.eventId) {
          this.logger.warn({ messageId: delivery.messageId }, 'live: ignored a malformed event');
          continue;
        }
        for (const listener of this.listeners) listener(event);
      }
    })();
  }

  listen(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  get size(): number {
    return this.listeners.size;
  }

  async stop(): Promise<void> {
    await this.subscription?.close();
    await this.loop;
  }
}
