/**
 * A server told to stop (SIGTERM, as Kubernetes sends it) finishes what it is
 * answering and starts nothing new, even on a connection a client keeps alive:
 * a request arriving there gets 503 before any work, and the connection closes.
 */
import { connect, type Socket } from 'node:net';
import { parse } from 'graphql';
import { buildSubgraphSchema } from '@apollo/subgraph';
import { createLogger } from '../logger';
import { startService, type RunningService } from '../service';

const typeDefs = parse('type Query { slow: String! } type Mutation { record: Int! }');

function harness() {
  let started: () => void = () => undefined;
  const slowStarted = new Promise<void>((resolve) => (started = resolve));
  let release: () => void = () => undefined;
  const gate = new Promise<void>((resolve) => (release = resolve));
  const recorded = { count: 0 };
  const schema = buildSubgraphSchema([
    {
      typeDefs,
      resolvers: {
        Query: { slow: async () => (started(), await gate, 'finished') },
        Mutation: { record: () => ++recorded.count },
      } as never,
    },
  ]);
  return { schema, slowStarted, release, recorded };
}

const serve = (schema: ReturnType<typeof harness>['schema']) =>
  startService({
    name: 'test',
    port: 0,
    portVariable: 'TEST_PORT',
    production: false,
    logger: createLogger('test', 'silent'),
    apollo: { schema },
    context: async () => ({}),
    ready: async () => true,
  });

const post = (port: number, query: string) => {
  const body = JSON.stringify({ query });
  return `POST /graphql HTTP/1.1\r\nHost: localhost:${port}\r\nContent-Type: application/json\r\nConnection: keep-alive\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
};

/** Everything the server sends on `socket` until it closes it. */
const untilClosed = (socket: Socket) =>
  new Promise<string>((resolve) => {
    let received = '';
    socket.on('data', (chunk) => (received += chunk));
    socket.on('close', () => resolve(received));
    socket.on('error', () => undefined);
  });

describe('a draining server', () => {
  let service: RunningService | undefined;
  afterEach(() => service?.stop());

  it('finishes the request in flight, closes its kept-alive connection, and runs nothing sent on it afterwards', async () => {
    const { schema, slowStarted, release, recorded } = harness();
    service = await serve(schema);
    const { port } = service;
    const socket = connect(port, '127.0.0.1');
    const transcript = untilClosed(socket);
    socket.write(post(port, '{ slow }'));
    await slowStarted;
    const stopped = service.stop();
    service = undefined;
    socket.write(post(port, 'mutation { record }')); // the same connection, after the signal
    release();
    const received = await transcript;
    await stopped;
    const [first, second] = received.split(/(?=HTTP\/1\.1 )/);
    expect(first).toMatch(/^HTTP\/1\.1 200/);
    expect(first).toMatch(/connection: close/i);
    expect(first).toContain('"slow":"finished"');
    // Nothing more, or a refusal before any work: never the mutation run.
    if (second !== undefined) {
      expect(second).toMatch(/^HTTP\/1\.1 503/);
      expect(second).toContain('SERVICE_UNAVAILABLE');
    }
    expect(recorded.count).toBe(0);
  });

  it('refuses a request on a connection that was idle when draining began, before any work', async () => {
    const { schema, recorded } = harness();
    const running = await serve(schema);
    const answer = await fetch(running.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: 'mutation { record }' }),
    });
    expect(answer.status).toBe(200);
    await running.stop();
    await expect(
      fetch(running.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query: 'mutation { record }' }),
      }),
    ).rejects.toThrow();
    expect(recorded.count).toBe(1);
  });
});
