/**
 * Subgraph calls: what a subgraph's failed answer becomes at the gateway.
 * Against a real HTTP server. (Identical queries in flight are shared whole,
 * before any fetch: coalesce.int.test.ts.)
 */
import { createServer, type Server } from 'node:http';
import type { GraphQLError } from 'graphql';
import { AuthForwardingDataSource } from '../dataSource';

let server: Server;
let received: { authorization?: string; body: string }[] = [];
/** Calls whose connection closed before the subgraph answered. */
let cutShort = 0;
beforeAll(async () => {
  server = createServer((req, res) => {
    res.on('close', () => (cutShort += res.writableFinished ? 0 : 1));
    let body = '';
    req
      .on('data', (c) => (body += c))
      .on('end', () => {
        received.push({ authorization: req.headers.authorization, body });
        if (body.includes('outage')) {
          const error = {
            message: 'auth did not answer account statuses; try again shortly',
            extensions: { code: 'SERVICE_UNAVAILABLE', retryable: true },
          };
          res.writeHead(503, { 'content-type': 'application/json' }).end(JSON.stringify({ errors: [error] }));
          return;
        }
        if (body.includes('crash')) {
          res
            .writeHead(500, { 'content-type': 'application/json' })
            .end(JSON.stringify({ errors: [{ message: 'at db.ts:12 boom' }] }));
          return;
        }
        const delay = body.includes('slow') ? 400 : 200;
        setTimeout(
          () =>
            res
              .setHeader('content-type', 'application/json')
              .end(JSON.stringify({ data: { dispensers: [{ code: 'UTI-2-A' }] } })),
          delay,
        );
      });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
});
afterAll(() => new Promise((resolve) => server.close(resolve)));
beforeEach(() => {
  received = [];
  cutShort = 0;
});

const subgraphUrl = () => `http://127.0.0.1:${(server.address() as { port: number }).port}/graphql`;
const source = (url = subgraphUrl(), timeoutMs = 5_000) => new AuthForwardingDataSource(url, timeoutMs);
const call = (ds: AuthForwardingDataSource, query: string, authorization: string, hangUp?: AbortSignal) =>
  ds.process({
    kind: 'incoming operation' as never,
    request: { query, variables: {}, http: { method: 'POST', url: '', headers: new Headers() as never } },
    incomingRequestContext: {} as never,
    context: { authorization, hangUp },
  });

describe('a call', () => {
  it("forwards the caller's token and answers with the subgraph's data", async () => {
    const answer = await call(source(), '{ dispensers { code } }', 'Bearer a');
    expect(answer.data).toEqual({ dispensers: [{ code: 'UTI-2-A' }] });
    expect(received.map((r) => r.authorization)).toEqual(['Bearer a']);
  });

  it('is SERVICE_UNAVAILABLE (retryable) when the subgraph does not answer in time, and stops waiting for it', async () => {
    const error = await call(source(subgraphUrl(), 100), '{ slow { code } }', 'Bearer a').catch(
      (err: GraphQLError) => err,
    );
    expect(error).toMatchObject({
      message: expect.stringMatching(/did not answer within 100 ms/),
      extensions: { code: 'SERVICE_UNAVAILABLE', retryable: true },
    });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(cutShort).toBe(1);
  });

  it("is cut when the caller hangs up: the subgraph's connection closes, the caller-gone error says why", async () => {
    const hangUp = new AbortController();
    const pending = call(source(), '{ slow { code } }', 'Bearer a', hangUp.signal).catch((err: GraphQLError) => err);
    setTimeout(() => hangUp.abort(), 50);
    expect(await pending).toMatchObject({ extensions: { code: 'SERVICE_UNAVAILABLE', callerGone: true } });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(cutShort).toBe(1);
  });

  it('is never made for a caller already gone', async () => {
    const gone = new AbortController();
    gone.abort();
    expect(
      await call(source(), '{ dispensers { code } }', 'Bearer a', gone.signal).catch((err: GraphQLError) => err),
    ).toMatchObject({ extensions: { callerGone: true } });
    expect(received).toEqual([]);
  });
});

describe('a subgraph that fails the whole call', () => {
  const failure = (ds: AuthForwardingDataSource, query: string) =>
    call(ds, query, 'Bearer a').then(
      () => undefined,
      (err: GraphQLError) => err,
    );

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
