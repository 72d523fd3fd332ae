/**
 * Subgraph calls: what a subgraph's failed answer becomes at the gateway.
 * Against a real HTTP server. (Identical queries in flight are shared whole,
 * before any fetch: coalesce.int.test.ts.)
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
const call = (ds: AuthForwardingDataSource, query: string, authorization: string) =>
  ds.process({
    kind: 'incoming operation' as never,
    request: { query, variables: {}, http: { method: 'POST', url: '', headers: new Headers() as never } },
    incomingRequestContext: {} as never,
    context: { authorization },
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
