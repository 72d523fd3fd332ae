/**
 * What every subgraph does the same way: load its SDL, build the federated
 * schema, serve it with health checks, and run as a process configured by
 * environment variables alone.
 */
import { readFileSync } from 'node:fs';
import { parse, type DocumentNode } from 'graphql';
import type { Request } from 'express';
import { buildSubgraphSchema } from '@apollo/subgraph';
import { ApolloServerPluginInlineTraceDisabled } from '@apollo/server/plugin/disabled';
import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper';
import { ConfigError, loadSubgraphConfig, type SubgraphName } from './config';
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

export interface SubgraphDefinition<TPrisma extends PrismaLike, TContext extends object> {
  readonly name: SubgraphName;
  /** The subgraph's package, whose `schema.graphql` is its contract. */
  readonly packageName: string;
  /** Generated `Resolvers` of the subgraph. */
  readonly resolvers: object;
  /** A fresh context (with per-request loaders) for each operation. */
  createContext(prisma: TPrisma, req: Request): TContext;
  /** Wraps a driver adapter in the subgraph's own generated Prisma client. */
  createPrismaClient(adapter: PrismaAdapter, extras?: PrismaClientExtras): TPrisma;
}

export interface SubgraphDeps<TPrisma> {
  readonly prisma: TPrisma;
  /** 0 picks a free port. */
  readonly port: number;
  readonly production: boolean;
  readonly logger: Logger;
}

/** The SDL a subgraph package ships as `schema.graphql`. */
export function loadTypeDefs(packageName: string): DocumentNode {
  return parse(readFileSync(require.resolve(`${packageName}/schema.graphql`), 'utf8'));
}

/** Serves a subgraph on its port; the caller owns (and disconnects) `prisma`. */
export function startSubgraph<TPrisma extends PrismaLike, TContext extends object>(
  definition: SubgraphDefinition<TPrisma, TContext>,
  deps: SubgraphDeps<TPrisma>,
): Promise<RunningService> {
  const typeDefs = loadTypeDefs(definition.packageName);
  const resolvers = definition.resolvers as GraphQLResolverMap<TContext>;
  return startService<TContext>({
    name: `${definition.name} subgraph`,
    port: deps.port,
    portVariable: `${definition.name.toUpperCase()}_PORT`,
    production: deps.production,
    logger: deps.logger,
    apollo: {
      schema: buildSubgraphSchema([{ typeDefs, resolvers }]),
      // Federated tracing is for Apollo Studio, which Asky does not report to.
      plugins: [ApolloServerPluginInlineTraceDisabled()],
    },
    context: async (req) => definition.createContext(deps.prisma, req),
    ready: () => databaseReachable(deps.prisma),
  });
}

/** The process entry of a subgraph run alone (as in a container). */
export function runSubgraph<TPrisma extends PrismaLike, TContext extends object>(
  definition: SubgraphDefinition<TPrisma, TContext>,
): void {
  runMain(async () => {
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
    const server = await startSubgraph(definition, { prisma, port: config.port, production: config.production, logger });
    return {
      async stop() {
        await server.stop();
        await prisma.$disconnect();
      },
    };
  });
}
