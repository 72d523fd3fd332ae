/**
 * Subgraph calls: identical queries of one caller in flight share one fetch;
 * other callers and mutations never share. Against a real HTTP server that
 * answers slowly and counts what it receives.
 */
import { createServer, type Server } from 'node:http';
import { AuthForwardingDataSource, fetchWithin } from '../src/dataSource';

let server: Server;
let received: { authorization?: string; body: string }[] = [];
beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c)).on('end', () => {
      received.push({ authorization: req.headers.authorization, body });
      setTimeout(() => res.setHeader('content-type', 'application/json').end(JSON.stringify({ data: { dispensers: [{ code: 'UTI-2-A' }] } })), 200);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
});
afterAll(() => new Promise((resolve) => server.close(resolve)));
beforeEach(() => (received = []));

const source = () => new AuthForwardingDataSource({ url: `http://127.0.0.1:${(server.address() as { port: number }).port}/graphql`, fetcher: fetchWithin(5_000) as never });
const call = (ds: AuthForwardingDataSource, query: string, authorization: string) =>
  ds.process({
    kind: 'incoming operation' as never,
    request: { query, variables: {}, http: { method: 'POST', url: '', headers: new Headers() as never } },
    incomingRequestContext: {} as never,
    context: { authorization },
  });

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
