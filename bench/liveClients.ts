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

process.on('disconnect', () => process.exit(0)); // the bench ended, however: nothing to report to
process.send?.({ type: 'started' });
process.once('message', (message: { url: string; token: string; count: number }) => {
  const received: Received[] = [];
  // Opened all at once, a connect storm larger than the server's accept backlog: like dashboards, they retry (graphql-ws' randomised back-off).
  const clients = Array.from({ length: message.count }, () =>
    createClient({
      url: message.url,
      webSocketImpl: WebSocket,
      connectionParams: { authorization: `Bearer ${message.token}` },
      retryAttempts: 5,
      lazy: false,
      onNonLazyError: () => undefined,
    }),
  );
  // Ready once every client connected or gave up: the parent is told how many failed, and why.
  let connected = 0;
  const failed: string[] = [];
  const settle = () => connected + failed.length === clients.length && process.send!({ type: 'ready', failed });
  for (const client of clients) {
    let up = false;
    client.subscribe(
      { query: QUERY },
      {
        next: (value: any) => {
          const change = value.data.requestStatusChanged;
          received.push({
            requestId: change.request.id,
            status: change.status,
            committedAt: Date.parse(change.at),
            at: Date.now(),
          });
        },
        // Retries exhausted (or refused): this subscriber never gets its events.
        error: (err: unknown) => {
          if (up) return;
          const { code, reason, message } = (err ?? {}) as { code?: number; reason?: string; message?: string };
          failed.push(code !== undefined ? `${code} ${reason ?? ''}`.trim() : (message ?? String(err)));
          settle();
        },
        complete: () => undefined,
      },
    );
    client.on('connected', () => {
      if (up) return; // a later reconnect
      up = true;
      connected++;
      settle();
    });
  }
  process.on('message', (command: { type: string }) => {
    if (command.type === 'count') return process.send!({ type: 'count', count: received.length });
    if (command.type !== 'report') return;
    // Exit only once the report is through the IPC channel: it can be large.
    void Promise.all(clients.map((c) => c.dispose())).then(() =>
      process.send!({ type: 'report', received }, () => process.exit(0)),
    );
  });
});
