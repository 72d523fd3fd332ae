/**
 * The outbox relay's promise: an event whose publication was not recorded (the
 * relay died between the broker's confirm and marking the row) is published
 * again — at least once, never lost.
 */
import { randomUUID } from 'node:crypto';
import {
  createLogger,
  createPrismaAdapter,
  OutboxRelay,
  OutboxRepository,
  RabbitBus,
  type EventBus,
} from '@asky/shared';
import { createPrismaClient } from '@asky/request';
import { preparePostgres, serviceRoleUrl } from '@asky/launcher';
import { adminQuery, createTestDatabase, testAmqpUrl, testTopology, type TestDatabase } from '@asky/testing';

let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase();
  await preparePostgres(database.url, createLogger('test', 'silent'));
});
afterAll(() => database?.drop());

/** The real bus, except that it "crashes" right after the broker confirmed a message (the `crashes`-th ones; all by default). */
class CrashAfterConfirm implements EventBus {
  private published = 0;
  constructor(
    private readonly bus: EventBus,
    private readonly crashes: (nth: number) => boolean = () => true,
  ) {}
  readonly description = 'crashing';
  async publish(routingKey: string, body: object, messageId: string) {
    await this.bus.publish(routingKey, body, messageId);
    if (this.crashes(++this.published)) throw new Error('relay process died');
  }
  subscribe(options: Parameters<EventBus['subscribe']>[0]) {
    return this.bus.subscribe(options);
  }
  deadLetters(queue: string) {
    return this.bus.deadLetters(queue);
  }
  redeliverDeadLetters(queue: string) {
    return this.bus.redeliverDeadLetters(queue);
  }
  broadcast(bindings: readonly string[]) {
    return this.bus.broadcast(bindings);
  }
  connected() {
    return this.bus.connected();
  }
  async close() {}
}

it('publishes again an event whose publication was confirmed but not recorded', async () => {
  const topology = testTopology();
  const bus = await RabbitBus.connect({ url: testAmqpUrl(), exchange: topology.exchange });
  const prisma = createPrismaClient(
    createPrismaAdapter({ kind: 'postgres', url: serviceRoleUrl(database.url, 'request') }, 'request'),
  );
  const tap = await bus.subscribe({ queue: `${topology.queuePrefix}tap`, bindings: ['request.#'] });
  const eventId = randomUUID();
  try {
    await adminQuery(
      `INSERT INTO request."OutboxEvent" (id, "routingKey", "requestId", payload) VALUES ('${eventId}', 'request.created', '${randomUUID()}', '{"eventId":"${eventId}"}')`,
      database.url,
    );
    const logger = createLogger('test', 'silent');
    await expect(
      new OutboxRelay(new OutboxRepository(prisma, 'request'), new CrashAfterConfirm(bus), logger).relayBatch(),
    ).rejects.toThrow('relay process died');
    const { rows } = await adminQuery(
      `SELECT "sentAt" FROM request."OutboxEvent" WHERE id = '${eventId}'`,
      database.url,
    );
    expect(rows[0].sentAt).toBeNull(); // not recorded as sent

    expect(await new OutboxRelay(new OutboxRepository(prisma, 'request'), bus, logger).relayBatch()).toBe(1); // the next relay sends it again
    const received: string[] = [];
    for await (const delivery of tap) {
      received.push(delivery.messageId!);
      delivery.ack();
      if (received.length === 2) break;
    }
    expect(received).toEqual([eventId, eventId]); // at least once: twice here, never lost
    expect(await new OutboxRelay(new OutboxRepository(prisma, 'request'), bus, logger).relayBatch()).toBe(0);
  } finally {
    await tap.close();
    await bus.close();
    await prisma.$disconnect();
    await topology.remove(['tap']);
  }
});

it("relays on each commit's nudge, without waiting for its poll interval", async () => {
  const topology = testTopology();
  const bus = await RabbitBus.connect({ url: testAmqpUrl(), exchange: topology.exchange });
  const prisma = createPrismaClient(
    createPrismaAdapter({ kind: 'postgres', url: serviceRoleUrl(database.url, 'request') }, 'request'),
  );
  const tap = await bus.subscribe({ queue: `${topology.queuePrefix}tap`, bindings: ['request.#'] });
  // A poll interval far longer than the test: only nudges can get these rows out in time.
  let idle: () => void = () => undefined;
  const asleep = new Promise<void>((resolve) => (idle = resolve));
  const relay = new OutboxRelay(new OutboxRepository(prisma, 'request'), bus, createLogger('test', 'silent'), {
    idleMs: 600_000,
    onIdle: () => idle(),
  });
  relay.start();
  const ids: string[] = Array.from({ length: 12 }, () => randomUUID());
  try {
    await asleep; // the relay has found nothing and sleeps
    for (const id of ids) {
      await adminQuery(
        `INSERT INTO request."OutboxEvent" (id, "routingKey", "requestId", payload) VALUES ('${id}', 'request.created', '${randomUUID()}', '{"eventId":"${id}"}')`,
        database.url,
      );
      relay.nudge();
      await new Promise((r) => setTimeout(r, Math.random() * 8)); // some nudges land while a batch runs
    }
    const received = new Set<string>();
    const deadline = setTimeout(() => void tap.close(), 5_000);
    for await (const delivery of tap) {
      delivery.ack();
      if (ids.includes(delivery.messageId!)) received.add(delivery.messageId!);
      if (received.size === ids.length) break;
    }
    clearTimeout(deadline);
    expect(received.size).toBe(ids.length);
  } finally {
    await relay.stop();
    await tap.close();
    await bus.close();
    await prisma.$disconnect();
    await topology.remove(['tap']);
  }
});

