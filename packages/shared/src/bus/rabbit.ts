/**
 * The RabbitMQ bus. amqplib's recovering connection reconnects with backoff; on
 * every (re)connection `setup` re-creates the confirm channel, the topology and
 * the consumers, so subscriptions survive a broker outage. Messages are
 * persistent JSON with publisher confirms; queues are durable, with a
 * dead-letter queue each.
 */
import amqp, {
  type Channel,
  type ChannelModel,
  type ConfirmChannel,
  type ConsumeMessage,
  type RecoveringChannelModel,
} from 'amqplib';
import { AsyncQueue, subscriptionOf } from './asyncQueue';
import { processMetrics } from '../metrics';
import {
  deadLetterQueue,
  parseBody,
  type Delivery,
  type EventBus,
  type SubscribeOptions,
  type Subscription,
} from './types';

interface Consumer {
  readonly queue: string;
  readonly bindings: readonly string[];
  readonly deliveries: AsyncQueue<Delivery>;
  /** Which queue this reads: the queue itself, or its dead letters. */
  readonly dead: boolean;
  /** A server-named, exclusive, auto-deleted queue, made anew on each connection. */
  readonly exclusive?: boolean;
  /** The broker's tag for the current channel's consumer. */
  tag?: string;
}

export interface RabbitBusOptions {
  readonly url: string;
  /** @default 'asky.events' */
  readonly exchange?: string;
  /** Unacknowledged messages per consumer. @default 20 */
  readonly prefetch?: number;
}

/**
 * The exchange, checked passively (no permission needed) where the broker's
 * definitions declared it — services' users may not configure it, so none can
 * delete it — and declared only where nobody has (development, tests).
 */
async function ensureExchange(connection: ChannelModel, name: string, type: 'topic' | 'direct'): Promise<void> {
  const probe = await connection.createChannel();
  probe.on('error', () => undefined); // a failed check closes the channel: expected when absent
  try {
    await probe.checkExchange(name);
    await probe.close();
  } catch {
    const declarer = await connection.createChannel();
    await declarer.assertExchange(name, type, { durable: true });
    await declarer.close();
  }
}

export class RabbitBus implements EventBus {
  readonly description: string;
  private readonly exchange: string;
  private publisher?: ConfirmChannel;
  private consumerChannel?: Channel;
  private readonly consumers = new Set<Consumer>();
  private isUp = false;

  private constructor(
    private readonly model: RecoveringChannelModel,
    options: RabbitBusOptions,
  ) {
    this.exchange = options.exchange ?? 'asky.events';
    const url = new URL(options.url);
    this.description = `RabbitMQ at ${url.hostname}:${url.port || 5672}, exchange ${this.exchange}`;
  }

  /**
   * Connects, waiting for the first connection at most `waitMs`, and keeps
   * (re)connecting in the background: a process started while the broker is
   * away starts all the same (publishers hold their events in the outbox,
   * consumers begin when it returns). Only an unusable URL fails here.
   */
  static async connect(options: RabbitBusOptions, waitMs = 10_000): Promise<RabbitBus> {
    let bus: RabbitBus | undefined;
    const model = await amqp.connect(options.url, {
      recovery: {
        initialDelay: 200,
        maxDelay: 5_000,
        waitForConnect: false,
        setup: async (connection: ChannelModel) => bus!.setup(connection, options.prefetch ?? 20),
      },
    });
    bus = new RabbitBus(model, options);
    model.on('disconnect', () => (bus!.isUp = false));
    model.on('error', () => undefined); // recovery handles it
    model.on('connect-failed', (err: Error) => (bus!.lastFailure = err));
    const waited = new Promise<void>((resolve) => setTimeout(resolve, waitMs).unref());
    await Promise.race([model.waitForConnect().catch(() => undefined), waited]);
    return bus;
  }

  /** Why the last connection attempt failed, while not connected (for logs). */
  lastFailure?: Error;

  private async setup(connection: ChannelModel, prefetch: number): Promise<void> {
    await ensureExchange(connection, this.exchange, 'topic');
    await ensureExchange(connection, `${this.exchange}.dead`, 'direct');
    const publisher = await connection.createConfirmChannel();
    const channel = await connection.createChannel();
    await channel.prefetch(prefetch);
    for (const consumer of this.consumers) await this.consume(channel, consumer);
    this.publisher = publisher;
    this.consumerChannel = channel;
    this.isUp = true;
    this.lastFailure = undefined;
  }

  private async declare(channel: Channel, queue: string, bindings: readonly string[]): Promise<void> {
    const dead = deadLetterQueue(queue);
    await channel.assertQueue(dead, { durable: true });
    await channel.bindQueue(dead, `${this.exchange}.dead`, queue);
    await channel.assertQueue(queue, {
      durable: true,
      arguments: { 'x-dead-letter-exchange': `${this.exchange}.dead`, 'x-dead-letter-routing-key': queue },
    });
    for (const binding of bindings) await channel.bindQueue(queue, this.exchange, binding);
  }

