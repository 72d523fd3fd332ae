/**
 * The in-process bus: topic routing, durable-style queues shared by subscribers,
 * retries and dead letters, all in memory. The embedded default of `npm start`.
 */
import { AsyncQueue, subscriptionOf } from './asyncQueue';
import {
  deadLetterQueue,
  parseBody,
  topicMatches,
  type Delivery,
  type EventBus,
  type SubscribeOptions,
  type Subscription,
} from './types';
import { processMetrics } from '../metrics';

interface Message {
  readonly routingKey: string;
  readonly messageId: string;
  readonly raw: string;
}

interface Queue {
  bindings: string[];
  backlog: Message[];
  consumers: AsyncQueue<Delivery>[];
  next: number;
}

export class InMemoryBus implements EventBus {
  readonly description = 'in-process event bus (set AMQP_URL to use RabbitMQ)';
  private readonly queues = new Map<string, Queue>();
  private broadcasts = 0;

  async publish(routingKey: string, body: object, messageId: string): Promise<void> {
    const raw = JSON.stringify(body);
    for (const queue of this.queues.values()) {
      if (queue.bindings.some((b) => topicMatches(b, routingKey))) this.enqueue(queue, { routingKey, messageId, raw });
    }
    processMetrics.eventsPublished.inc({ routing_key: routingKey });
  }

  /** Publishes raw content, as a misbehaving producer could (tests). */
  publishRaw(routingKey: string, raw: string, messageId: string): void {
    for (const queue of this.queues.values()) {
      if (queue.bindings.some((b) => topicMatches(b, routingKey))) this.enqueue(queue, { routingKey, messageId, raw });
    }
  }

  async subscribe({ queue: name, bindings }: SubscribeOptions): Promise<Subscription> {
    const queue = this.queue(name);
    queue.bindings = [...new Set([...queue.bindings, ...bindings])];
    return this.attach(queue);
  }

  async broadcast(bindings: readonly string[]): Promise<Subscription> {
    return this.subscribe({ queue: `broadcast.${++this.broadcasts}`, bindings });
  }

  async deadLetters(queue: string): Promise<Subscription> {
    return this.attach(this.queue(deadLetterQueue(queue)));
  }

  async redeliverDeadLetters(name: string): Promise<number> {
    const dead = this.queue(deadLetterQueue(name)).backlog.splice(0);
    for (const message of dead) this.enqueue(this.queue(name), message);
    return dead.length;
  }

  connected(): boolean {
    return true;
  }

  async close(): Promise<void> {
    for (const queue of this.queues.values()) for (const consumer of queue.consumers) consumer.close();
  }

  private queue(name: string): Queue {
    let queue = this.queues.get(name);
    if (!queue) this.queues.set(name, (queue = { bindings: [], backlog: [], consumers: [], next: 0 }));
    return queue;
  }

  private attach(queue: Queue): Subscription {
    const consumer = new AsyncQueue<Delivery>();
    queue.consumers.push(consumer);
    for (const message of queue.backlog.splice(0)) this.enqueue(queue, message);
    return subscriptionOf(consumer, async () => {
      queue.consumers = queue.consumers.filter((c) => c !== consumer);
    });
  }

  /** Round-robin to the queue's consumers; kept until one subscribes. */
  private enqueue(queue: Queue, message: Message): void {
    if (queue.consumers.length === 0) {
      queue.backlog.push(message);
      return;
    }
    const consumer = queue.consumers[queue.next++ % queue.consumers.length]!;
    let settled = false;
    const settle = (then: () => void) => () => {
      if (settled) return;
      settled = true;
      then();
    };
    const name = [...this.queues.entries()].find(([, q]) => q === queue)![0];
    processMetrics.eventsConsumed.inc({ kind: name.endsWith('.dead') ? 'dead_letter' : 'queue' });
    consumer.push({
      routingKey: message.routingKey,
      messageId: message.messageId,
      raw: message.raw,
      body: parseBody(message.raw),
      ack: settle(() => undefined),
      retry: settle(() => setImmediate(() => this.enqueue(queue, message))),
      deadLetter: settle(() => this.enqueue(this.queue(deadLetterQueue(name)), message)),
    });
  }
}
