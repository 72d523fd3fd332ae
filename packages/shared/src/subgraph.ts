/**
 * What every subgraph does the same way: load its SDL, build the federated
 * schema, serve it with health checks, and run as a process configured by
 * environment variables alone.
 */
import { readFileSync } from 'node:fs';
import { parse, type DocumentNode } from 'graphql';
import type { IncomingMessage } from 'node:http';
import type { Express, Request } from 'express';
import { buildSubgraphSchema } from '@apollo/subgraph';
import { ApolloServerPluginInlineTraceDisabled } from '@apollo/server/plugin/disabled';
import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper';
import {
  checkEnv,
  ConfigError,
  loadEventsConfig,
  subgraphProcessEnv,
  loadServiceIdentity,
  loadSubgraphConfig,
  loadTokenConfig,
  type SubgraphName,
} from './config';
import {
  enforceAccess,
  remoteAuth,
  serviceSdlForServices,
  viewerOf,
  WitnessCheck,
  type SubgraphAuth,
  type UserStatusSource,
  type Viewer,
} from './auth';
import { connectEvents, DEFAULT_AMQP_URL, type SubgraphEvents } from './bus';
import {
  createPrismaAdapter,
  databaseReachable,
  type PrismaAdapter,
  type PrismaClientExtras,
  type PrismaLike,
} from './database';
import { createLogger, type Logger } from './logger';
import { runMain } from './process';
import { startService, type RunningService } from './service';
import { stopWhenAbandoned, watchedContext } from './abandoned';

export interface SubgraphDefinition<TPrisma extends PrismaLike, TContext extends object> {
  readonly name: SubgraphName;
  /** The subgraph's package, whose `schema.graphql` is its contract. */
  readonly packageName: string;
  /** Generated `Resolvers` of the subgraph. */
  readonly resolvers: object;
  /** A fresh context (with per-request loaders) for each operation; `witnesses` checks a second person's confirmations. */
  createContext(prisma: TPrisma, viewer: Viewer | null, req: IncomingMessage, witnesses: WitnessCheck): TContext;
  /** Wraps a driver adapter in the subgraph's own generated Prisma client. */
  createPrismaClient(adapter: PrismaAdapter, extras?: PrismaClientExtras): TPrisma;
  /** How auth itself checks tokens (its own keys and database); others are given `deps.auth`. */
  localAuth?(prisma: TPrisma): SubgraphAuth;
  /** Work beside the HTTP server (outbox relay, event consumers), on the event bus. */
  background?(
    prisma: TPrisma,
    events: SubgraphEvents,
    logger: Logger,
    users: UserStatusSource,
  ): Promise<{ stop(): Promise<void> }>;
  /** Extra HTTP routes beside `/graphql`; `viewer` tells who calls them (null: nobody valid). */
  routes?(app: Express, prisma: TPrisma, viewer: (req: Request) => Promise<Viewer | null>): void;
}

export interface SubgraphDeps<TPrisma> {
  readonly prisma: TPrisma;
  /** 0 picks a free port. */
  readonly port: number;
  /** The address it listens on. @default every interface */
  readonly host?: string;
  readonly production: boolean;
  /** See CommonConfig.metricsToken. */
  readonly metricsToken?: string;
  readonly logger: Logger;
  /** Required unless the definition has `localAuth`. */
  readonly auth?: SubgraphAuth;
  /** Required when the definition has `background` work. */
  readonly events?: SubgraphEvents;
}

/** The SDL a subgraph package ships as `schema.graphql`. */
export function loadTypeDefs(packageName: string): DocumentNode {
  return parse(readFileSync(require.resolve(`${packageName}/schema.graphql`), 'utf8'));
}

/** Serves a subgraph on its port; the caller owns (and disconnects) `prisma`. */
export async function startSubgraph<TPrisma extends PrismaLike, TContext extends object>(
  definition: SubgraphDefinition<TPrisma, TContext>,
  deps: SubgraphDeps<TPrisma>,
): Promise<RunningService> {
  const typeDefs = loadTypeDefs(definition.packageName);
  const resolvers = definition.resolvers as GraphQLResolverMap<TContext>;
  const auth = definition.localAuth?.(deps.prisma) ?? deps.auth;
  if (!auth) throw new Error(`the ${definition.name} subgraph needs deps.auth`);
  const witnesses = new WitnessCheck(auth);
  if (definition.background && !deps.events) throw new Error(`the ${definition.name} subgraph needs deps.events`);
  const events = deps.events;
  // Access checks first, then (outermost) nothing starts for an operation nobody waits for.
  const built = enforceAccess(buildSubgraphSchema([{ typeDefs, resolvers }]));
  const schema = stopWhenAbandoned(deps.production ? serviceSdlForServices(built) : built);
  const service = await startService<TContext>({
    name: `${definition.name} subgraph`,
    port: deps.port,
    host: deps.host,
    portVariable: `${definition.name.toUpperCase()}_PORT`,
    production: deps.production,
    metricsToken: deps.metricsToken,
    logger: deps.logger,
    apollo: {
      schema,
      // Federated tracing is for Apollo Studio, which Asky does not report to.
      plugins: [ApolloServerPluginInlineTraceDisabled()],
    },
    context: async (req) =>
      watchedContext(definition.createContext(deps.prisma, await viewerOf(req, auth), req, witnesses), req),
    // Ready = this process can serve: its own database answers. Not the broker (events wait in
    // the outbox, consumers resume), not other services.
    ready: () => databaseReachable(deps.prisma),
    routes:
      definition.routes &&
      ((app) => definition.routes!(app, deps.prisma, (req) => viewerOf(req, auth).catch(() => null))),
  });
  const work =
    definition.background && events
      ? await definition.background(deps.prisma, events, deps.logger, auth.users).catch(async (err: unknown) => {
          await service.stop();
          throw err;
        })
      : undefined;
  return {
    ...service,
    async stop() {
      await work?.stop();
      await service.stop();
    },
  };
}

/** The process entry of a subgraph run alone (as in a container), configured by the environment. */
export function runSubgraph<TPrisma extends PrismaLike, TContext extends object>(
  define: () => SubgraphDefinition<TPrisma, TContext>,
): void {
  runMain(async () => {
    const definition = define();
    checkEnv(subgraphProcessEnv(definition.name));
    const config = loadSubgraphConfig(definition.name);
    const logger = createLogger(definition.name, config.logLevel);
    const prisma = definition.createPrismaClient(
      createPrismaAdapter({ kind: 'postgres', url: config.databaseUrl }, definition.name),
    );
    if (!(await databaseReachable(prisma))) {
      const { hostname, port, username, pathname } = config.databaseUrl;
      throw new ConfigError(
        `cannot reach Postgres at ${hostname}:${port || 5432}${pathname} as ${username}: check ${definition.name.toUpperCase()}_DATABASE_URL`,
      );
    }
    const auth = definition.localAuth ? undefined : remoteAuth(loadTokenConfig(), loadServiceIdentity(definition.name));
    const events = definition.background
      ? await connectEvents(loadEventsConfig(undefined, DEFAULT_AMQP_URL), logger)
      : undefined;
    const server = await startSubgraph(definition, {
      prisma,
      port: config.port,
      production: config.production,
      metricsToken: config.metricsToken,
      logger,
      auth,
      events,
    });
    return {
      async stop() {
        await server.stop();
        await events?.bus.close();
        await prisma.$disconnect();
      },
    };
  });
}
