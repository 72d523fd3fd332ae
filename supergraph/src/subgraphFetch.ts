/**
 * How the gateway's data sources reach subgraphs: Node's `http` over keep-alive
 * agents, answering with just the part of a fetch `Response` that
 * `RemoteGraphQLDataSource` reads: under load Node 20's `fetch` (undici behind
 * WHATWG streams, plus an `AbortSignal.timeout` per call) cost the gateway more
 * CPU than planning and result shaping together, and make-fetch-happen,
 * @apollo/gateway's default, more still; undici's own `request` (tried) served
 * a third fewer coalesced queries per second (bench/README.md).
 * Bounded: a subgraph that hangs fails the call after `timeoutMs`. A subgraph
 * that cannot be reached or does not answer in time is SERVICE_UNAVAILABLE
 * (retryable), not an internal error.
 */
import http from 'node:http';
import https from 'node:https';
import { callerGone, serviceUnavailable } from '@asky/shared';

/**
 * Idle connections are closed before the subgraphs' servers would close them
 * (Node's default keep-alive timeout is 5 s), so a request is rarely sent on a
 * socket the other end is closing; when it is anyway, it is sent again (below).
 */
const IDLE_SOCKET_MS = 4_000;
const agents = {
  'http:': new http.Agent({ keepAlive: true, maxSockets: 256, timeout: IDLE_SOCKET_MS }),
  'https:': new https.Agent({ keepAlive: true, maxSockets: 256, timeout: IDLE_SOCKET_MS }),
};

/** What a data source reads of a subgraph's answer (a subset of fetch's `Response`). */
export interface SubgraphHttpResponse {
  readonly ok: boolean;
  readonly status: number;
  readonly statusText: string;
  readonly url: string;
  readonly headers: { get(name: string): string | null };
  text(): Promise<string>;
  json(): Promise<unknown>;
}

export interface SubgraphRequestInit {
  readonly method?: string;
  readonly headers?: Record<string, string>;
  readonly body?: string;
}

/**
 * RemoteGraphQLDataSource hands its fetcher only the URL, headers and body, so a
 * call that may be abandoned carries this (internal, never sent) header naming
 * the signal that aborts it.
 */
export const ABORT_HEADER = 'x-asky-abort';
const abortSignals = new Map<string, AbortSignal>();
let nextAbortKey = 0;

/** The header value that makes the call abort with `signal`; the key lives until the call is made. */
export function abortKeyFor(signal: AbortSignal): string {
  const key = String(nextAbortKey++);
  abortSignals.set(key, signal);
  return key;
}

function responseOf(url: string, res: http.IncomingMessage, body: string): SubgraphHttpResponse {
  const status = res.statusCode ?? 0;
  return {
    ok: status >= 200 && status < 300,
    status,
    statusText: res.statusMessage ?? '',
    url,
    headers: {
      get: (name) => {
        const value = res.headers[name.toLowerCase()];
        return value === undefined ? null : Array.isArray(value) ? value.join(', ') : value;
      },
    },
    text: async () => body,
    json: async () => JSON.parse(body),
  };
}

/**
 * A fetch function for `RemoteGraphQLDataSource` whose calls end within
 * `timeoutMs`. A kept-alive socket the subgraph closed just as the call was
 * written on it (ECONNRESET/EPIPE on a reused socket: the subgraph read nothing)
 * is retried once on a fresh one, as Node's documentation advises.
 */
export const fetchWithin =
  (timeoutMs: number) =>
  (url: string, init: SubgraphRequestInit = {}): Promise<SubgraphHttpResponse> =>
    new Promise((resolve, reject) => {
      const target = new URL(url);
      const protocol = target.protocol === 'https:' ? 'https:' : 'http:';
      const body = init.body ?? '';
      const { [ABORT_HEADER]: abortKey, ...headers } = init.headers ?? {};
      const signal = abortKey === undefined ? undefined : abortSignals.get(abortKey);
      if (abortKey !== undefined) abortSignals.delete(abortKey);
      // Before anything is started (a timer left behind would fire on no request).
      if (signal?.aborted) return reject(callerGone());
      let request: http.ClientRequest;
      let timedOut = false;
      let hungUp = false;
      const timer = setTimeout(() => {
        timedOut = true;
        request.destroy();
      }, timeoutMs);
      // Nobody waits for the answer any more: closing the connection stops the subgraph's work too.
      const abandon = () => {
        hungUp = true;
        request.destroy();
      };
      signal?.addEventListener('abort', abandon, { once: true });
      const send = (retry: boolean) => {
        request = (protocol === 'https:' ? https : http).request(
          target,
          { method: init.method ?? 'POST', headers: { ...headers, 'content-length': Buffer.byteLength(body) }, agent: agents[protocol] },
          (res) => {
            const chunks: Buffer[] = [];
            res.on('data', (chunk: Buffer) => chunks.push(chunk));
            res.on('error', fail);
            res.on('end', () => {
              clearTimeout(timer);
              signal?.removeEventListener('abort', abandon);
              resolve(responseOf(url, res, Buffer.concat(chunks).toString('utf8')));
            });
          },
        );
        const sent = request;
        sent.on('error', (err: NodeJS.ErrnoException) => {
          if (retry && !timedOut && !hungUp && sent.reusedSocket && (err.code === 'ECONNRESET' || err.code === 'EPIPE')) send(false);
          else fail();
        });
        sent.end(body);
      };
      const fail = () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', abandon);
        if (hungUp) return reject(callerGone());
        const why = timedOut ? `did not answer within ${timeoutMs} ms` : 'could not be reached';
        reject(serviceUnavailable(`A service behind the gateway ${why}; try again shortly`));
      };
      send(true);
    });
