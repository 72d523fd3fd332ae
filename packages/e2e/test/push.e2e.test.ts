/**
 * Web Push end to end against a push service run by this test: a
 * browser's subscription registered through the API receives what its person
 * should know — new requests of the kinds they work, their own requests' status
 * changes — encrypted for it (RFC 8291, decrypted here with its keys) and signed
 * with VAPID (RFC 8292, verified here); a subscription the push service answers
 * 410 for is removed; an endpoint that is not a push service's is refused.
 */
import { createECDH, createPublicKey, randomBytes, randomUUID } from 'node:crypto';
import https from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import ece from 'http_ece';
import selfsigned from 'selfsigned';
import jwt from 'jsonwebtoken';
import { adminQuery, EventTap, useTestSystem } from '@asky/testing';
import { eventually } from './helpers/cabinet';
import { askingAs } from './helpers/asking';

/** The test push service's certificate, trusted by the system as a hospital's own push relay's would be (PUSH_CA_FILE). */
let cert: { private: string; cert: string };

interface Received {
  readonly path: string;
  readonly authorization: string;
  readonly body: Buffer;
}

/** A push service on loopback, over https with its own certificate: takes every push, answers 201 (or what `gone` says). */
class PushService {
  readonly received: Received[] = [];
  readonly gone = new Set<string>();
  private server?: https.Server;
  private readonly handle = (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      this.received.push({
        path: req.url!,
        authorization: String(req.headers.authorization),
        body: Buffer.concat(chunks),
      });
      res.statusCode = this.gone.has(req.url!) ? 410 : 201;
      res.end();
    });
  };
  url = '';
  async start(key: string, certificate: string) {
    this.server = https.createServer({ key, cert: certificate }, this.handle);
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `https://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }
  stop() {
    return new Promise((resolve) => (this.server ? this.server.close(resolve) : resolve(undefined)));
  }
}

/** A browser: its push keys, and what it decrypts of the pushes for it. */
function browser(service: PushService, name: string) {
  const ecdh = createECDH('prime256v1');
  ecdh.generateKeys();
  const auth = randomBytes(16);
  const path = `/push/${name}-${randomBytes(4).toString('hex')}`;
  return {
    path,
    subscription: {
      endpoint: `${service.url}${path}`,
      keys: { p256dh: ecdh.getPublicKey().toString('base64url'), auth: auth.toString('base64url') },
    },
    notices: () =>
      service.received
        .filter((r) => r.path === path)
        .map((r) =>
          JSON.parse(
            ece
              .decrypt(r.body, { version: 'aes128gcm', privateKey: ecdh, authSecret: auth.toString('base64url') })
              .toString(),
          ),
        ),
  };
}

const service = new PushService();
// Made before the system starts (its beforeAll runs first): the system trusts it.
const certificate = selfsigned.generate([{ name: 'commonName', value: '127.0.0.1' }], {
  keySize: 2048,
  extensions: [{ name: 'subjectAltName', altNames: [{ type: 7, ip: '127.0.0.1' }] }],
});
const push = { vapidSubject: 'mailto:test@asky.local', endpointHosts: ['127.0.0.1'], extraCa: '' };
beforeAll(async () => {
  cert = await certificate;
  (push as { extraCa: string }).extraCa = cert.cert;
  await service.start(cert.private, cert.cert);
});
const ctx = useTestSystem({ push, escalation: { afterSeconds: { STAT: 2, ASAP: 600 }, checkEveryMs: 200 } });
afterAll(() => service.stop());

const REGISTER = 'mutation ($s: PushSubscriptionInput!) { registerPush(subscription: $s) }';
const { ok } = askingAs(ctx);
it('refuses an endpoint that is not a push service, and keys that cannot encrypt', async () => {
  const good = browser(service, 'x').subscription;
  for (const [endpoint, keys, argument] of [
    ['http://169.254.169.254/latest/meta-data', good.keys, 'endpoint'],
    ['https://evil.example/push', good.keys, 'endpoint'],
    [good.endpoint.replace('https:', 'http:'), good.keys, 'endpoint'],
    ['not a url', good.keys, 'endpoint'],
    [good.endpoint, { ...good.keys, p256dh: 'AAAA' }, 'keys.p256dh'],
    [good.endpoint, { ...good.keys, auth: randomBytes(8).toString('base64url') }, 'keys.auth'],
  ] as const) {
    const body = await ctx.system.graphql(REGISTER, { s: { endpoint, keys } }, { token: ctx.tokens.nurse });
    expect(body.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument });
  }
});

it('keeps an endpoint with the person who registered it first, until she unregisters it', async () => {
  const nurses = browser(service, 'shared-screen');
  expect(await ok(ctx.tokens.nurse, REGISTER, { s: nurses.subscription })).toEqual({ registerPush: true });
  expect(await ok(ctx.tokens.nurse, REGISTER, { s: nurses.subscription })).toEqual({ registerPush: true }); // hers again: fine
  const taken = await ctx.system.graphql(REGISTER, { s: nurses.subscription }, { token: ctx.tokens.pharmacist });
  expect(taken.errors?.[0]?.extensions?.code).toBe('CONFLICT');
  const { rows } = await adminQuery(
    `SELECT "userId"::text, p256dh FROM request."PushSubscription" WHERE endpoint = '${nurses.subscription.endpoint}'`,
    ctx.system.database.url,
  );
  const { me } = await ok(ctx.tokens.nurse, '{ me { id } }');
  expect(rows).toEqual([{ userId: me.id, p256dh: nurses.subscription.keys.p256dh }]);
  expect(
    await ok(ctx.tokens.nurse, 'mutation ($e: String!) { unregisterPush(endpoint: $e) }', {
      e: nurses.subscription.endpoint,
    }),
  ).toEqual({ unregisterPush: true });
  expect(await ok(ctx.tokens.pharmacist, REGISTER, { s: nurses.subscription })).toEqual({ registerPush: true });
  await ok(ctx.tokens.pharmacist, 'mutation ($e: String!) { unregisterPush(endpoint: $e) }', {
    e: nurses.subscription.endpoint,
  });
});

it('pushes new medicine requests to pharmacists and status changes to the requester, encrypted and VAPID-signed, without patient data', async () => {
  const pharmacist = browser(service, 'pharmacist');
  const technician = browser(service, 'technician');
  const nurse = browser(service, 'nurse');
  const stale = browser(service, 'stale');
  service.gone.add(stale.path);
  await ok(ctx.tokens.pharmacist, REGISTER, { s: pharmacist.subscription });
  await ok(ctx.tokens.pharmacist, REGISTER, { s: stale.subscription });
  await ok(ctx.tokens.technician, REGISTER, { s: technician.subscription });
  await ok(ctx.tokens.nurse, REGISTER, { s: nurse.subscription });

  const { createRequest } = await ok(
    ctx.tokens.nurse,
    'mutation ($input: CreateRequestInput!) { createRequest(input: $input) { id } }',
    {
      input: {
        kind: 'MEDICINE',
        medicineId: '22222222-2222-4222-8222-000000000002',
        dispenserId: '44444444-4444-4444-8444-000000000001',
        quantity: 1,
        priority: 'STAT',
        patient: { identifier: 'MRN-SECRET-1' },
      },
    },
  );
  const id = createRequest.id as string;
  const created = (
    await eventually(
      async () => pharmacist.notices(),
      (n) => n.some((x) => x.requestId === id),
    )
  ).find((x) => x.requestId === id);
  expect(created).toMatchObject({
    type: 'request.created',
    requestId: id,
    kind: 'MEDICINE',
    priority: 'STAT',
    status: 'PENDING',
    unit: 'UTI Adulto',
    title: 'New STAT medicine request · UTI Adulto',
  });
  expect(JSON.stringify(created)).not.toContain('MRN-SECRET-1');

  // VAPID: a JWT for the push service's origin, signed by the key the API publishes.
  const sent = service.received.find((r) => r.path === pharmacist.path)!;
  const [, token, key] = /^vapid t=([^,]+), k=(.+)$/.exec(sent.authorization)!;
  const { pushSettings } = await ok(ctx.tokens.pharmacist, '{ pushSettings { publicKey } }');
  expect(key).toBe(pushSettings.publicKey);
  const raw = Buffer.from(key!, 'base64url');
  const publicKey = createPublicKey({
    key: {
      kty: 'EC',
      crv: 'P-256',
      x: raw.subarray(1, 33).toString('base64url'),
      y: raw.subarray(33).toString('base64url'),
    },
    format: 'jwk',
  });
  expect(jwt.verify(token!, publicKey, { algorithms: ['ES256'], audience: service.url })).toMatchObject({
    sub: 'mailto:test@asky.local',
  });

  await ok(ctx.tokens.pharmacist, 'mutation ($id: ID!) { updateRequestStatus(id: $id, status: ACCEPTED) { status } }', {
    id,
  });
  const accepted = (
    await eventually(
      async () => nurse.notices(),
      (n) => n.some((x) => x.requestId === id),
    )
  ).find((x) => x.requestId === id);
  expect(accepted).toMatchObject({
    type: 'request.status_changed',
    status: 'ACCEPTED',
    title: 'Your request is ACCEPTED',
  });
  // Events are pushed in order: by now every push of the creation went out. Technicians do not work medicines.
  expect(technician.notices().filter((x) => x.requestId === id)).toEqual([]);
  expect(nurse.notices().filter((x) => x.type === 'request.created')).toEqual([]);
  // The push service no longer knows the stale browser: its subscription is gone.
  const { rows } = await adminQuery(
    `SELECT count(*)::int AS n FROM request."PushSubscription" WHERE endpoint = '${stale.subscription.endpoint}'`,
    ctx.system.database.url,
  );
  expect(rows[0].n).toBe(0);
  expect(
    (
      await ok(ctx.tokens.nurse, 'mutation ($e: String!) { unregisterPush(endpoint: $e) }', {
        e: nurse.subscription.endpoint,
      })
    ).unregisterPush,
  ).toBe(true);
});

it("pushes an escalation to the pharmacists and to the charge nurses of the request's unit only", async () => {
  const charge = browser(service, 'charge');
  const pharmacist = browser(service, 'pharmacist2');
  await ok(ctx.tokens.charge, REGISTER, { s: charge.subscription });
  await ok(ctx.tokens.pharmacist, REGISTER, { s: pharmacist.subscription });
  const create = async (dispenserId: string) =>
    (
      await ok(ctx.tokens.nurse, 'mutation ($input: CreateRequestInput!) { createRequest(input: $input) { id } }', {
        input: {
          kind: 'MEDICINE',
          medicineId: '22222222-2222-4222-8222-000000000002',
          dispenserId,
          quantity: 1,
          priority: 'STAT',
        },
      })
    ).createRequest.id as string;
  const elsewhere = await create('44444444-4444-4444-8444-000000000003'); // Pronto-Socorro
  const onHerUnit = await create('44444444-4444-4444-8444-000000000001'); // UTI Adulto, hers
  const escalations = (notices: () => any[], id: string) =>
    notices().filter((n) => n.type === 'request.escalated' && n.requestId === id);
  await eventually(
    async () => escalations(charge.notices, onHerUnit),
    (n) => n.length >= 2,
    30_000,
  );
  expect(escalations(charge.notices, onHerUnit).map((n) => n.title)).toEqual([
    'Unattended STAT medicine request · UTI Adulto',
    'Unattended STAT medicine request · UTI Adulto',
  ]);
  // Both escalated at the same passes: the pharmacist heard of the other one, the charge nurse did not.
  await eventually(
    async () => escalations(pharmacist.notices, elsewhere),
    (n) => n.length >= 2,
    30_000,
  );
  expect(escalations(charge.notices, elsewhere)).toEqual([]);
});

it('pushes nothing a forged broker message says: what is pushed is read from the request itself', async () => {
  const nurse = browser(service, 'nurse-forged');
  const pharmacist = browser(service, 'pharmacist-forged');
  await ok(ctx.tokens.nurse, REGISTER, { s: nurse.subscription });
  await ok(ctx.tokens.pharmacist, REGISTER, { s: pharmacist.subscription });
  const { createRequest } = await ok(
    ctx.tokens.nurse,
    'mutation ($input: CreateRequestInput!) { createRequest(input: $input) { id } }',
    {
      input: {
        kind: 'MEDICINE',
        medicineId: '22222222-2222-4222-8222-000000000002',
        dispenserId: '44444444-4444-4444-8444-000000000001',
        quantity: 1,
        priority: 'ROUTINE',
      },
    },
  );
  const id = createRequest.id as string;
  await eventually(
    async () => pharmacist.notices(),
    (n) => n.some((x) => x.requestId === id),
  );
  const ghost = randomUUID(); // a request that does not exist
  const tap = await EventTap.open(ctx.system.topology.exchange);
  try {
    const forge = (routingKey: string, body: Record<string, unknown>) =>
      tap.channel.publish(
        ctx.system.topology.exchange,
        routingKey,
        Buffer.from(
          JSON.stringify({
            eventId: randomUUID(),
            type: routingKey,
            requestId: id,
            occurredAt: new Date().toISOString(),
            ...body,
          }),
        ),
        { messageId: randomUUID(), contentType: 'application/json', persistent: true },
      );
    forge('request.status_changed', {
      kind: 'MEDICINE',
      priority: 'STAT',
      status: 'REJECTED',
      previousStatus: 'PENDING',
      requesterId: '11111111-1111-4111-8111-000000000001',
      changedById: '11111111-1111-4111-8111-000000000002',
      unit: 'UTI Adulto',
    });
    forge('request.escalated', {
      kind: 'MEDICINE',
      priority: 'STAT',
      status: 'PENDING',
      level: 2,
      waitedSeconds: 9_999,
      requesterId: '11111111-1111-4111-8111-000000000001',
      unit: 'UTI Adulto',
    });
    forge('request.created', {
      requestId: ghost,
      kind: 'MEDICINE',
      priority: 'STAT',
      status: 'PENDING',
      requesterId: '11111111-1111-4111-8111-000000000001',
      unit: 'UTI Adulto',
    });
  } finally {
    await tap.close();
  }
  // A real change after them: by the time its push arrives, the forged ones were handled (in order).
  await ok(ctx.tokens.pharmacist, 'mutation ($id: ID!) { updateRequestStatus(id: $id, status: ACCEPTED) { status } }', {
    id,
  });
  await eventually(
    async () => nurse.notices(),
    (n) => n.some((x) => x.requestId === id && x.status === 'ACCEPTED'),
  );
  expect(
    nurse
      .notices()
      .filter((x) => x.requestId === id)
      .map((x) => x.status),
  ).toEqual(['ACCEPTED']);
  expect(pharmacist.notices().filter((x) => x.type === 'request.escalated' && x.requestId === id)).toEqual([]);
  expect(pharmacist.notices().filter((x) => x.requestId === ghost)).toEqual([]);
});
