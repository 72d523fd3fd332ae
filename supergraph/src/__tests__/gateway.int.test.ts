/**
 * The gateway against stand-in subgraphs that record what reaches them, so what
 * the gateway itself does (forwarding, masking, production mode) is visible.
 */
import { generateKeyPairSync, randomBytes, randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import amqp from 'amqplib';
import jwt from 'jsonwebtoken';
import {
  createLogger,
  RabbitBus,
  ROUTING_KEYS,
  toPublicJwk,
  type RequestEvent,
  type RunningService,
} from '@asky/shared';
import { createGateway } from '../server';

interface StandIn {
  readonly url: string;
  readonly headers: http.IncomingHttpHeaders[];
  close(): Promise<void>;
}

const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
const jwk = toPublicJwk(privateKey);
const tokens = { issuer: 'asky-auth', audience: 'asky', jwksUrl: '' };
const signToken = (claims: object = { typ: 'user', role: 'NURSE' }) =>
  jwt.sign(claims, privateKey, {
    algorithm: 'ES256',
    keyid: jwk.kid,
    subject: 'u1',
    issuer: 'asky-auth',
    audience: 'asky',
    expiresIn: 60,
  });

/** A subgraph that answers every operation with `body` (after `delayMs`), records request headers, and serves a JWKS. */
async function standInSubgraph(body: object, delayMs = 0): Promise<StandIn> {
  const headers: http.IncomingHttpHeaders[] = [];
  const server = http.createServer((req, res) => {
    res.setHeader('content-type', 'application/json');
    if (req.url === '/.well-known/jwks.json') {
      res.end(JSON.stringify({ keys: [jwk] }));
      return;
    }
    headers.push(req.headers);
    req.resume().on('end', () => setTimeout(() => res.end(JSON.stringify(body)), delayMs));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`,
    headers,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

const post = async (url: string, query: string, headers: Record<string, string> = {}) => {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ query }),
  });
  return (await res.json()) as { data?: any; errors?: { message: string; extensions?: { code?: string } }[] };
};

describe('the gateway', () => {
  let pyxis: StandIn;
  let broken: StandIn;
  let gateway: RunningService;
  let production: RunningService;

  beforeAll(async () => {
    pyxis = await standInSubgraph({ data: { dispensers: [{ code: 'UTI-2-A' }] } });
    broken = await standInSubgraph({
      errors: [
        {
          message: 'relation "x" does not exist at Object.<anonymous> (/app/src/data.ts:1)',
          extensions: { code: 'INTERNAL_SERVER_ERROR' },
        },
      ],
    });
    const logger = createLogger('gateway', 'silent');
    tokens.jwksUrl = new URL('/.well-known/jwks.json', pyxis.url).href;
    gateway = await createGateway({
      tokens,
      port: 0,
      production: false,
      logger,
      subgraphUrls: { auth: 'http://127.0.0.1:1/graphql', pyxis: pyxis.url, request: broken.url },
    });
    production = await createGateway({
      tokens,
      port: 0,
      production: true,
      logger,
      subgraphUrls: { auth: pyxis.url, pyxis: pyxis.url, request: pyxis.url },
    });
  });
  afterAll(async () => {
    await gateway?.stop();
    await production?.stop();
    await pyxis?.close();
    await broken?.close();
  });

  it("forwards the caller's valid Authorization header, and address, to the subgraph", async () => {
    pyxis.headers.length = 0;
    const token = signToken();
    const { data } = await post(gateway.url, '{ dispensers { code } }', { authorization: `Bearer ${token}` });
    expect(data).toEqual({ dispensers: [{ code: 'UTI-2-A' }] });
    expect(pyxis.headers.map((h) => h.authorization)).toEqual([`Bearer ${token}`]);
    expect(pyxis.headers[0]!['x-forwarded-for']).toMatch(/127\.0\.0\.1/);
  });

  it.each([
    ['a malformed token', 'Bearer abc.def.ghi'],
    [
      'a token signed by another key',
      `Bearer ${jwt.sign({ typ: 'user' }, generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey, { algorithm: 'ES256', keyid: jwk.kid, issuer: 'asky-auth', audience: 'asky' })}`,
    ],
    [
      'a token for another audience',
      `Bearer ${jwt.sign({ typ: 'user' }, privateKey, { algorithm: 'ES256', keyid: jwk.kid, issuer: 'asky-auth', audience: 'elsewhere' })}`,
    ],
    ['a header without Bearer', signToken()],
  ])('refuses %s with 401 UNAUTHENTICATED before calling any subgraph', async (_, authorization) => {
    pyxis.headers.length = 0;
    const res = await fetch(gateway.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization },
      body: JSON.stringify({ query: '{ dispensers { code } }' }),
    });
    expect(res.status).toBe(401);
    expect(((await res.json()) as { errors: { extensions: { code: string } }[] }).errors[0]!.extensions.code).toBe(
      'UNAUTHENTICATED',
    );
    expect(pyxis.headers).toEqual([]);
  });

  it('sends no Authorization header when the caller sent none', async () => {
    pyxis.headers.length = 0;
    await post(gateway.url, '{ dispensers { code } }');
    expect(pyxis.headers).toHaveLength(1);
    expect(pyxis.headers[0]!.authorization).toBeUndefined();
  });

  it("masks a subgraph's internal error: no SQL, paths or stack reach the client", async () => {
    const body = await post(gateway.url, '{ requests { id } }');
    expect(body.errors).toEqual([
      expect.objectContaining({ message: 'Internal server error', extensions: { code: 'INTERNAL_SERVER_ERROR' } }),
    ]);
    expect(JSON.stringify(body)).not.toMatch(/relation|data\.ts|127\.0\.0\.1/);
  });

  it('stays alive and ready while a subgraph is unreachable: it still serves the others', async () => {
    expect((await fetch(new URL('/health', gateway.url))).status).toBe(200);
    expect((await fetch(new URL('/ready', gateway.url))).status).toBe(200);
  });

  it('turns introspection and Sandbox off in production', async () => {
    const body = await post(production.url, '{ __schema { types { name } } }');
    expect(body.errors?.[0]?.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
    const page = await fetch(production.url, { headers: { accept: 'text/html' } });
    expect(page.headers.get('content-type')).not.toMatch(/html/);
    expect(await page.text()).not.toMatch(/sandbox|landing/i);
  });

  it('still answers ordinary queries in production', async () => {
    expect((await post(production.url, '{ dispensers { code } }')).data).toEqual({ dispensers: [{ code: 'UTI-2-A' }] });
  });
});

describe('identical queries of one caller in flight, around a request event', () => {
  const AMQP_URL = process.env.TEST_AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672';
  const exchange = `test.${randomBytes(4).toString('hex')}.events`;
  let slow: StandIn;
  let bus: RabbitBus;
  let gateway: RunningService;
  const token = signToken();
  const ask = () => post(gateway.url, '{ dispensers { code } }', { authorization: `Bearer ${token}` });

  beforeAll(async () => {
    slow = await standInSubgraph({ data: { dispensers: [{ code: 'UTI-2-A' }] } }, 400);
    bus = await RabbitBus.connect({ url: AMQP_URL, exchange });
    tokens.jwksUrl = new URL('/.well-known/jwks.json', slow.url).href;
    gateway = await createGateway({
      tokens,
      port: 0,
      production: false,
      logger: createLogger('gateway', 'silent'),
      bus,
      subgraphUrls: { auth: slow.url, pyxis: slow.url, request: slow.url },
    });
  });
  afterAll(async () => {
    await gateway?.stop();
    await bus?.close();
    await slow?.close();
    const connection = await amqp.connect(AMQP_URL);
    const channel = await connection.createChannel();
    await channel.deleteExchange(exchange);
    await channel.deleteExchange(`${exchange}.dead`);
    await connection.close();
  });

  const event = (): RequestEvent => ({
    eventId: randomUUID(),
    type: ROUTING_KEYS.requestStatusChanged,
    occurredAt: new Date().toISOString(),
    requestId: randomUUID(),
    kind: 'MEDICINE',
    priority: 'URGENT',
    status: 'ACCEPTED',
    previousStatus: 'PENDING',
    requesterId: randomUUID(),
    changedById: randomUUID(),
    dispenserId: null,
    medicineId: randomUUID(),
    materialId: null,
    quantity: 1,
    unit: null,
    assigneeId: null,
  });

  it('share one execution and one subgraph fetch', async () => {
    slow.headers.length = 0;
    const first = ask();
    await new Promise((resolve) => setTimeout(resolve, 150));
    const answers = await Promise.all([first, ask()]);
    expect(slow.headers).toHaveLength(1);
    for (const answer of answers) expect(answer.data).toEqual({ dispensers: [{ code: 'UTI-2-A' }] });
  });

  it('share nothing begun before an event the gateway received: a refetch on a live update reads after it', async () => {
    slow.headers.length = 0;
    const first = ask();
    await new Promise((resolve) => setTimeout(resolve, 50));
    const body = event();
    await bus.publish(ROUTING_KEYS.requestStatusChanged, body, body.eventId);
    await new Promise((resolve) => setTimeout(resolve, 100)); // the gateway has it
    await Promise.all([first, ask()]);
    expect(slow.headers).toHaveLength(2);
  });
});