  private async consume(channel: Channel, consumer: Consumer): Promise<void> {
    let source: string;
    if (consumer.exclusive) {
      source = (await channel.assertQueue('', { exclusive: true, autoDelete: true })).queue;
      for (const binding of consumer.bindings) await channel.bindQueue(source, this.exchange, binding);
    } else {
      await this.declare(channel, consumer.queue, consumer.dead ? [] : consumer.bindings);
      source = consumer.dead ? deadLetterQueue(consumer.queue) : consumer.queue;
    }
    // Broadcast deliveries are for this process only, and settle on receipt.
    const noAck = !!consumer.exclusive;
    const kind = consumer.exclusive ? 'broadcast' : consumer.dead ? 'dead_letter' : 'queue';
    const { consumerTag } = await channel.consume(
      source,
      (message) => {
        if (!message) return;
        processMetrics.eventsConsumed.inc({ kind });
        consumer.deliveries.push(this.delivery(channel, message, noAck));
      },
      { noAck },
    );
    consumer.tag = consumerTag;
  }

  private delivery(channel: Channel, message: ConsumeMessage, noAck: boolean): Delivery {
    const raw = message.content.toString('utf8');
    // A channel lost to an outage cannot settle: the broker redelivers those messages.
    const settle = (fn: () => void) => () => {
      if (noAck) return;
      try {
        fn();
      } catch {
        /* the channel closed; the message comes again */
      }
    };
    return {
      routingKey: message.fields.routingKey,
      messageId: message.properties.messageId as string | undefined,
      raw,
      body: parseBody(raw),
      ack: settle(() => channel.ack(message)),
      retry: settle(() => channel.nack(message, false, true)),
      deadLetter: settle(() => channel.nack(message, false, false)),
    };
  }

  async publish(routingKey: string, body: object, messageId: string): Promise<void> {
    const channel = this.publisher;
    if (!channel || !this.isUp) throw new Error('RabbitMQ is not connected');
    await new Promise<void>((resolve, reject) => {
      channel.publish(
        this.exchange,
        routingKey,
        Buffer.from(JSON.stringify(body)),
        { persistent: true, contentType: 'application/json', messageId, timestamp: Math.floor(Date.now() / 1000) },
        (err) => (err ? reject(err instanceof Error ? err : new Error(String(err))) : resolve()),
      );
    });
    processMetrics.eventsPublished.inc({ routing_key: routingKey });
  }

  subscribe(options: SubscribeOptions): Promise<Subscription> {
    return this.add({ queue: options.queue, bindings: options.bindings, deliveries: new AsyncQueue(), dead: false });
  }

  broadcast(bindings: readonly string[]): Promise<Subscription> {
    return this.add({ queue: '', bindings, deliveries: new AsyncQueue(), dead: false, exclusive: true });
  }

  deadLetters(queue: string): Promise<Subscription> {
    return this.add({ queue, bindings: [], deliveries: new AsyncQueue(), dead: true });
  }

  private async add(consumer: Consumer): Promise<Subscription> {
    this.consumers.add(consumer);
    if (this.consumerChannel && this.isUp) await this.consume(this.consumerChannel, consumer);
    return subscriptionOf(consumer.deliveries, async () => {
      this.consumers.delete(consumer);
      if (consumer.tag) await this.consumerChannel?.cancel(consumer.tag).catch(() => undefined);
    });
  }

  async redeliverDeadLetters(queue: string): Promise<number> {
    const channel = await this.model.createConfirmChannel();
    try {
      const dead = deadLetterQueue(queue);
      // Only what is there now: a message dead-lettered again while this runs is not taken twice.
      const { messageCount } = await channel.checkQueue(dead);
      let moved = 0;
      for (; moved < messageCount; moved++) {
        const message = await channel.get(dead, { noAck: false });
        if (!message) break;
        const { messageId, contentType, timestamp } = message.properties as {
          messageId?: string;
          contentType?: string;
          timestamp?: number;
        };
        // Straight to the queue (default exchange): other consumers of the event had it already.
        channel.sendToQueue(queue, message.content, { persistent: true, messageId, contentType, timestamp });
        await channel.waitForConfirms();
        channel.ack(message);
      }
      return moved;
    } finally {
      await channel.close().catch(() => undefined);
    }
  }

  connected(): boolean {
    return this.isUp;
  }

  async close(): Promise<void> {
    for (const consumer of this.consumers) consumer.deliveries.close();
    this.isUp = false;
    await this.model.close().catch(() => undefined);
  }
}
