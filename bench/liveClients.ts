/**
 * One bench client process: opens `count` graphql-ws subscriptions to the
 * gateway and reports what each received, and when, to the parent.
 */
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';

const QUERY = `subscription { requestStatusChanged { status at request { id status priority requester { name } medicine { name } dispenser { code } } } }`;

export interface Received {
  readonly requestId: string;
  readonly status: string;
  /** When the change was committed (the event's `at`). */
  readonly committedAt: number;
  /** When this client received it. */
  readonly at: number;
}

process.send?.({ type: 'started' });
process.once('message', async (message: { url: string; token: string; count: number }) => {
  const received: Received[] = [];
  const clients = Array.from({ length: message.count }, () =>
    createClient({ url: message.url, webSocketImpl: WebSocket, connectionParams: { authorization: `Bearer ${message.token}` }, retryAttempts: 0, lazy: false, onNonLazyError: () => undefined }),
  );
  let subscribed = 0;
  for (const client of clients) {
    client.subscribe(
      { query: QUERY },
      {
        next: (value: any) => {
          const change = value.data.requestStatusChanged;
          received.push({ requestId: change.request.id, status: change.status, committedAt: Date.parse(change.at), at: Date.now() });
        },
        error: () => undefined,
        complete: () => undefined,
      },
    );
    client.on('connected', () => ++subscribed === clients.length && process.send!({ type: 'ready' }));
  }
  process.on('message', async (command: { type: string }) => {
    if (command.type === 'count') return process.send!({ type: 'count', count: received.length });
    if (command.type !== 'report') return;
    await Promise.all(clients.map((c) => c.dispose()));
    // Exit only once the report is through the IPC channel: it can be large.
    process.send!({ type: 'report', received }, () => process.exit(0));
  });
});
