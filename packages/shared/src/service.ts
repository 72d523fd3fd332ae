/**
 * The HTTP shell every Asky process shares: Apollo Server on `/graphql`, plus
 * `/health` (alive) and `/ready` (dependencies reachable), on one express server
 * that later also carries graphql-ws. `startService` is separate from process
 * wiring so tests start services on free ports in-process.
 */
import { timingSafeEqual } from 'node:crypto';
import http, { type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { ApolloServer, type ApolloServerOptions, type BaseContext } from '@apollo/server';
import { ApolloServerPluginLandingPageLocalDefault } from '@apollo/server/plugin/landingPage/default';
import { ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { ConfigError } from './config';
import { createFormatError } from './errors';
import type { Logger } from './logger';
import { createServiceMetrics } from './metrics';
import { refuseUnstorableText } from './textInput';
import { REQUEST_ID_HEADER, requestIdOf } from './requestId';
import { logGraphQLRefusals, logHttpAnswer } from './accessLog';
import { operationGuard, type OperationGuard } from './limits';
import { OPERATION_DEADLINE_MS, watchRequest } from './abandoned';
import { bodyErrorAnswer, graphqlHandler, isGraphQLRequest } from './graphqlHttp';
import { localSubgraph, type LocalSubgraph } from './localSubgraph';
import type { CorsHandler } from './cors';

export interface ServiceOptions<TContext extends BaseContext> {
  /** Shown in logs. */
  readonly name: string;
  /** 0 picks a free port. */
  readonly port: number;
  /** The variable that sets `port`, named when the port is taken. */
  readonly portVariable: string;
  /** @default '0.0.0.0' */
  readonly host?: string;
  readonly production: boolean;
  /** See CommonConfig.metricsToken. */
  readonly metricsToken?: string;
  readonly logger: Logger;
  /** Apollo options: a subgraph's `schema` or the gateway's `gateway`. */
  readonly apollo: ApolloServerOptions<TContext>;
  readonly context: (req: IncomingMessage) => Promise<TContext>;
  /** Whether the dependencies answer; `/ready` is 503 until they do. */
  readonly ready: () => Promise<boolean>;
  /** Which browser origins may call it (the gateway's: see cors.ts); unset, none is told it may. */
  readonly cors?: CorsHandler;
  /** Extra HTTP routes beside `/graphql` (auth's JWKS and token endpoints). */
  readonly routes?: (app: express.Express) => void;
  /** How long one operation may run before its resolvers stop. @default OPERATION_DEADLINE_MS */
  readonly operationDeadlineMs?: number;
  /** More on the same server once it listens (the gateway's graphql-ws endpoint); stopped first. */
  readonly extend?: (
    apollo: ApolloServer<TContext>,
    server: http.Server,
    guard: OperationGuard,
  ) => Promise<{ stop(): Promise<void> }>;
}

export interface RunningService {
  /** The GraphQL endpoint, e.g. `http://localhost:4002/graphql`. */
  readonly url: string;
  readonly port: number;
  /** Its GraphQL operations run in the caller's process (a subgraph in the gateway's: one process per replica). */
  readonly local: LocalSubgraph;
  /** Stops accepting, lets in-flight requests finish (bounded), then closes. */
  stop(): Promise<void>;
}

/** Graceful shutdown waits this long for in-flight requests before cutting them: longer than an operation may run. */
const DRAIN_TIMEOUT_MS = OPERATION_DEADLINE_MS + 2_000;

/** Paths a draining server still answers: probes, so orchestrators see it go unready rather than vanish. */
const PROBES = new Set(['/health', '/ready']);

/**
 * What a request arriving on an open connection while the server drains gets:
 * 503 before any work, and the connection closed, so the client's retry (the
 * code says it may) goes to another replica or to this one restarted.
 */
function refuseWhileDraining(res: http.ServerResponse): void {
  const body = JSON.stringify({
    errors: [
      {
        message: 'This server is shutting down: try again, another will answer',
        extensions: { code: 'SERVICE_UNAVAILABLE', retryable: true },
      },
    ],
  });
  res.writeHead(503, { 'content-type': 'application/json', 'retry-after': '1', connection: 'close' }).end(body);
}

export async function startService<TContext extends BaseContext>(
  options: ServiceOptions<TContext>,
): Promise<RunningService> {
  const { logger } = options;
  const metrics = createServiceMetrics(options.name);
  // The same operation limits in every process: a caller that skips the gateway gets no more.
  const guard = operationGuard(undefined, options.production);
  const apollo = await startApollo(options, guard, metrics);
  const observe = observer(metrics, logger);
  const drain = new Drain();
  const app = serviceRoutes(options, metrics, observe, () => drain.draining);
  const graphql = graphqlHandler(apollo, options.context, (err) =>
    logger.error({ err }, 'request failed outside GraphQL'),
  );
  const server = http.createServer((req, res) => {
    if (!drain.admit(req, res)) return;
    watchRequest(req, res, options.operationDeadlineMs);
    const serve = () => {
      if (!isGraphQLRequest(req)) return app(req, res);
      observe(req, res, () => '/graphql');
      graphql(req, res);
    };
    // CORS first, on every path: a preflight is answered here (204).
    if (options.cors) options.cors(req, res, serve);
    else serve();
  });
  const port = await listen(server, options.port, options.portVariable, options.host);
  const extension = await options.extend?.(apollo, server, guard);
  // Bound to one address: named by it (`localhost` may resolve to another first).
  const url = `http://${options.host && options.host !== '0.0.0.0' ? options.host : 'localhost'}:${port}/graphql`;
  logger.info({ url }, `${options.name} listening`);

  return {
    url,
    port,
    local: localSubgraph(apollo, options.context),
    async stop() {
      drain.start();
      await extension?.stop();
      await drain.close(server);
      await apollo.stop();
    },
  };
}

type ServiceMetrics = ReturnType<typeof createServiceMetrics>;
type Observe = (req: IncomingMessage, res: http.ServerResponse, route: () => string) => void;

/** Apollo Server with the limits, error masking, metrics and logging every Asky process has. */
async function startApollo<TContext extends BaseContext>(
  options: ServiceOptions<TContext>,
  guard: OperationGuard,
  metrics: ServiceMetrics,
): Promise<ApolloServer<TContext>> {
  const { logger, production } = options;
  const apollo = new ApolloServer<TContext>({
    ...options.apollo,
    validationRules: [...(options.apollo.validationRules ?? []), ...guard.validationRules],
    parseOptions: { ...options.apollo.parseOptions, ...guard.parseOptions },
    formatError: createFormatError(logger),
    includeStacktraceInErrorResponses: false,
    // runMain owns SIGINT/SIGTERM: Apollo's own handlers (on outside NODE_ENV=test) would
    // stop each server beside our drain and re-raise the signal, cutting it short.
    stopOnTerminationSignals: false,
    introspection: !production,
    // No "Did you mean …?" in production: it spells out the schema to strangers.
    hideSchemaDetailsFromClientErrors: production,
    plugins: [
      ...guard.plugins,
      ...(options.apollo.plugins ?? []),
      metrics.graphql,
      logGraphQLRefusals(logger),
      refuseUnstorableText,
      production
        ? ApolloServerPluginLandingPageDisabled()
        : ApolloServerPluginLandingPageLocalDefault({ embed: true, footer: false }),
    ],
  } as ApolloServerOptions<TContext>);
  await apollo.start();
  return apollo;
}

/** Times every request, gives it its id (echoed) and logs it (see accessLog.ts). */
function observer(metrics: ServiceMetrics, logger: Logger): Observe {
  return (req, res, route) => {
    const requestId = requestIdOf(req);
    res.setHeader(REQUEST_ID_HEADER, requestId);
    const started = performance.now();
    metrics.inFlight(1);
    res.once('close', () => metrics.inFlight(-1));
    res.on('finish', () => {
      const seconds = (performance.now() - started) / 1000;
      metrics.http(req.method ?? 'unknown', route(), res.statusCode, seconds);
      logHttpAnswer(logger, req, requestId, res.statusCode, Math.round(seconds * 1000));
    });
  };
}

/** The routes beside `/graphql`: probes, metrics, the service's own; bodies express could not read answered as GraphQL errors. */
function serviceRoutes<TContext extends BaseContext>(
  options: ServiceOptions<TContext>,
  metrics: ServiceMetrics,
  observe: Observe,
  draining: () => boolean,
): express.Express {
  const { logger, production } = options;
  const app = express();
  app.disable('x-powered-by');
  app.use((req, res, next) => {
    // The route pattern, not the raw path: ids in paths must not become label values.
    observe(req, res, () => req.route?.path ?? (req.baseUrl || 'unmatched'));
    next();
  });
  app.get('/health', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get('/metrics', async (req, res) => {
    // Operation names, error codes and load are for the operators' scraper, not anyone on the port.
    if (options.metricsToken ? !bearerMatches(req.headers.authorization, options.metricsToken) : production) {
      res.status(404).json({ error: 'Not found' });
      return;
    }
    const { contentType, body } = await metrics.exposition();
    res.type(contentType).send(body);
  });
  app.get('/ready', async (_req, res) => {
    // Draining: tell load balancers to stop sending work before the server stops accepting it.
    const ready = !draining() && (await options.ready());
    res.status(ready ? 200 : 503).json({ status: ready ? 'ready' : 'unavailable' });
  });
  options.routes?.(app);
  // Bodies express could not read (malformed JSON, too large…): a GraphQL-shaped
  // client error with the right status, never express's HTML page with a stack.
  app.use(
    (
      err: { status?: number; type?: string },
      _req: express.Request,
      res: express.Response,
      _next: express.NextFunction,
    ) => {
      const { status, body } = bodyErrorAnswer(err);
      if (status === 500) logger.error({ err }, 'request failed outside GraphQL');
      res.status(status).type('application/json').send(body);
    },
  );
  return app;
}

/** A server's graceful stop: no new work once draining, answers under way finish (bounded), then it closes. */
class Drain {
  draining = false;
  /** Answers under way: once draining starts, each closes its connection when it is done. */
  private readonly answering = new Set<http.ServerResponse>();

  /** Whether the request may be served; refused (503) while draining, but for probes. */
  admit(req: IncomingMessage, res: http.ServerResponse): boolean {
    if (this.draining && !PROBES.has(req.url?.split('?')[0] ?? '')) {
      refuseWhileDraining(res);
      return false;
    }
    this.answering.add(res);
    res.once('close', () => this.answering.delete(res));
    if (this.draining) res.setHeader('connection', 'close');
    return true;
  }

  start(): void {
    this.draining = true;
    for (const res of this.answering) if (!res.headersSent) res.setHeader('connection', 'close');
  }

  async close(server: http.Server): Promise<void> {
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeIdleConnections();
    const force = setTimeout(() => server.closeAllConnections(), DRAIN_TIMEOUT_MS).unref();
    // Requests in flight finish first: Apollo refuses to execute once it is stopping (a
    // login arriving just before SIGTERM got INTERNAL_SERVER_ERROR).
    await closed;
    clearTimeout(force);
  }
}

/**
 * Connections the kernel queues while the process is busy accepting others (it
 * caps this at `net.core.somaxconn`). Node's default, 511, overflows when a
 * replica's dashboards all reconnect at once (bench/README.md, bench:live).
 */
const LISTEN_BACKLOG = 4_096;

function listen(server: http.Server, port: number, portVariable: string, host = '0.0.0.0'): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EADDRINUSE') {
        reject(
          new ConfigError(`port ${port} is already in use: stop what uses it or set ${portVariable} to a free port`),
        );
      } else if (err.code === 'EACCES') {
        reject(new ConfigError(`port ${port} needs privileges: set ${portVariable} to a port above 1023`));
      } else {
        reject(err);
      }
    });
    server.listen({ port, host, backlog: LISTEN_BACKLOG }, () => {
      resolve((server.address() as AddressInfo).port);
    });
  });
}

/** Whether `header` is `Bearer <token>`, compared in constant time. */
function bearerMatches(header: string | undefined, token: string): boolean {
  const given = Buffer.from(/^Bearer\s+(\S+)$/i.exec(header ?? '')?.[1] ?? '');
  const expected = Buffer.from(token);
  return given.length === expected.length && timingSafeEqual(given, expected);
}
