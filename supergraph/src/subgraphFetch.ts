/**
 * How the gateway's data sources reach subgraphs: Node's `http` over keep-alive
 * agents, answering with just the part of a fetch `Response` that
 * `RemoteGraphQLDataSource` reads. Profiled under load, Node 20's `fetch` (undici
 * behind WHATWG streams, plus an `AbortSignal.timeout` per call) took ~14 % of
 * the gateway's CPU, more than planning and result shaping together;
 * make-fetch-happen, @apollo/gateway's default, costs more still.
 * Bounded: a subgraph that hangs fails the call after `timeoutMs`. A subgraph
 * that cannot be reached or does not answer in time is SERVICE_UNAVAILABLE
 * (retryable), not an internal error.
 */
import http from 'node:http';
import https from 'node:https';
import { serviceUnavailable } from '@asky/shared';

const agents = {
  'http:': new http.Agent({ keepAlive: true, maxSockets: 256 }),
  'https:': new https.Agent({ keepAlive: true, maxSockets: 256 }),
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

/** A fetch function for `RemoteGraphQLDataSource` whose calls end within `timeoutMs`. */
export const fetchWithin =
  (timeoutMs: number) =>
  (url: string, init: SubgraphRequestInit = {}): Promise<SubgraphHttpResponse> =>
    new Promise((resolve, reject) => {
      const target = new URL(url);
      const protocol = target.protocol === 'https:' ? 'https:' : 'http:';
      const body = init.body ?? '';
      let timedOut = false;
      const fail = () => {
        clearTimeout(timer);
        const why = timedOut ? `did not answer within ${timeoutMs} ms` : 'could not be reached';
        reject(serviceUnavailable(`A service behind the gateway ${why}; try again shortly`));
      };
      const request = (protocol === 'https:' ? https : http).request(
        target,
        { method: init.method ?? 'POST', headers: { ...init.headers, 'content-length': Buffer.byteLength(body) }, agent: agents[protocol] },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('error', fail);
          res.on('end', () => {
            clearTimeout(timer);
            resolve(responseOf(url, res, Buffer.concat(chunks).toString('utf8')));
          });
        },
      );
      const timer = setTimeout(() => {
        timedOut = true;
        request.destroy();
      }, timeoutMs);
      request.on('error', fail);
      request.end(body);
    });
