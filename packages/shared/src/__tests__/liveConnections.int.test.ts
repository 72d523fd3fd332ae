/**
 * The live endpoint's connection accounting cannot leak: a socket that closes
 * while its token and account are still being checked holds no slot of its
 * person's, so a board that reconnects through an outage is never locked out;
 * and every close the endpoint sends is one graphql-ws' own client retries.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { buildSchema } from 'graphql';
import { createClient } from 'graphql-ws';
import WebSocket, { WebSocketServer } from 'ws';
import { staticKeys, TokenVerifier } from '../auth/verifier';
import { jwkThumbprint, type PublicJwk } from '../auth/tokens';
import { LIVE_CLOSE, serveLive, type Subscriber } from '../live';

const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
const kid = jwkThumbprint(privateKey);
const verifier = new TokenVerifier({
  keys: staticKeys([{ ...publicKey.export({ format: 'jwk' }), kid, alg: 'ES256', use: 'sig' } as PublicJwk]),
  issuer: 'asky-auth',
  audience: 'asky',
});
const token = (subject: string) =>
  jwt.sign({ typ: 'user', role: 'NURSE' }, privateKey, {
    algorithm: 'ES256',
    keyid: kid,
    subject,
    issuer: 'asky-auth',
    audience: 'asky',
    expiresIn: 600,
    jwtid: randomUUID(),
  });

const schema = buildSchema('type Query { ok: Boolean } type Subscription { ticks: Int }');

/** A live endpoint whose account checks wait until the test lets them answer. */
async function endpoint(connectionsPerUser: number) {
  let answer: () => void = () => undefined;
  let gate = new Promise<void>((resolve) => (answer = resolve));
  let checks = 0;
  const server = http.createServer();
  const live = serveLive<Subscriber>({
    server,
    schema,
    verifier,
    limits: { connectionsPerUser },
    account: async (authorization) => {
      checks++;
      await gate;
      return { id: String(jwt.decode(authorization.replace('Bearer ', ''))?.sub), role: 'NURSE' };
    },
    context: () => ({}),
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `ws://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`;
  return {
    url,
    checks: () => checks,
    open: () => {
      answer();
      gate = Promise.resolve();
    },
    stop: async () => {
      await live.stop();
      server.close();
    },
  };
}

/** Opens a raw socket, sends connection_init, and resolves with its close code (or 'acknowledged'). */
function connect(url: string, authorization: string, closeBeforeAnswer = false): Promise<number | 'acknowledged'> {
  return new Promise((resolve) => {
    const socket = new WebSocket(url, 'graphql-transport-ws');
    socket.on('open', () => {
      socket.send(JSON.stringify({ type: 'connection_init', payload: { authorization } }));
      if (closeBeforeAnswer) setImmediate(() => socket.close(1000));
    });
    socket.on('message', (data) => {
      if (JSON.parse(String(data)).type === 'connection_ack') resolve('acknowledged');
    });
    socket.on('close', (code) => resolve(code));
  });
}

describe('live connection accounting', () => {
  it('holds no slot for a socket that closed while its account was being checked', async () => {
    const live = await endpoint(2);
    const authorization = `Bearer ${token('11111111-1111-4111-8111-0000000000aa')}`;
    try {
      // Five sockets give up while the account check hangs (a database outage).
      const gaveUp = Array.from({ length: 5 }, () => connect(live.url, authorization, true));
      for (let i = 0; i < 200 && live.checks() < 5; i++) await new Promise((r) => setTimeout(r, 10));
      expect(live.checks()).toBe(5);
      expect(await Promise.all(gaveUp)).toEqual([1000, 1000, 1000, 1000, 1000]);
      live.open(); // the outage ends: their checks answer, for sockets long gone
      await new Promise((r) => setTimeout(r, 50));
      // The person's two places are free for the boards that come back.
      expect(await connect(live.url, authorization)).toBe('acknowledged');
      expect(await connect(live.url, authorization)).toBe('acknowledged');
    } finally {
      await live.stop();
    }
  });
});

describe("graphql-ws' own client", () => {
  it.each(Object.entries(LIVE_CLOSE))('reconnects by itself after Asky closes with %s (%i)', async (_name, code) => {
    // A server that closes each first connection with the code, and acknowledges the next.
    const server = http.createServer();
    const wss = new WebSocketServer({ server });
    let connections = 0;
    wss.on('connection', (socket) => {
      const nth = ++connections;
      socket.on('message', () =>
        nth === 1 ? socket.close(code, 'closed by the test') : socket.send(JSON.stringify({ type: 'connection_ack' })),
      );
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    let connected: () => void = () => undefined;
    const reconnected = new Promise<void>((resolve) => (connected = resolve));
    // As README's client example makes it: retry forever, a fresh token each time.
    const client = createClient({
      url: `ws://127.0.0.1:${(server.address() as AddressInfo).port}`,
      webSocketImpl: WebSocket,
      connectionParams: async () => ({ authorization: 'Bearer fresh' }),
      retryAttempts: Infinity,
      retryWait: async () => undefined,
      lazy: false,
      on: { connected: () => connected() },
      onNonLazyError: () => undefined,
    });
    try {
      await reconnected;
      expect(connections).toBe(2);
    } finally {
      await client.dispose();
      wss.close();
      server.close();
    }
  });
});
