/**
 * The whole system in one process: the three subgraphs and the gateway, each on
 * its own port, over one prepared database. `npm start` and the end-to-end tests
 * both run it.
 */
import {
  createPrismaAdapter,
  createLogger,
  startSubgraph,
  SUBGRAPHS,
  type LogLevel,
  type PrismaClientExtras,
  type PrismaLike,
  type RunningService,
  type SubgraphDefinition,
  type SubgraphName,
} from '@asky/shared';
import { authSubgraph } from '@asky/auth';
import { pyxisSubgraph } from '@asky/pyxis';
import { requestSubgraph } from '@asky/request';
import { createGateway } from '@asky/supergraph';
import type { PreparedDatabase } from './database';

export const SUBGRAPH_DEFINITIONS: Readonly<Record<SubgraphName, SubgraphDefinition<PrismaLike, object>>> = {
  auth: authSubgraph as unknown as SubgraphDefinition<PrismaLike, object>,
  pyxis: pyxisSubgraph as unknown as SubgraphDefinition<PrismaLike, object>,
  request: requestSubgraph as unknown as SubgraphDefinition<PrismaLike, object>,
};

export interface SystemOptions {
  readonly database: PreparedDatabase;
  /** 0 picks free ports. */
  readonly ports: Readonly<Record<SubgraphName | 'gateway', number>>;
  readonly production: boolean;
  readonly logLevel: LogLevel;
  /** Passed to every Prisma client (tests turn on query events). */
  readonly prismaExtras?: PrismaClientExtras;
}

export interface RunningSystem {
  readonly gatewayUrl: string;
  readonly subgraphUrls: Readonly<Record<SubgraphName, string>>;
  readonly prisma: Readonly<Record<SubgraphName, PrismaLike>>;
  /** Stops the gateway, then the subgraphs, then closes the database. */
  stop(): Promise<void>;
}

export async function startSystem(options: SystemOptions): Promise<RunningSystem> {
  const { database, ports, production, logLevel } = options;
  const prisma = {} as Record<SubgraphName, PrismaLike>;
  const subgraphs: Partial<Record<SubgraphName, RunningService>> = {};
  const services: RunningService[] = [];
  const stop = async () => {
    for (const service of services.reverse()) await service.stop();
    await Promise.all(Object.values(prisma).map((client) => client.$disconnect()));
    await database.close();
  };
  try {
    for (const name of SUBGRAPHS) {
      const definition = SUBGRAPH_DEFINITIONS[name];
      prisma[name] = definition.createPrismaClient(
        createPrismaAdapter(database.target(name), name),
        options.prismaExtras,
      );
      const logger = createLogger(name, logLevel);
      subgraphs[name] = await startSubgraph(definition, { prisma: prisma[name], port: ports[name], production, logger });
      services.push(subgraphs[name]);
    }
    const subgraphUrls = {
      auth: subgraphs.auth!.url,
      pyxis: subgraphs.pyxis!.url,
      request: subgraphs.request!.url,
    };
    const gateway = await createGateway({
      port: ports.gateway,
      production,
      logger: createLogger('gateway', logLevel),
      subgraphUrls,
    });
    services.push(gateway);
    return { gatewayUrl: gateway.url, subgraphUrls, prisma, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
