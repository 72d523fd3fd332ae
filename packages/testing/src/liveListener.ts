/**
 * A graphql-ws client for tests: subscribed to one operation at the gateway (or
 * any graphql-ws URL), collecting what arrives and how the socket closed.
 */
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';

export interface Listener {
  readonly events: any[];
  readonly closed: Promise<number>;
  next(ms?: number): Promise<any>;
  quiet(ms?: number): Promise<boolean>;
  dispose(): void;
}

/** The status changes a dashboard listens to, with fields of every subgraph. */
export const LIVE_CHANGES = `subscription ($requestId: ID) {
  requestStatusChanged(requestId: $requestId) {
    previousStatus status at
    changedBy { name }
    request { id status priority requester { name } medicine { name } dispenser { code location } }
  }
}`;

/** A graphql-ws client subscribed to `query`, collecting what arrives. */
export function listen(
  system: { gatewayUrl: string },
  token: string | undefined,
  query = LIVE_CHANGES,
  variables: Record<string, unknown> = {},
): Listener {
  const events: any[] = [];
  let closedWith: (code: number) => void = () => undefined;
  const closed = new Promise<number>((resolve) => (closedWith = resolve));
  const client: Client = createClient({
    url: system.gatewayUrl.replace(/^http/, 'ws'),
    webSocketImpl: WebSocket,
    connectionParams: token ? { authorization: `Bearer ${token}` } : {},
    retryAttempts: 0,
    lazy: false,
    on: { closed: (event) => closedWith((event as { code: number }).code) },
    onNonLazyError: () => undefined,
  });
  /** Wakes a waiting `next()` when something arrives. */
  let arrived: () => void = () => undefined;
  const push = (value: unknown) => (events.push(value), arrived());
  const dispose = client.subscribe(
    { query, variables },
    { next: push, error: (error) => push({ errors: [error] }), complete: () => undefined },
  );
  let read = 0;
  return {
    events,
    closed,
    async next(ms = 10_000) {
      if (events.length <= read) {
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([
          new Promise<void>((resolve) => (arrived = resolve)),
          new Promise<never>(
            (_, reject) =>
              (timer = setTimeout(() => reject(new Error(`no live event within ${ms} ms (got ${events.length})`)), ms)),
          ),
        ]).finally(() => clearTimeout(timer));
      }
      return events[read++];
    },
    async quiet(ms = 1_000) {
      const before = events.length;
      await new Promise((r) => setTimeout(r, ms));
      return events.length === before;
    },
    dispose() {
      dispose();
      void client.dispose();
    },
  };
}
