/**
 * The gateway: @apollo/gateway executing the checked-in supergraph over the
 * subgraphs, served by Apollo Server with Sandbox in development.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { ApolloServerPlugin } from '@apollo/server';
import { GraphQLError } from 'graphql';
import { ApolloGateway } from '@apollo/gateway';
import { AuthForwardingDataSource, InProcessDataSource } from './dataSource';
import {
  CallerRate,
  hangUpSignal,
  requestIdOf,
  TokenVerifier,
  remoteKeys,
  startService,
  corsPolicy,
  withHttpStatus,
  type LiveSignal,
  type LocalSubgraph,
  type Logger,
  type RunningService,
  type SubgraphName,
  type EventBus,
  type TokenClaims,
  type TokenConfig,
} from '@asky/shared';
import { coalesceIdenticalQueries } from './coalesce';
import { dashboardRoutes } from './dashboard';
import { labelRoutes } from './labels';
import { startLive, trackApiSchema, type LiveLimits } from './live/server';
import { readSupergraphSdl } from './supergraphFile';

export interface GatewayContext {
  /** The client's `Authorization` header (verified), forwarded to every subgraph as is. */
  readonly authorization?: string;
  /** The client's address, for the subgraphs' throttling and logs. */
  readonly clientAddress?: string;
  /** This request's id, passed on to every subgraph call (and by request into its events). */
  readonly requestId?: string;
  /** A read that must start after the event it answers (a live follow-up): never joins a query in flight. */
  readonly fresh?: boolean;
  /** Aborted when the client hangs up: its subgraph calls are cut. */
  readonly hangUp?: AbortSignal;
}

export interface GatewayDeps {
  /** 0 picks a free port. */
  readonly port: number;
  readonly production: boolean;
  /** See CommonConfig.metricsToken. */
  readonly metricsToken?: string;
  readonly logger: Logger;
  /** Where each subgraph answers; overrides the URLs in the supergraph file. */
  readonly subgraphUrls: Readonly<Record<SubgraphName, string>>;
  /** Subgraphs run in this process (one process per replica): their operations skip HTTP. The others are called at their URL. */
  readonly localSubgraphs?: Readonly<Partial<Record<SubgraphName, LocalSubgraph>>>;
  /** @default the contents of supergraph/supergraph.graphql */
  readonly supergraphSdl?: string;
  /** How access tokens are checked (auth's JWKS, issuer, audience). */
  readonly tokens: TokenConfig;
  /** Where request events come from, for live subscriptions (none: no subscriptions). */
  readonly bus?: EventBus;
  /** Overrides of the live limits (benchmarks raise connections per user). */
  readonly liveLimits?: Partial<LiveLimits>;
  /** Told as live subscriptions start and end and live connections close. */
  readonly onLiveSignal?: (signal: LiveSignal) => void;
  /** How long a subgraph may take to answer one fetch. @default 10_000 */
  readonly subgraphTimeoutMs?: number;
  /** Operations one caller may send per second (see `CallerRate`). @default unbounded */
  readonly requestsPerCaller?: number;
  /** Browser origins allowed (CORS). @default `CORS_ORIGINS`, else loopback pages in development and none in production */
  readonly corsOrigins?: readonly string[];
}

/**
 * What HTTP runs: one named operation of a document with several (the planner
 * would otherwise fail it as a server error: 400 instead); not a subscription,
 * which comes over WebSocket (a subscription POSTed over HTTP gets told where to go).
 */
const subscriptionsOverWebSocketOnly: ApolloServerPlugin<GatewayContext> = {
  async requestDidStart() {
    return {
      async didResolveOperation({ operation, request }) {
        if (!operation) {
          const message = request.operationName
            ? `No operation named "${request.operationName}" in this document`
            : 'Must provide operationName if the document contains several operations';
          throw new GraphQLError(message, { extensions: { code: 'BAD_REQUEST', http: { status: 400 } } });
        }
        if (operation.operation !== 'subscription') return;
        throw new GraphQLError(
          'Subscriptions are served over WebSocket: connect with graphql-ws to this same URL (ws:// or wss://)',
          {
            extensions: { code: 'BAD_REQUEST', http: { status: 400 } },
          },
        );
      },
    };
  },
};

