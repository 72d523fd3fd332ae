/**
 * The HTTP shell every Asky process shares: Apollo Server on `/graphql`, plus
 * `/health` (alive) and `/ready` (dependencies reachable), on one express server
 * that later also carries graphql-ws. `startService` is separate from process
 * wiring so tests start services on free ports in-process.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { ApolloServer, type ApolloServerOptions, type BaseContext } from '@apollo/server';
import { expressMiddleware } from '@as-integrations/express5';
import { ApolloServerPluginLandingPageLocalDefault } from '@apollo/server/plugin/landingPage/default';
import { ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { ConfigError } from './config';
import { createFormatError } from './errors';
import type { Logger } from './logger';
import { createServiceMetrics } from './metrics';
import { refuseUnstorableText } from './textInput';
import { REQUEST_ID_HEADER, requestIdOf } from './requestId';

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
  readonly logger: Logger;
  /** Apollo options: a subgraph's `schema` or the gateway's `gateway`. */
  readonly apollo: ApolloServerOptions<TContext>;
  readonly context: (req: express.Request) => Promise<TContext>;
  /** Whether the dependencies answer; `/ready` is 503 until they do. */
  readonly ready: () => Promise<boolean>;
  /** Extra HTTP routes beside `/graphql` (auth's JWKS and token endpoints). */
  readonly routes?: (app: express.Express) => void;
  /** More on the same server once it listens (the gateway's graphql-ws endpoint); stopped first. */
  readonly extend?: (apollo: ApolloServer<TContext>, server: http.Server) => Promise<{ stop(): Promise<void> }>;
}

export interface RunningService {
  /** The GraphQL endpoint, e.g. `http://localhost:4002/graphql`. */
  readonly url: string;
  readonly port: number;
  /** Stops accepting, lets in-flight requests finish (bounded), then closes. */
  stop(): Promise<void>;
}

/** Graceful shutdown waits this long for in-flight requests before cutting them. */
const DRAIN_TIMEOUT_MS = 5_000;

export async function startService<TContext extends BaseContext>(
  options: ServiceOptions<TContext>,
): Promise<RunningService> {
  const { logger, production } = options;
  const metrics = createServiceMetrics(options.name);
  let draining = false;
  const apollo = new ApolloServer<TContext>({
    ...options.apollo,
    formatError: createFormatError(logger),
    includeStacktraceInErrorResponses: false,
    introspection: !production,
    plugins: [
      ...(options.apollo.plugins ?? []),
      metrics.graphql,
      refuseUnstorableText,
      production
        ? ApolloServerPluginLandingPageDisabled()
        : ApolloServerPluginLandingPageLocalDefault({ embed: true, footer: false }),
    ],
  } as ApolloServerOptions<TContext>);
  await apollo.start();

  const app = express();
  app.disable('x-powered-by');
  app.use(metrics.http);
  app.use((req, res, next) => {
    const requestId = requestIdOf(req);
    res.setHeader(REQUEST_ID_HEADER, requestId);
    const started = performance.now();
    res.on('finish', () =>
      logger.debug({ requestId, method: req.method, path: req.path, status: res.statusCode, ms: Math.round(performance.now() - started) }, 'request'),
    );
    next();
  });
  app.get('/health', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get('/metrics', async (_req, res) => {
    const { contentType, body } = await metrics.exposition();
    res.type(contentType).send(body);
  });
  app.get('/ready', async (_req, res) => {
    // Draining: tell load balancers to stop sending work before the server stops accepting it.
    const ready = !draining && (await options.ready());
    res.status(ready ? 200 : 503).json({ status: ready ? 'ready' : 'unavailable' });
  });
  options.routes?.(app);
  app.use(
    '/graphql',
    express.json({ limit: '1mb' }),
    expressMiddleware(apollo, { context: ({ req }) => options.context(req) }),
  );

  // Bodies express could not read (malformed JSON, too large…): a GraphQL-shaped
  // client error with the right status, never express's HTML page with a stack.
  app.use((err: { status?: number; type?: string; message?: string }, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
    const status = err.status && err.status >= 400 && err.status < 500 ? err.status : 500;
    if (status === 500) logger.error({ err }, 'request failed outside GraphQL');
    const message =
      err.type === 'entity.parse.failed' ? 'The request body is not valid JSON' : err.type === 'entity.too.large' ? 'The request body is too large' : status === 500 ? 'Internal server error' : 'Bad request';
    res.status(status).json({ errors: [{ message, extensions: { code: status === 500 ? 'INTERNAL_SERVER_ERROR' : 'BAD_REQUEST' } }] });
  });

  const server = http.createServer(app);
  const port = await listen(server, options.port, options.portVariable, options.host);
  const extension = await options.extend?.(apollo, server);
  const url = `http://localhost:${port}/graphql`;
  logger.info({ url }, `${options.name} listening`);

  return {
    url,
    port,
    async stop() {
      draining = true;
      await extension?.stop();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      const force = setTimeout(() => server.closeAllConnections(), DRAIN_TIMEOUT_MS).unref();
      await apollo.stop();
      await closed;
      clearTimeout(force);
    },
  };
}

function listen(server: http.Server, port: number, portVariable: string, host = '0.0.0.0'): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EADDRINUSE') {
        reject(new ConfigError(`port ${port} is already in use: stop what uses it or set ${portVariable} to a free port`));
      } else if (err.code === 'EACCES') {
        reject(new ConfigError(`port ${port} needs privileges: set ${portVariable} to a port above 1023`));
      } else {
        reject(err);
      }
    });
    server.listen(port, host, () => {
      resolve((server.address() as AddressInfo).port);
    });
  });
}
