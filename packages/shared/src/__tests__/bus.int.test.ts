/**
 * One contract for both event buses; the RabbitMQ run (real broker) is the one
 * that counts. Each run uses its own exchange and queues, deleted afterwards.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import amqp from 'amqplib';
import { InMemoryBus, RabbitBus, type Delivery, type EventBus, type Subscription } from '../bus';

const AMQP_URL = process.env.TEST_AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672';

/** The next delivery, or a failure after `ms`. */
async function next(subscription: Subscription, ms = 5_000): Promise<Delivery> {
  const iterator = subscription[Symbol.asyncIterator]();
  const timer = new Promise<never>((_, reject) => setTimeout(() => reject(new Error('no delivery')), ms).unref());
  const result = await Promise.race([iterator.next(), timer]);
  if (result.done) throw new Error('subscription ended');
  return result.value;
}

/** Whether nothing arrives within `ms`. */
async function nothingWithin(subscription: Subscription, ms = 300): Promise<boolean> {
  return next(subscription, ms).then(
    () => false,
    () => true,
  );
}

interface Harness {
  readonly bus: EventBus;
  readonly prefix: string;
  cleanup(): Promise<void>;
}

const implementations: [string, () => Promise<Harness>][] = [
  ['in process', async () => ({ bus: new InMemoryBus(), prefix: 'mem', cleanup: async () => undefined })],
  [
    'RabbitMQ',
    async () => {
      const prefix = `test.${randomBytes(4).toString('hex')}`;
      const bus = await RabbitBus.connect({ url: AMQP_URL, exchange: `${prefix}.events` });
      return {
        bus,
        prefix,
        async cleanup() {
          await bus.close();
          const connection = await amqp.connect(AMQP_URL);
          const channel = await connection.createChannel();
          for (const queue of ['a', 'b', 'work']) {
            await channel.deleteQueue(`${prefix}.${queue}`);
            await channel.deleteQueue(`${prefix}.${queue}.dead`);
          }
          await channel.deleteExchange(`${prefix}.events`);
          await channel.deleteExchange(`${prefix}.events.dead`);
          await connection.close();
        },
      };
    },
  ],
];

