/**
 * Events on the real RabbitMQ: every request change reaches the exchange through
 * the outbox, pyxis takes completed requests out of stock exactly once, bad
 * messages are dead-lettered, and a broker outage loses nothing.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from '@asky/launcher';
import {
  adminQuery,
  eventually,
  EventTap,
  MOCK_USERS,
  startTestSystem,
  withBrokerProxy,
  type TestSystem,
} from '@asky/testing';

const UTI_A = '44444444-4444-4444-8444-000000000001';

async function medicineInStock(system: TestSystem, nth = 0) {
  const { rows } = await adminQuery(
    `SELECT id, "medicineId", quantity FROM pyxis."StockItem" WHERE "dispenserId" = '${UTI_A}' AND "medicineId" IN (SELECT id FROM pyxis."Medicine" WHERE NOT controlled) AND quantity >= 5 ORDER BY slot LIMIT 1 OFFSET ${nth}`,
    system.database.url,
  );
  return rows[0] as { id: string; medicineId: string; quantity: number };
}

const stockOf = async (system: TestSystem, slotId: string) =>
  (await adminQuery(`SELECT quantity FROM pyxis."StockItem" WHERE id = '${slotId}'`, system.database.url)).rows[0]
    .quantity as number;

describe('events', () => {
  let system: TestSystem;
  let tap: EventTap;
  let nurse: string;
  let pharmacist: string;
  beforeAll(async () => {
    system = await startTestSystem();
    tap = await EventTap.open(system.topology.exchange);
    ({ nurse, pharmacist } = await system.loginAll());
  });
  afterAll(async () => {
    await tap?.close();
    await system?.stop();
  });

  const createRequest = async (medicineId: string, quantity: number) => {
    const body = await system.graphql(
      'mutation ($input: CreateRequestInput!) { createRequest(input: $input) { id } }',
      { input: { kind: 'MEDICINE', medicineId, dispenserId: UTI_A, quantity } },
      { token: nurse },
    );
    return body.data.createRequest.id as string;
  };
  const move = (id: string, status: string) =>
    system.graphql(
      'mutation ($id: ID!, $s: RequestStatus!) { updateRequestStatus(id: $id, status: $s) { status } }',
      { id, s: status },
      { token: pharmacist },
    );

  it('publishes request.created as persistent JSON with message_id = eventId, after the broker confirmed', async () => {
    const { medicineId } = await medicineInStock(system);
    const id = await createRequest(medicineId, 1);
    await tap.until((bodies) => bodies.some((b) => b.requestId === id));
    const message = tap.messages.find((m) => JSON.parse(m.content.toString()).requestId === id)!;
    const body = JSON.parse(message.content.toString());
    expect(message.fields.routingKey).toBe('request.created');
    expect(message.properties).toMatchObject({
      messageId: body.eventId,
      contentType: 'application/json',
      deliveryMode: 2,
    });
    expect(body).toMatchObject({
      type: 'request.created',
      requestId: id,
      kind: 'MEDICINE',
      priority: 'ROUTINE',
      status: 'PENDING',
      previousStatus: null,
      requesterId: '11111111-1111-4111-8111-000000000001',
      changedById: '11111111-1111-4111-8111-000000000001',
      dispenserId: UTI_A,
      medicineId,
      materialId: null,
      quantity: 1,
    });
    // The relay marks an event sent once the broker confirmed it, which may be just after the tap got it.
    const sentAt = await eventually(
      async () =>
        (
          await adminQuery(
            `SELECT "sentAt" FROM request."OutboxEvent" WHERE "requestId" = '${id}'`,
            system.database.url,
          )
        ).rows[0].sentAt,
      (at) => at !== null,
    );
    expect(sentAt).not.toBeNull();
    // asyncapi.json describes exactly what is sent
    const schema = JSON.parse(readFileSync(path.join(REPO_ROOT, 'asyncapi.json'), 'utf8')).components.schemas
      .RequestEvent;
    expect(Object.keys(body).sort()).toEqual(Object.keys(schema.properties).sort());
    expect(Object.keys(body)).toEqual(expect.arrayContaining(schema.required));
    expect(body.correlationId).toEqual(expect.any(String)); // the creating request's X-Request-Id
    expect(schema.properties.type.enum).toContain(message.fields.routingKey);
  });

  it('takes a completed medicine request out of the dispenser once, even when its event comes twice', async () => {
    const slot = await medicineInStock(system);
    const id = await createRequest(slot.medicineId, 2);
    for (const status of ['ACCEPTED', 'PREPARING', 'IN_TRANSIT', 'COMPLETED'])
      expect((await move(id, status)).errors).toBeUndefined();
    const [completed] = (
      await tap.until((bodies) => bodies.some((b) => b.requestId === id && b.status === 'COMPLETED'))
    ).filter((b) => b.requestId === id && b.status === 'COMPLETED');
    expect(
      await eventually(
        () => stockOf(system, slot.id),
        (n) => n === slot.quantity - 2,
      ),
    ).toBe(slot.quantity - 2);

    // At least once: the same event delivered again must not take stock again.
    tap.channel.publish(system.topology.exchange, 'request.status_changed', Buffer.from(JSON.stringify(completed)), {
      messageId: completed.eventId,
      persistent: true,
    });
    // Another request completed after the copy was published: pyxis consumes in order, one at a time, so once
    // that one has taken its stock, the copy has been handled.
    const other = await medicineInStock(system, 1);
    expect(other.id).not.toBe(slot.id);
    const after = await createRequest(other.medicineId, 1);
    for (const status of ['ACCEPTED', 'PREPARING', 'IN_TRANSIT', 'COMPLETED']) await move(after, status);
    await eventually(
      () => stockOf(system, other.id),
      (n) => n === other.quantity - 1,
    );
    expect(await stockOf(system, slot.id)).toBe(slot.quantity - 2);
    const { rows } = await adminQuery(
      `SELECT kind, delta, carried, reason FROM pyxis."StockMovement" WHERE "stockItemId" = '${slot.id}' AND kind = 'DISPENSE'`,
      system.database.url,
    );
    expect(rows).toEqual([{ kind: 'DISPENSE', delta: 0, carried: -2, reason: `request ${id} completed` }]); // out of custody: picked up at IN_TRANSIT
  });

  it('dead-letters a malformed message and goes on consuming', async () => {
    const dead = `${system.topology.queuePrefix}pyxis.stock.dead`;
    tap.channel.publish(system.topology.exchange, 'request.status_changed', Buffer.from('{"not": "an event"'), {
      messageId: 'broken-1',
    });
    tap.channel.publish(
      system.topology.exchange,
      'request.status_changed',
      Buffer.from(JSON.stringify({ eventId: 'x', status: 5 })),
      { messageId: 'broken-2' },
    );
    expect(
      await eventually(
        async () => (await tap.channel.checkQueue(dead)).messageCount,
        (n) => n >= 2,
      ),
    ).toBe(2);
    // still consuming: a valid completion is applied
    const slot = await medicineInStock(system);
    const id = await createRequest(slot.medicineId, 1);
    for (const status of ['ACCEPTED', 'PREPARING', 'IN_TRANSIT', 'COMPLETED']) await move(id, status);
    expect(
      await eventually(
        () => stockOf(system, slot.id),
        (n) => n === slot.quantity - 1,
      ),
    ).toBe(slot.quantity - 1);
  });
});

describe('a broker outage', () => {
  it('loses no event: mutations go on, events wait and are delivered on reconnect', async () => {
    await withBrokerProxy(async (system, proxy, tap) => {
      const nurse = await system.login(...MOCK_USERS.nurse);
      const slot = await medicineInStock(system);
      const create = () =>
        system.graphql(
          'mutation ($input: CreateRequestInput!) { createRequest(input: $input) { id } }',
          {
            input: { kind: 'MEDICINE', medicineId: slot.medicineId, dispenserId: UTI_A, quantity: 1 },
          },
          { token: nurse },
        );
      for (let i = 0; i < 5; i++) expect((await create()).errors).toBeUndefined();
      await tap.until((bodies) => bodies.length >= 5);

      await proxy.cut();
      const readyDuring = await fetch(new URL('/ready', system.subgraphUrls.request));
      for (let i = 0; i < 20; i++) expect((await create()).errors).toBeUndefined(); // the ward is not blocked
      expect(readyDuring.status).toBe(200); // it serves: readiness is not the broker's
      await proxy.start(); // the broker is back, on the same address

      const { rows } = await adminQuery('SELECT id::text FROM request."OutboxEvent"', system.database.url);
      const expected = new Set(rows.map((r) => r.id as string));
      const bodies = await tap.until((got) => [...expected].every((id) => got.some((b) => b.eventId === id)), 30_000);
      const received = bodies.map((b) => b.eventId as string);
      const duplicates = received.length - new Set(received).size;
      const lost = [...expected].filter((id) => !received.includes(id)).length;
      process.stdout.write(
        `outage test: ${expected.size} events in the outbox, ${received.length} received, ${duplicates} duplicates, ${lost} lost\n`,
      );
      expect(lost).toBe(0);
      expect((await fetch(new URL('/ready', system.subgraphUrls.request))).status).toBe(200);
    });
  }, 90_000);

  it('does not stop a start: services started while the broker is away serve, stay ready, and deliver once it returns', async () => {
    // The broker is away before anything starts.
    await withBrokerProxy(
      async (system, proxy, tap) => {
        const ready = [system.gatewayUrl, ...Object.values(system.subgraphUrls)].map((url) =>
          fetch(new URL('/ready', url)).then((r) => r.status),
        );
        expect(await Promise.all(ready)).toEqual([200, 200, 200, 200]);
        const nurse = await system.login(...MOCK_USERS.nurse);
        const slot = await medicineInStock(system);
        const created = await system.graphql(
          'mutation ($input: CreateRequestInput!) { createRequest(input: $input) { id } }',
          {
            input: { kind: 'MEDICINE', medicineId: slot.medicineId, dispenserId: UTI_A, quantity: 1 },
          },
          { token: nurse },
        );
        expect(created.errors).toBeUndefined();
        await proxy.start();
        const bodies = await tap.until((got) => got.some((b) => b.requestId === created.data.createRequest.id), 30_000);
        expect(bodies.filter((b) => b.requestId === created.data.createRequest.id)).toHaveLength(1);
      },
      { brokerAway: true },
    );
  }, 90_000);
});
