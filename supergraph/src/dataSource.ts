/** How the gateway calls its subgraphs: in its own process (the default), or over HTTP (subgraphs deployed apart). */
import { AsyncLocalStorage } from 'node:async_hooks';
import { RemoteGraphQLDataSource, type GraphQLDataSource, type GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import { callerGone, ErrorCode, REQUEST_ID_HEADER, serviceUnavailable, type LocalSubgraph } from '@asky/shared';
import type { GatewayContext } from './server';

/** Codes a subgraph's failed HTTP answer may carry through to the client as they are. */
const PASSED_THROUGH_CODES = new Set<string>([
  ErrorCode.SERVICE_UNAVAILABLE,
  ErrorCode.UNAUTHENTICATED,
  ErrorCode.FORBIDDEN,
  ErrorCode.TOO_MANY_REQUESTS,
]);

/** The signal of the call being made: RemoteGraphQLDataSource hands its fetcher only the URL, headers and body. */
const callerHangUp = new AsyncLocalStorage<AbortSignal | undefined>();

/**
 * Node's `fetch`, ended within `timeoutMs` or when the caller hangs up (nobody
 * waits for the answer: closing the connection stops the subgraph's work too).
 * A subgraph that cannot be reached or does not answer in time is
 * SERVICE_UNAVAILABLE (retryable), not an internal error.
 */
async function fetchWithin(timeoutMs: number, url: string, init: RequestInit): Promise<Response> {
  const hangUp = callerHangUp.getStore();
  if (hangUp?.aborted) throw callerGone();
  const timeout = AbortSignal.timeout(timeoutMs);
  try {
    const response = await fetch(url, { ...init, signal: hangUp ? AbortSignal.any([hangUp, timeout]) : timeout });
    // Read here, under the same signal, so that a body cut short is told as a call cut short.
    return new Response(await response.arrayBuffer(), response);
  } catch {
    if (hangUp?.aborted) throw callerGone();
    throw serviceUnavailable(
      `A service behind the gateway ${timeout.aborted ? `did not answer within ${timeoutMs} ms` : 'could not be reached'}; try again shortly`,
    );
  }
}

/** Forwards the caller's credentials (each subgraph verifies them again), address and request id. */
export class AuthForwardingDataSource extends RemoteGraphQLDataSource<GatewayContext> {
  constructor(url: string, timeoutMs: number) {
    super({ url, fetcher: ((target: string, init: RequestInit) => fetchWithin(timeoutMs, target, init)) as never });
  }

  // Cut when the client hangs up: nobody waits for it (queries joining it run on their own then).
  override process(options: GraphQLDataSourceProcessOptions<GatewayContext>) {
    return callerHangUp.run((options.context as Partial<GatewayContext>).hangUp, () => super.process(options));
  }

  override willSendRequest({ request, context }: GraphQLDataSourceProcessOptions<GatewayContext>): void {
    if (context.authorization) request.http?.headers.set('authorization', context.authorization);
    if (context.clientAddress) request.http?.headers.set('x-forwarded-for', context.clientAddress);
    if (context.requestId) request.http?.headers.set(REQUEST_ID_HEADER, context.requestId);
  }

  /**
   * A subgraph that failed the whole HTTP request (e.g. 503 while its database
   * is down) says why in its body: keep its coded error rather than @apollo/gateway's
   * "503: Service Unavailable" with the body attached.
   */
  override async errorFromResponse(response: Pick<Response, 'json' | 'status'>): Promise<GraphQLError> {
    const body = (await response.json().catch(() => undefined)) as { errors?: GraphQLFormattedError[] } | undefined;
    const first = body?.errors?.[0];
    const code = first?.extensions?.code;
    if (first && typeof code === 'string' && PASSED_THROUGH_CODES.has(code)) {
      return new GraphQLError(first.message, { extensions: first.extensions });
    }
    if ([502, 503, 504].includes(response.status)) {
      return serviceUnavailable(`A service behind the gateway is unavailable (${response.status}); try again shortly`);
    }
    return new GraphQLError(`A service behind the gateway refused the call (${response.status})`);
  }
}

/**
 * A subgraph in the gateway's process: the operation and the caller's
 * credentials, address and request id go to it with no HTTP between; it stops
 * when the client hangs up or after `timeoutMs`, as a call over HTTP would.
 */
export class InProcessDataSource implements GraphQLDataSource<GatewayContext> {
  constructor(
    private readonly subgraph: LocalSubgraph,
    private readonly timeoutMs: number,
  ) {}

  process({ request, context }: GraphQLDataSourceProcessOptions<GatewayContext>) {
    const caller = context as Partial<GatewayContext>;
    return this.subgraph.execute(request, {
      authorization: caller.authorization,
      clientAddress: caller.clientAddress,
      requestId: caller.requestId,
      signal: caller.hangUp,
      timeoutMs: this.timeoutMs,
    });
  }
}
