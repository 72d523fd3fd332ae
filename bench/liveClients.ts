/**
 * One bench client process: opens `count` graphql-ws subscriptions to the
 * gateway and reports each event's publish→receive latency to the parent.
 */
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';

const QUERY = `subscription { requestStatusChanged { status at request { id status priority requester { name } medicine { name } dispenser { code } } } }`;

process.send!({ type: 'started' });
process.once('message', async (message: { url: string; token: string; count: number }) => {
  const latencies: number[] = [];
  const clients = Array.from({ length: message.count }, () =>
    createClient({ url: message.url, webSocketImpl: WebSocket, connectionParams: { authorization: `Bearer ${message.token}` }, retryAttempts: 0, lazy: false, onNonLazyError: () => undefined }),
  );
  let subscribed = 0;
  for (const client of clients) {
    client.subscribe(
      { query: QUERY },
      { next: (value: any) => latencies.push(Date.now() - Date.parse(value.data.requestStatusChanged.at)), error: () => undefined, complete: () => undefined },
    );
    client.on('connected', () => ++subscribed === clients.length && process.send!({ type: 'ready' }));
  }
  process.on('message', async (command: { type: string }) => {
    if (command.type !== 'report') return;
    process.send!({ type: 'report', latencies });
    await Promise.all(clients.map((c) => c.dispose()));
    process.exit(0);
  });
});