it('lets several relays (replicas) work one outbox at once without sending any row twice', async () => {
  const topology = testTopology();
  const bus = await RabbitBus.connect({ url: testAmqpUrl(), exchange: topology.exchange });
  const tap = await bus.subscribe({ queue: `${topology.queuePrefix}tap`, bindings: ['request.#'] });
  const clients = Array.from({ length: 3 }, () =>
    createPrismaClient(
      createPrismaAdapter({ kind: 'postgres', url: serviceRoleUrl(database.url, 'request') }, 'request'),
    ),
  );
  const ids: string[] = Array.from({ length: 60 }, () => randomUUID());
  try {
    const values = ids.map((id) => `('${id}', 'request.created', '${randomUUID()}', '{"eventId":"${id}"}')`).join(',');
    await adminQuery(
      `INSERT INTO request."OutboxEvent" (id, "routingKey", "requestId", payload) VALUES ${values}`,
      database.url,
    );
    const logger = createLogger('test', 'silent');
    const relays = clients.map(
      (prisma) => new OutboxRelay(new OutboxRepository(prisma, 'request'), bus, logger, { batchSize: 5 }),
    );
    // Each replica relays batches until it finds nothing left; all three at once.
    const sent = await Promise.all(
      relays.map(async (relay) => {
        let total = 0;
        for (let n = await relay.relayBatch(); n > 0; n = await relay.relayBatch()) total += n;
        return total;
      }),
    );
    expect(sent.reduce((a, b) => a + b, 0)).toBe(ids.length);
    expect(sent.filter((n) => n > 0).length).toBeGreaterThan(1); // the work was shared
    const received: string[] = [];
    for await (const delivery of tap) {
      delivery.ack();
      if (ids.includes(delivery.messageId!)) received.push(delivery.messageId!);
      if (received.length === ids.length) break;
    }
    expect(new Set(received).size).toBe(ids.length); // every row once
  } finally {
    await tap.close();
    await bus.close();
    await Promise.all(clients.map((c) => c.$disconnect()));
    await topology.remove(['tap']);
  }
});

it('marks only the rows before a failed publish of a batch; the rest go again, in order', async () => {
  const topology = testTopology();
  const bus = await RabbitBus.connect({ url: testAmqpUrl(), exchange: topology.exchange });
  const prisma = createPrismaClient(
    createPrismaAdapter({ kind: 'postgres', url: serviceRoleUrl(database.url, 'request') }, 'request'),
  );
  const tap = await bus.subscribe({ queue: `${topology.queuePrefix}tap`, bindings: ['request.#'] });
  const ids = Array.from({ length: 5 }, () => randomUUID());
  try {
    const rows = ids.map(
      (id, i) => `('${id}', 'request.created', '${randomUUID()}', '{"eventId":"${id}"}', now() + interval '${i} ms')`,
    );
    await adminQuery(
      `INSERT INTO request."OutboxEvent" (id, "routingKey", "requestId", payload, "createdAt") VALUES ${rows.join(', ')}`,
      database.url,
    );
    const logger = createLogger('test', 'silent');
    const third = new CrashAfterConfirm(bus, (nth) => nth === 3);
    await expect(new OutboxRelay(new OutboxRepository(prisma, 'request'), third, logger).relayBatch()).rejects.toThrow(
      'relay process died',
    );
    const { rows: sent } = await adminQuery(
      `SELECT id::text FROM request."OutboxEvent" WHERE "sentAt" IS NOT NULL AND id = ANY('{${ids.join(',')}}'::uuid[])`,
      database.url,
    );
    expect(sent.map((r) => r.id).sort()).toEqual(ids.slice(0, 2).sort());
    expect(await new OutboxRelay(new OutboxRepository(prisma, 'request'), bus, logger).relayBatch()).toBe(3);
    const received: string[] = [];
    for await (const delivery of tap) {
      received.push(delivery.messageId!);
      delivery.ack();
      if (received.length === 8) break;
    }
    expect(received).toEqual([...ids, ...ids.slice(2)]); // all five went out at once; the last three again, in order
  } finally {
    await tap.close();
    await bus.close();
    await prisma.$disconnect();
    await topology.remove(['tap']);
  }
});
