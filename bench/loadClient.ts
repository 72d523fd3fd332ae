/**
 * The load generator in its own process, so it does not take CPU from the
 * servers it measures: runs autocannon for the parent and sends back the result.
 */
import autocannon from 'autocannon';

export interface LoadOrder {
  readonly url: string;
  readonly body: string;
  readonly token: string;
  readonly connections: number;
  readonly seconds: number;
  /** Give each request its own value of `$unique` (nothing identical to share). */
  readonly unique?: boolean;
  /** Sessions to take turns with, one per request (separate callers share nothing); else `token` for all. */
  readonly tokens?: readonly string[];
}

let turn = 0;
process.on('message', (order: LoadOrder) => void run(order));

async function run(order: LoadOrder) {
  const result = await autocannon({
    url: order.url,
    connections: order.connections,
    duration: order.seconds,
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${order.token}` },
    body: order.body,
    ...(order.unique || order.tokens
      ? {
          requests: [
            {
              setupRequest: (request: autocannon.Request) => {
                const { query } = JSON.parse(order.body) as { query: string };
                const token = order.tokens?.[turn++ % order.tokens.length];
                return {
                  ...request,
                  ...(token ? { headers: { ...request.headers, authorization: `Bearer ${token}` } } : {}),
                  ...(order.unique
                    ? { body: JSON.stringify({ query, variables: { unique: `${Date.now()}-${Math.random()}` } }) }
                    : {}),
                };
              },
            },
          ],
        }
      : {}),
  });
  process.send!(result);
}
process.send?.({ ready: true });
