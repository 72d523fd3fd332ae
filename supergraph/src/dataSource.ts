/** How the gateway calls its subgraphs. */
import { RemoteGraphQLDataSource, type GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import rfdc from 'rfdc';
import { ErrorCode, REQUEST_ID_HEADER, serviceUnavailable } from '@asky/shared';
import type { GatewayContext } from './server';
import { ReadsInFlight } from './readsInFlight';
import { ABORT_HEADER, abortKeyFor } from './subgraphFetch';

/** Codes a subgraph's failed HTTP answer may carry through to the client as they are. */
const PASSED_THROUGH_CODES = new Set<string>([
  ErrorCode.SERVICE_UNAVAILABLE,
  ErrorCode.UNAUTHENTICATED,
  ErrorCode.FORBIDDEN,
  ErrorCode.TOO_MANY_REQUESTS,
]);

type SubgraphResponse = Awaited<ReturnType<RemoteGraphQLDataSource['process']>>;

/**
 * Copies parsed JSON (no cycles, no prototypes to keep): much cheaper than
 * `structuredClone`, which showed in the gateway's profile under the dashboard
 * benchmark (bench/README.md).
 */
const copyJson = rfdc({ proto: false, circles: false });

/** A subgraph call shared by identical reads of one caller; cut once every one of them has hung up. */
interface SharedFetch {
  readonly response: Promise<SubgraphResponse>;
  sharers: number;
  /** Sharers whose clients still wait. */
  waiting: number;
  readonly everyoneLeft: AbortController;
}

/** Waits for a shared call's answer as one of its sharers, leaving it if the client hangs up. */
async function waitFor(shared: SharedFetch, hangUp: AbortSignal | undefined): Promise<SubgraphResponse> {
  shared.waiting++;
  let left = false;
  const leave = () => {
    left = true;
    if (--shared.waiting === 0) shared.everyoneLeft.abort();
  };
  if (hangUp?.aborted) leave();
  else hangUp?.addEventListener('abort', leave, { once: true });
  try {
    return await shared.response;
  } finally {
    hangUp?.removeEventListener('abort', leave);
    if (!left) shared.waiting--;
  }
}

/** Forwards the caller's credentials (each subgraph verifies them again), address and request id. */
export class AuthForwardingDataSource extends RemoteGraphQLDataSource<GatewayContext> {
  /** Subgraph queries in flight, by caller, document and variables. */
  private readonly inflight = new ReadsInFlight<SharedFetch>();

  override willSendRequest({ request, context }: GraphQLDataSourceProcessOptions<GatewayContext>): void {
    if (context.abortFetch) request.http?.headers.set(ABORT_HEADER, abortKeyFor(context.abortFetch));
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

  /**
   * Identical queries from the same caller while one is in flight share its
   * answer (each gets its own copy: the gateway merges into what it receives).
   * Only queries: a mutation is always sent, and once made it closes its caller's
   * queries in flight to newcomers (they may have read before it). The caller's
   * token is part of the key, so nobody sees data fetched with someone else's
   * rights. Fresh reads (live follow-ups) never share. (The shared fetch carries
   * the first caller's request id.)
   */
  override async process(options: GraphQLDataSourceProcessOptions<GatewayContext>): Promise<SubgraphResponse> {
    const { request, context } = options;
    const caller = context.authorization ?? '';
    // Unshared calls are cut when their own client hangs up.
    const alone = () => super.process({ ...options, context: { ...context, abortFetch: context.hangUp } });
    if (request.query && /^\s*mutation\b/.test(request.query)) {
      try {
        return await alone();
      } finally {
        this.inflight.closeFor(caller);
      }
    }
    if (!('incomingRequestContext' in options) || !request.query || context.fresh) return alone();
    const key = `${request.query}\n${JSON.stringify(request.variables ?? {})}`;
    let shared = this.inflight.joinable(caller, key);
    if (shared?.everyoneLeft.signal.aborted) shared = undefined; // being cut: not for a newcomer
    if (shared) shared.sharers++;
    else {
      const everyoneLeft = new AbortController();
      const response = super.process({ ...options, context: { ...context, abortFetch: everyoneLeft.signal } });
      shared = this.inflight.open(caller, key, { response, sharers: 1, waiting: 0, everyoneLeft }, response);
    }
    const response = await waitFor(shared, context.hangUp);
    if (shared.sharers === 1) return response; // nobody else holds it
    const { data, errors, extensions } = response;
    return { data: data && copyJson(data), errors: errors && copyJson(errors), extensions };
  }

  /** Something changed (a request event): no fetch in flight (it may have read before) is joined any more. */
  closeAll(): void {
    this.inflight.closeAll();
  }
}
