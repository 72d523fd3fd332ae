/**
 * The broker users of rabbitmq/definitions.json, applied in a vhost of this test's
 * own on the machine's RabbitMQ (rabbitmqctl): each service can do what it does —
 * request publishes request events, pyxis consumes its queue and publishes stock
 * events, the gateway listens — and nothing else: only request can publish a
 * request event (topic permissions), only pyxis a stock event, the gateway
 * nothing, and nobody can delete the exchange. The one-process replica's user
 * (`asky`) does what the three do, and nothing more.
 */
import { randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import amqp from 'amqplib';
import { RabbitBus } from '@asky/shared';
import { REPO_ROOT } from '@asky/launcher';
import { testAmqpUrl } from '@asky/testing';

interface Definitions {
  permissions: { user: string; configure: string; write: string; read: string }[];
  topic_permissions: { user: string; exchange: string; write: string; read: string }[];
  exchanges: { name: string; type: string }[];
}
const definitions = JSON.parse(readFileSync(path.join(REPO_ROOT, 'rabbitmq/definitions.json'), 'utf8')) as Definitions;
const ctl = (...args: string[]) => execFileSync('rabbitmqctl', ['-q', ...args], { encoding: 'utf8' });
const vhost = `asky_test_${randomBytes(4).toString('hex')}`;
const password = randomBytes(12).toString('hex');
const userOf = (name: string) => `${name}_${vhost}`;
type Service = 'request' | 'pyxis' | 'gateway' | 'replica';
const urlAs = (service: Service | 'admin') => {
  const url = new URL(testAmqpUrl());
  if (service !== 'admin') {
    url.username = userOf(service === 'replica' ? 'asky' : `asky_${service}`);
    url.password = password;
  }
  url.pathname = `/${vhost}`;
  return url.href;
};

beforeAll(() => {
  ctl('add_vhost', vhost);
  const admin = decodeURIComponent(new URL(testAmqpUrl()).username || 'guest');
  ctl('set_permissions', '-p', vhost, admin, '.*', '.*', '.*');
  for (const p of definitions.permissions.filter((p) => p.user !== 'asky_operator')) {
    ctl('add_user', userOf(p.user), password);
    ctl('set_permissions', '-p', vhost, userOf(p.user), p.configure, p.write, p.read);
  }
  for (const t of definitions.topic_permissions)
    ctl('set_topic_permissions', '-p', vhost, userOf(t.user), t.exchange, t.write, t.read);
});
afterAll(() => {
  for (const p of definitions.permissions.filter((p) => p.user !== 'asky_operator')) ctl('delete_user', userOf(p.user));
  ctl('delete_vhost', vhost);
});

/** Runs `action` on a fresh channel as `service`; the broker's refusal code, or 0. */
async function refusal(service: Service, action: (channel: amqp.ConfirmChannel) => Promise<unknown>): Promise<number> {
  const connection = await amqp.connect(urlAs(service));
  try {
    const channel = await connection.createConfirmChannel();
    const closed = new Promise<number>((resolve) =>
      channel.on('error', (err: { code?: number }) => resolve(err.code ?? -1)),
    );
    const done = action(channel).then(
      () => 0,
      (err: { code?: number }) => err.code ?? -1,
    );
    return await Promise.race([closed, done]);
  } finally {
    await connection.close().catch(() => undefined);
  }
}

/** The broker's topology, as the definitions declare it. */
beforeAll(async () => {
  const admin = await amqp.connect(urlAs('admin'));
  const setup = await admin.createChannel();
  for (const e of definitions.exchanges) await setup.assertExchange(e.name, e.type, { durable: true });
  await admin.close();
});

/** Publishes an empty event under `routingKey`, waiting for the broker's confirm. */
const publishing = (routingKey: string) => (channel: amqp.ConfirmChannel) =>
  new Promise((resolve, reject) =>
    channel.publish('asky.events', routingKey, Buffer.from('{}'), {}, (err) =>
      err ? reject(err) : resolve(undefined),
    ),
  );

it('lets each service do its part under its own user, and no more', async () => {
  const pyxis = await RabbitBus.connect({ url: urlAs('pyxis'), exchange: 'asky.events' });
  const gateway = await RabbitBus.connect({ url: urlAs('gateway'), exchange: 'asky.events' });
  const request = await RabbitBus.connect({ url: urlAs('request'), exchange: 'asky.events' });
  try {
    expect([pyxis.connected(), gateway.connected(), request.connected()]).toEqual([true, true, true]);
    const stock = await pyxis.subscribe({ queue: 'pyxis.stock', bindings: ['request.status_changed'] });
    // request's own queue for Web Push.
    const push = await request.subscribe({
      queue: 'request.push',
      bindings: ['request.created', 'request.status_changed', 'request.escalated'],
    });
    await push.close();
    const live = await gateway.broadcast(['request.#']);
    const messageId = randomBytes(8).toString('hex');
    await request.publish('request.status_changed', { hello: 'pyxis' }, messageId);
    const [toPyxis, toGateway] = await Promise.all([
      stock[Symbol.asyncIterator]().next(),
      live[Symbol.asyncIterator]().next(),
    ]);
    expect([toPyxis.value?.messageId, toGateway.value?.messageId]).toEqual([messageId, messageId]);
    toPyxis.value?.ack();
    await Promise.all([stock.close(), live.close()]);
  } finally {
    await Promise.all([pyxis.close(), gateway.close(), request.close()]);
  }

  const publish = publishing('request.status_changed');
  expect(await refusal('gateway', publish)).toBe(403);
  expect(await refusal('pyxis', publish)).toBe(403);
  expect(await refusal('request', publish)).toBe(0);
  const stockEvent = publishing('stock.movement');
  expect(await refusal('pyxis', stockEvent)).toBe(0);
  expect(await refusal('request', stockEvent)).toBe(403);
  expect(await refusal('gateway', stockEvent)).toBe(403);
  for (const service of ['request', 'pyxis', 'gateway'] as const) {
    expect(await refusal(service, (channel) => channel.deleteExchange('asky.events'))).toBe(403);
  }
  expect(await refusal('gateway', (channel) => channel.assertQueue('pyxis.stock', { durable: true }))).toBe(403);
  expect(await refusal('request', (channel) => channel.assertQueue('pyxis.stock', { durable: true }))).toBe(403);
}, 60_000);

it("lets the one-process replica's user do what the three services do, and no more", async () => {
  const replica = await RabbitBus.connect({ url: urlAs('replica'), exchange: 'asky.events' });
  try {
    const stock = await replica.subscribe({ queue: 'pyxis.stock', bindings: ['request.status_changed'] });
    const push = await replica.subscribe({ queue: 'request.push', bindings: ['request.created'] });
    const live = await replica.broadcast(['stock.#']);
    const messageId = randomBytes(8).toString('hex');
    await replica.publish('stock.movement', { hello: 'boards' }, messageId);
    expect((await live[Symbol.asyncIterator]().next()).value?.messageId).toBe(messageId);
    await Promise.all([stock.close(), push.close(), live.close()]);
  } finally {
    await replica.close();
  }

  expect(await refusal('replica', publishing('request.status_changed'))).toBe(0);
  expect(await refusal('replica', publishing('stock.movement'))).toBe(0);
  expect(await refusal('replica', publishing('audit.forged'))).toBe(403);
  expect(await refusal('replica', (channel) => channel.deleteExchange('asky.events'))).toBe(403);
  expect(await refusal('replica', (channel) => channel.assertQueue('someone.else', { durable: true }))).toBe(403);
}, 60_000);