/** Rejects a bad token before any planning or subgraph call, with HTTP 401; the token's claims. */
async function verified(verifier: TokenVerifier, authorization: string | undefined): Promise<TokenClaims | undefined> {
  try {
    return await verifier.verifyHeader(authorization);
  } catch (err) {
    throw withHttpStatus(err);
  }
}

const headerValue = (headers: IncomingHttpHeaders, name: string) => {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
};

export async function createGateway(deps: GatewayDeps): Promise<RunningService> {
  const urls = deps.subgraphUrls as Record<string, string>;
  const local = (deps.localSubgraphs ?? {}) as Record<string, LocalSubgraph | undefined>;
  const timeoutMs = deps.subgraphTimeoutMs ?? 10_000;
  const verifier = new TokenVerifier({ ...deps.tokens, keys: remoteKeys(deps.tokens.jwksUrl) });
  const gateway = new ApolloGateway({
    supergraphSdl: deps.supergraphSdl ?? readSupergraphSdl(),
    buildService: ({ name, url }) =>
      local[name]
        ? new InProcessDataSource(local[name], timeoutMs)
        : new AuthForwardingDataSource(urls[name] ?? url!, timeoutMs),
    logger: deps.logger,
  });
  const apiSchema = trackApiSchema(gateway);
  let live: Awaited<ReturnType<typeof startLive>> | undefined;
  const callerRate = deps.requestsPerCaller
    ? new CallerRate(deps.requestsPerCaller, 'Too many operations from this caller')
    : undefined;
  const coalescing = coalesceIdenticalQueries<GatewayContext>({
    callerOf: (context) => (context.fresh ? undefined : (context.authorization ?? '')),
    requestIdOf: (context) => context.requestId,
    maxWaitMs: deps.subgraphTimeoutMs ?? 10_000,
  });
  return startService<GatewayContext>({
    cors: corsPolicy(deps.corsOrigins, deps.production),
    name: 'gateway',
    port: deps.port,
    portVariable: 'GATEWAY_PORT',
    production: deps.production,
    metricsToken: deps.metricsToken,
    logger: deps.logger,
    apollo: {
      gateway,
      plugins: [subscriptionsOverWebSocketOnly, coalescing.plugin],
      allowBatchedHttpRequests: false,
    },
    context: async (req) => {
      const authorization = headerValue(req.headers, 'authorization');
      const claims = await verified(verifier, authorization);
      await callerRate
        ?.take(claims ? `sub:${claims.sub}` : `address:${req.socket.remoteAddress}`)
        .catch((err: unknown) => {
          throw withHttpStatus(err);
        });
      return {
        authorization,
        clientAddress: req.socket.remoteAddress,
        requestId: requestIdOf(req),
        hangUp: hangUpSignal(req),
      };
    },
    // Ready = it can serve: its schema is loaded and its live updates still consume events. Not the
    // subgraphs' readiness (one subgraph down would take every gateway out of rotation, and the others' queries with it).
    ready: async () => apiSchema() !== undefined && (live?.healthy() ?? true),
    routes: (app) => {
      dashboardRoutes(app);
      labelRoutes(app, deps.subgraphUrls.pyxis);
    },
    extend: deps.bus
      ? async (apollo, server, guard) =>
          (live = await startLive({
            apollo,
            apiSchema,
            server,
            bus: deps.bus!,
            verifier,
            authUrl: deps.subgraphUrls.auth,
            logger: deps.logger,
            limits: deps.liveLimits,
            guard,
            onEvent: () => coalescing.closeAll(), // a request changed: queries in flight may predate it
            onSignal: deps.onLiveSignal,
          }))
      : undefined,
  });
}

export type { LiveLimits } from './live/server';