describe.each(implementations)('the %s event bus', (_, make) => {
  let harness: Harness;
  beforeEach(async () => {
    harness = await make();
  });
  afterEach(() => harness.cleanup());

  it('delivers a published event to each queue bound to its routing key, with its id and JSON body', async () => {
    const { bus, prefix } = harness;
    const created = await bus.subscribe({ queue: `${prefix}.a`, bindings: ['request.created'] });
    const all = await bus.subscribe({ queue: `${prefix}.b`, bindings: ['request.#'] });
    const id = randomUUID();
    await bus.publish('request.created', { hello: 'world' }, id);
    for (const subscription of [created, all]) {
      const delivery = await next(subscription);
      expect(delivery).toMatchObject({ routingKey: 'request.created', messageId: id, body: { hello: 'world' } });
      delivery.ack();
    }
    await bus.publish('request.status_changed', { n: 2 }, randomUUID());
    expect((await next(all)).body).toEqual({ n: 2 });
    expect(await nothingWithin(created)).toBe(true);
  });

  it('shares one queue between its consumers, each message to one of them', async () => {
    const { bus, prefix } = harness;
    const first = await bus.subscribe({ queue: `${prefix}.work`, bindings: ['job'] });
    const second = await bus.subscribe({ queue: `${prefix}.work`, bindings: ['job'] });
    for (let i = 0; i < 4; i++) await bus.publish('job', { i }, randomUUID());
    const got: unknown[] = [];
    for (const subscription of [first, second, first, second]) {
      const delivery = await next(subscription);
      got.push(delivery.body);
      delivery.ack();
    }
    expect(got).toHaveLength(4);
    expect(new Set(got.map((b) => JSON.stringify(b))).size).toBe(4);
  });

  it('delivers again what is retried, and dead-letters what is given up', async () => {
    const { bus, prefix } = harness;
    const queue = `${prefix}.a`;
    const subscription = await bus.subscribe({ queue, bindings: ['x'] });
    const dead = await bus.deadLetters(queue);
    await bus.publish('x', { try: 1 }, 'm-1');
    (await next(subscription)).retry();
    const again = await next(subscription);
    expect(again.messageId).toBe('m-1');
    again.deadLetter();
    const buried = await next(dead);
    expect(buried).toMatchObject({ messageId: 'm-1', body: { try: 1 } });
    buried.ack();
    expect(await nothingWithin(subscription)).toBe(true);
  });

  it('moves dead letters back onto their queue when an operator asks, each once', async () => {
    const { bus, prefix } = harness;
    const queue = `${prefix}.work`;
    const subscription = await bus.subscribe({ queue, bindings: ['y'] });
    await bus.publish('y', { n: 1 }, 'd-1');
    await bus.publish('y', { n: 2 }, 'd-2');
    (await next(subscription)).deadLetter();
    (await next(subscription)).deadLetter();
    expect(await bus.redeliverDeadLetters(queue)).toBe(2);
    const again = [await next(subscription), await next(subscription)];
    expect(again.map((d) => [d.messageId, d.body])).toEqual([
      ['d-1', { n: 1 }],
      ['d-2', { n: 2 }],
    ]);
    for (const delivery of again) delivery.ack();
    expect(await bus.redeliverDeadLetters(queue)).toBe(0);
    expect(await nothingWithin(subscription)).toBe(true);
  });

  it('broadcasts every event to each broadcast subscriber (one per gateway replica)', async () => {
    const { bus } = harness;
    const replicas = [await bus.broadcast(['request.#']), await bus.broadcast(['request.#'])];
    await bus.publish('request.created', { n: 1 }, 'b-1');
    for (const replica of replicas) expect((await next(replica)).messageId).toBe('b-1');
    for (const replica of replicas) await replica.close();
  });

  it('says it is connected', async () => {
    expect(harness.bus.connected()).toBe(true);
  });
});

describe('replicas of one consumer on RabbitMQ', () => {
  it('share the work of one queue: each event goes to exactly one replica', async () => {
    const prefix = `test.${randomBytes(4).toString('hex')}`;
    const exchange = `${prefix}.events`;
    const replicas = [
      await RabbitBus.connect({ url: AMQP_URL, exchange, prefetch: 1 }),
      await RabbitBus.connect({ url: AMQP_URL, exchange, prefetch: 1 }),
    ];
    try {
      const subscriptions = await Promise.all(
        replicas.map((bus) => bus.subscribe({ queue: `${prefix}.work`, bindings: ['request.#'] })),
      );
      const got: string[][] = [[], []];
      const loops = subscriptions.map(async (subscription, i) => {
        for await (const delivery of subscription) {
          got[i]!.push(delivery.messageId!);
          await new Promise((r) => setTimeout(r, 10)); // some work
          delivery.ack();
        }
      });
      const ids = Array.from({ length: 30 }, () => randomUUID());
      for (const id of ids) await replicas[0]!.publish('request.created', { id }, id);
      const deadline = Date.now() + 10_000;
      while (got[0]!.length + got[1]!.length < ids.length && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 50));
      expect([...got[0]!, ...got[1]!].sort()).toEqual([...ids].sort()); // each once
      expect(got[0]!.length).toBeGreaterThan(0);
      expect(got[1]!.length).toBeGreaterThan(0);
      await Promise.all(subscriptions.map((s) => s.close()));
      await Promise.all(loops);
    } finally {
      for (const bus of replicas) await bus.close();
      const connection = await amqp.connect(AMQP_URL);
      const channel = await connection.createChannel();
      await channel.deleteQueue(`${prefix}.work`);
      await channel.deleteQueue(`${prefix}.work.dead`);
      await channel.deleteExchange(exchange);
      await channel.deleteExchange(`${exchange}.dead`);
      await connection.close();
    }
  });
});
