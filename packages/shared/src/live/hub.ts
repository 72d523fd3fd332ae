/**
 * One broadcast subscription per process (gateway, or request subgraph for a
 * router), fanned out in process to every live subscriber: N replicas each get
 * every event. Listeners must not block: the consumer never waits for them.
 */
import type { EventBus, Subscription } from '../bus';
import { ROUTING_KEYS, type RequestEvent, type StockDiscrepancyEvent, type StockMovementEvent } from '../events';
import type { Logger } from '../logger';

export type Listener<E = RequestEvent> = (event: E) => void;

/** Which events a hub carries: their routing keys, and what a usable one has. */
export interface HubEvents<E> {
  readonly keys: readonly string[];
  readonly usable: (event: E) => boolean;
}

export const REQUEST_EVENTS: HubEvents<RequestEvent> = {
  keys: [ROUTING_KEYS.requestCreated, ROUTING_KEYS.requestStatusChanged],
  usable: (event) => typeof event.requestId === 'string',
};

export type StockEvent = StockMovementEvent | StockDiscrepancyEvent;

export const STOCK_EVENTS: HubEvents<StockEvent> = {
  keys: [ROUTING_KEYS.stockMovement, ROUTING_KEYS.stockDiscrepancyOpened, ROUTING_KEYS.stockDiscrepancyResolved],
  usable: (event) => typeof event.slotId === 'string' && typeof event.unit === 'string',
};

export class LiveHub<E extends { eventId: string } = RequestEvent> {
  private readonly listeners = new Set<Listener<E>>();
  private subscription?: Subscription;
  private loop?: Promise<void>;

  constructor(
    private readonly bus: EventBus,
    private readonly logger: Logger,
    private readonly events: HubEvents<E>,
  ) {}

  async start(): Promise<void> {
    this.subscription = await this.bus.broadcast([...this.events.keys]);
    this.loop = (async () => {
      for await (const delivery of this.subscription!) {
        const event = delivery.body as E | undefined;
        delivery.ack();
        if (typeof event !== 'object' || event === null || !event.eventId || !this.events.usable(event)) {
          this.logger.warn({ messageId: delivery.messageId }, 'live: ignored a malformed event');
          continue;
        }
        for (const listener of this.listeners) listener(event);
      }
    })();
  }

  listen(listener: Listener<E>): () => void {
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
