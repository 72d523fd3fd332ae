/**
 * Subgraph calls: identical queries of one caller in flight share one fetch;
 * other callers and mutations never share. Against a real HTTP server that
 * answers slowly and counts what it receives.
 */
import { createServer, type Server } from 'node:http';
import type { GraphQLError } from 'graphql';
import { AuthForwardingDataSource } from '../dataSource';
import { fetchWithin } from '../subgraphFetch';

let server: Server;
let received: { authorization?: string; body: string }[] = [];
beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c)).on('end', () => {
      received.push({ authorization: req.headers.authorization, body });
      if (body.includes('outage')) {
        const error = { message: 'auth did not answer account statuses; try again shortly', extensions: { code: 'SERVICE_UNAVAILABLE', retryable: true } };
        res.writeHead(503, { 'content-type': 'application/json' }).end(JSON.stringify({ errors: [error] }));
        return;
      }
      if (body.includes('crash')) {
        res.writeHead(500, { 'content-type': 'application/json' }).end(JSON.stringify({ errors: [{ message: 'at db.ts:12 boom' }] }));
        return;
      }
      const delay = body.includes('slow') ? 400 : 200;
      setTimeout(() => res.setHeader('content-type', 'application/json').end(JSON.stringify({ data: { dispensers: [{ code: 'UTI-2-A' }] } })), delay);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
});
afterAll(() => new Promise((resolve) => server.close(resolve)));
beforeEach(() => (received = []));

const source = (url = `http://127.0.0.1:${(server.address() as { port: number }).port}/graphql`) =>
  new AuthForwardingDataSource({ url, fetcher: fetchWithin(5_000) as never });
const call = (ds: AuthForwardingDataSource, query: string, authorization: string, fresh?: boolean) =>
  ds.process({
    kind: 'incoming operation' as never,
    request: { query, variables: {}, http: { method: 'POST', url: '', headers: new Headers() as never } },
    incomingRequestContext: {} as never,
    context: { authorization, fresh },
  });
const sent = (query: string) => received.filter((r) => r.body.includes(query)).length;

it('shares one fetch among identical queries of one caller in flight, each with its own copy', async () => {
  const ds = source();
  const answers = await Promise.all(Array.from({ length: 5 }, () => call(ds, '{ dispensers { code } }', 'Bearer a')));
  expect(received).toHaveLength(1);
  expect(answers.every((a) => a.data?.dispensers[0].code === 'UTI-2-A')).toBe(true);
  expect(answers[0]!.data).not.toBe(answers[1]!.data);
  await call(ds, '{ dispensers { code } }', 'Bearer a'); // once answered, the next one goes out again
  expect(received).toHaveLength(2);
});

it('never shares between callers, nor for mutations', async () => {
  const ds = source();
  await Promise.all([call(ds, '{ dispensers { code } }', 'Bearer a'), call(ds, '{ dispensers { code } }', 'Bearer b')]);
  expect(received.map((r) => r.authorization).sort()).toEqual(['Bearer a', 'Bearer b']);
  received = [];
  await Promise.all(Array.from({ length: 3 }, () => call(ds, 'mutation { restock(slotId: "x", quantity: 1) { quantity } }', 'Bearer a')));
  expect(received).toHaveLength(3);
});

describe('never shares a fetch that may have read before something the caller knows of', () => {
  const SLOW = '{ slow { code } }';

  it("after the caller's own mutation", async () => {
    const ds = source();
    const before = [call(ds, SLOW, 'Bearer a'), call(ds, SLOW, 'Bearer b')];
    await new Promise((resolve) => setTimeout(resolve, 20));
    await call(ds, 'mutation { restock(slotId: "x", quantity: 1) { quantity } }', 'Bearer a'); // done while both are in flight
    await Promise.all([...before, call(ds, SLOW, 'Bearer a'), call(ds, SLOW, 'Bearer b')]);
    expect(received.filter((r) => r.body.includes('slow')).map((r) => r.authorization)).toEqual(['Bearer a', 'Bearer b', 'Bearer a']);
  });

  it('after a request event (closeAll)', async () => {
    const ds = source();
    const before = call(ds, SLOW, 'Bearer a');
    await new Promise((resolve) => setTimeout(resolve, 20));
    ds.closeAll();
    await Promise.all([before, call(ds, SLOW, 'Bearer a')]);
    expect(sent('slow')).toBe(2);
  });

  it('for a fresh read (a live follow-up)', async () => {
    const ds = source();
    await Promise.all([call(ds, SLOW, 'Bearer a'), call(ds, SLOW, 'Bearer a', true)]);
    expect(sent('slow')).toBe(2);
  });
});

describe('a subgraph that fails the whole call', () => {
  const failure = (ds: AuthForwardingDataSource, query: string) => call(ds, query, 'Bearer a').then(() => undefined, (err: GraphQLError) => err);

  it("keeps the subgraph's retryable code and message from a 503", async () => {
    const error = await failure(source(), '{ outage { code } }');
    expect(error?.message).toBe('auth did not answer account statuses; try again shortly');
    expect(error?.extensions).toEqual({ code: 'SERVICE_UNAVAILABLE', retryable: true });
  });

  it('is SERVICE_UNAVAILABLE (retryable) when the subgraph cannot be reached', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(closed.address() as { port: number }).port}/graphql`;
    await new Promise((resolve) => closed.close(resolve));
    const error = await failure(source(url), '{ dispensers { code } }');
    expect(error?.extensions).toMatchObject({ code: 'SERVICE_UNAVAILABLE', retryable: true });
  });

  it('passes nothing of an uncoded 500 on (the gateway reports it as internal)', async () => {
    const error = await failure(source(), '{ crash { code } }');
    expect(error?.extensions.code).toBeUndefined();
    expect(error?.message).not.toMatch(/db\.ts|boom/);
  });
});
