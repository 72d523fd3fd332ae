/**
 * One broadcast subscription per gateway process, fanned out in process to every
 * live subscriber: N replicas each get every event. Each message is checked
 * against its routing key's schema before any listener hears of it (a malformed
 * one is logged, counted and skipped), and each listener runs on its own: one
 * that throws is logged and counted, never ends delivery for the others.
 * Listeners must not block: the consumer never waits for them. A hub whose
 * consumption ended without being stopped is not `healthy` (readiness fails).
 */
import { LRUCache } from 'lru-cache';
import type { EventBus, Subscription } from '../bus';
import { ROUTING_KEYS } from '../events';
import { parseEvent, type RequestChangeEvent, type StockEvent } from '../eventSchemas';
import type { Logger } from '../logger';
import { processMetrics } from '../metrics';

export type Listener<E> = (event: E) => void;

/** Far above any event Asky writes (about 1 kB): a larger message is not one of ours. */
const MAX_EVENT_BYTES = 64 * 1024;

export type { RequestChangeEvent, StockEvent };

/** Which events a hub carries: their routing keys. */
export interface HubEvents<E> {
  readonly name: string;
  readonly keys: readonly string[];
  /** Only for the type: events are parsed by their routing key's schema. */
  readonly _event?: E;
}

export const REQUEST_EVENTS: HubEvents<RequestChangeEvent> = {
  name: 'requests',
  keys: [ROUTING_KEYS.requestCreated, ROUTING_KEYS.requestStatusChanged, ROUTING_KEYS.requestEscalated],
};

export const STOCK_EVENTS: HubEvents<StockEvent> = {
  name: 'stock',
  keys: [ROUTING_KEYS.stockMovement, ROUTING_KEYS.stockDiscrepancyOpened, ROUTING_KEYS.stockDiscrepancyResolved],
};

export class LiveHub<E extends { eventId: string }> {
  private readonly listeners = new Set<Listener<E>>();
  private subscription?: Subscription;
  private loop?: Promise<void>;
  private stopping = false;
  private consuming = false;
  /** Events already told of: the broker delivers at least once, and a replayed message is not news. */
  private readonly seen = new LRUCache<string, true>({ max: 50_000 });

  constructor(
    private readonly bus: EventBus,
    private readonly logger: Logger,
    private readonly events: HubEvents<E>,
  ) {}

  async start(): Promise<void> {
    this.subscription = await this.bus.broadcast([...this.events.keys]);
    this.consuming = true;
    this.loop = this.consume(this.subscription).finally(() => {
      this.consuming = false;
      if (!this.stopping)
        this.logger.error(
          { hub: this.events.name },
          'live: the event consumer ended: updates stop until restart (readiness now fails)',
        );
    });
  }

  /** Whether it still consumes events (false once its consumer ended without being stopped). */
  healthy(): boolean {
    return this.consuming || this.stopping;
  }

  listen(listener: Listener<E>): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  get size(): number {
    return this.listeners.size;
  }

  async stop(): Promise<void> {
    this.stopping = true;
    await this.subscription?.close();
    await this.loop;
  }

  private async consume(subscription: Subscription): Promise<void> {
    try {
      for await (const delivery of subscription) {
        delivery.ack();
        const parsed =
          delivery.raw.length > MAX_EVENT_BYTES
            ? { refused: `larger than ${MAX_EVENT_BYTES} bytes` }
            : parseEvent(delivery.routingKey, delivery.body);
        if ('refused' in parsed) {
          processMetrics.liveEventsRefused.inc({ hub: this.events.name });
          this.logger.warn(
            { messageId: delivery.messageId, routingKey: delivery.routingKey, why: parsed.refused },
            'live: ignored an event that does not match its schema',
          );
          continue;
        }
        if (this.seen.has(parsed.event.eventId)) continue;
        this.seen.set(parsed.event.eventId, true);
        this.tell(parsed.event as unknown as E);
      }
    } catch (err) {
      this.logger.error({ err, hub: this.events.name }, 'live: consuming events failed');
    }
  }

  private tell(event: E): void {
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch (err) {
        processMetrics.liveListenerFailures.inc({ hub: this.events.name });
        this.logger.error(
          { err, eventId: event.eventId },
          'live: a listener failed on an event (the others still got it)',
        );
      }
    }
  }
}
