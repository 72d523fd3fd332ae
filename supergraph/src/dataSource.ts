/** How the gateway calls its subgraphs. */
import { RemoteGraphQLDataSource, type GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import { REQUEST_ID_HEADER } from '@asky/shared';
import type { GatewayContext } from './server';

/**
 * Node's own fetch (undici, keep-alive: the default make-fetch-happen costs more
 * CPU per call than a small subgraph query), bounded: a subgraph that hangs fails
 * that fetch instead of holding the client.
 */
export const fetchWithin =
  (timeoutMs: number) =>
  (url: string, init: RequestInit): Promise<Response> =>
    fetch(url, { ...init, signal: AbortSignal.timeout(timeoutMs) });

type SubgraphResponse = Awaited<ReturnType<RemoteGraphQLDataSource['process']>>;

/** Forwards the caller's credentials (each subgraph verifies them again), address and request id. */
export class AuthForwardingDataSource extends RemoteGraphQLDataSource<GatewayContext> {
  /** Subgraph queries in flight, by caller, document and variables. */
  private readonly inflight = new Map<string, { readonly response: Promise<SubgraphResponse>; sharers: number }>();

  override willSendRequest({ request, context }: GraphQLDataSourceProcessOptions<GatewayContext>): void {
    if (context.authorization) request.http?.headers.set('authorization', context.authorization);
    if (context.clientAddress) request.http?.headers.set('x-forwarded-for', context.clientAddress);
    if (context.requestId) request.http?.headers.set(REQUEST_ID_HEADER, context.requestId);
  }

  /**
   * Identical queries from the same caller while one is in flight share its
   * answer (each gets its own copy: the gateway merges into what it receives).
   * Only queries: a mutation is always sent. The caller's token is part of the
   * key, so nobody sees data fetched with someone else's rights. (The shared
   * fetch carries the first caller's request id.)
   */
  override async process(options: GraphQLDataSourceProcessOptions<GatewayContext>): Promise<SubgraphResponse> {
    const { request } = options;
    if (!('incomingRequestContext' in options) || !request.query || /^\s*mutation\b/.test(request.query)) return super.process(options);
    const key = `${options.context.authorization ?? ''}\n${request.query}\n${JSON.stringify(request.variables ?? {})}`;
    let shared = this.inflight.get(key);
    if (shared) shared.sharers++;
    else {
      const response = super.process(options).finally(() => this.inflight.delete(key));
      this.inflight.set(key, (shared = { response, sharers: 1 }));
    }
    const response = await shared.response;
    if (shared.sharers === 1) return response; // nobody else holds it
    const { data, errors, extensions } = response;
    return { data: data && structuredClone(data), errors: errors && structuredClone(errors), extensions };
  }
}
