/**
 * The gateway's subgraph calls over kept-alive sockets: a socket the subgraph
 * closes just as a call is written on it must not fail the call.
 */
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { ABORT_HEADER, abortKeyFor, fetchWithin } from '../subgraphFetch';

let server: net.Server;
let url: string;
beforeAll(async () => {
  // A subgraph that keeps connections open without announcing a keep-alive timeout,
  // and closes each one 15 ms after answering: every next call races that close.
  const body = '{"data":{"ok":true}}';
  server = net.createServer((socket) => {
    let idle: NodeJS.Timeout | undefined;
    let buffered = '';
    socket.on('error', () => undefined);
    socket.on('data', (chunk) => {
      clearTimeout(idle);
      buffered += chunk.toString();
      const end = buffered.indexOf('\r\n\r\n');
      const length = Number(/content-length: (\d+)/i.exec(buffered)?.[1] ?? 0);
      if (end === -1 || buffered.length < end + 4 + length) return;
      buffered = '';
      socket.write(`HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: ${body.length}\r\n\r\n${body}`);
      idle = setTimeout(() => socket.destroy(), 15);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as net.AddressInfo).port}/graphql`;
});
afterAll(() => new Promise((resolve) => server.close(resolve)));

it('retries a call whose kept-alive socket the subgraph closed meanwhile, and nothing fails', async () => {
  const fetcher = fetchWithin(5_000);
  const outcomes: string[] = [];
  for (let i = 0; i < 300; i++) {
    const answer = await fetcher(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"query":"{ ok }"}' }).then(
      (res) => res.json(),
      (err: Error) => err.message,
    );
    outcomes.push(JSON.stringify(answer));
    await sleep(14 + (i % 3)); // around the subgraph's keep-alive timeout
  }
  expect(outcomes.filter((o) => o !== '{"data":{"ok":true}}')).toEqual([]);
}, 30_000);

it('fails at once, and for good, a call whose caller had already gone away', async () => {
  const gone = new AbortController();
  gone.abort();
  const fetcher = fetchWithin(50);
  const failure = await fetcher(url, { method: 'POST', headers: { [ABORT_HEADER]: abortKeyFor(gone.signal) }, body: '{"query":"{ ok }"}' }).catch((err: Error) => err);
  expect(failure).toMatchObject({ extensions: { code: 'SERVICE_UNAVAILABLE' } });
  await sleep(200); // past the call's timeout: nothing of it may still fire (it took the process down)
  expect(await fetcher(url, { method: 'POST', body: '{"query":"{ ok }"}' }).then((res) => res.json())).toEqual({ data: { ok: true } });
});
