/**
 * The whole system in one process: the three subgraphs and the gateway, each on
 * its own port, over one prepared database. `npm start` and the end-to-end tests
 * both run it. The gateway executes the subgraphs' operations in its own
 * process (`subgraphCalls: 'in-process'`, the default: one process per replica)
 * or calls them over HTTP (`'http'`, as when they are deployed apart). The
 * subgraphs ask each other the same way, each with its own service token (only
 * the token itself, and auth's JWKS, are always fetched over HTTP).
 */
import { randomBytes } from 'node:crypto';
import {
  SUBGRAPHS,
  createLogger,
  createPrismaAdapter,
  remoteAuth,
  ServiceTokenClient,
  startSubgraph,
  type ServiceIdentityConfig,
  type ServiceCredentials,
  type AuthConfig,
  type EscalationPolicy,
  type PushConfig,
  type LogLevel,
  type LiveSignal,
  type PrismaClientExtras,
  type PrismaLike,
  type LocalSubgraph,
  type RunningService,
  type SubgraphCalls,
  type SubgraphAuth,
  type SubgraphDefinition,
  type SubgraphEvents,
  type SubgraphName,
  type TokenConfig,
} from '@asky/shared';
import { createAuthSubgraph } from '@asky/auth';
import { createPyxisSubgraph, RemoteRequests } from '@asky/pyxis';
import { createRequestSubgraph, PyxisCatalogue } from '@asky/request';
import { createGateway, type LiveLimits } from '@asky/supergraph';
import type { PreparedDatabase } from './database';

export interface SystemOptions {
  readonly database: PreparedDatabase;
  /** 0 picks free ports. */
  readonly ports: Readonly<Record<SubgraphName | 'gateway', number>>;
  readonly production: boolean;
  /** See CommonConfig.metricsToken. */
  readonly metricsToken?: string;
  readonly logLevel: LogLevel;
  readonly auth: AuthConfig;
  readonly tokens: TokenConfig;
  /** How long pyxis and request reuse a user's status. */
  readonly userStatusTtlMs: number;
  /** Passed to every Prisma client (tests turn on query events). */
  readonly prismaExtras?: PrismaClientExtras;
  /** The event bus; the system closes it when it stops. */
  readonly events: SubgraphEvents;
  /** Overrides of the gateway's live limits. */
  readonly liveLimits?: Partial<LiveLimits>;
  /** Told as live subscriptions start and end and live connections close (gateway and request subgraph). */
  readonly onLiveSignal?: (signal: LiveSignal) => void;
  /** When unattended requests escalate. */
  readonly escalation: EscalationPolicy;
  /** Web Push. */
  readonly push: PushConfig;
  /** Browser origins the gateway allows (CORS_ORIGINS); none when unset. */
  readonly corsOrigins?: readonly string[];
  /** Operations one caller may send the gateway per second. @default unbounded */
  readonly requestsPerCaller?: number;
  /** How the gateway calls the subgraphs. @default 'in-process' */
  readonly subgraphCalls?: SubgraphCalls;
}

export interface RunningSystem {
  readonly gatewayUrl: string;
  readonly subgraphUrls: Readonly<Record<SubgraphName, string>>;
  readonly prisma: Readonly<Record<SubgraphName, PrismaLike>>;
  /** Stops the gateway, then the subgraphs, then closes the database. */
  stop(): Promise<void>;
}

const LOOPBACK = '127.0.0.1';

/** Services other than auth, each with the secret it proves itself with. */
const CLIENTS = ['pyxis', 'request'] as const;

export async function startSystem(options: SystemOptions): Promise<RunningSystem> {
  const { database, ports, production, logLevel } = options;
  // Fresh service secrets each start: they never leave this process.
  const secrets = Object.fromEntries(CLIENTS.map((c) => [c, randomBytes(24).toString('base64url')]));
  const prisma = {} as Record<SubgraphName, PrismaLike>;
  const urls = {} as Record<SubgraphName, string>;
  const local = {} as Record<SubgraphName, LocalSubgraph>;
  const services: RunningService[] = [];
  const stop = async () => {
    for (const service of services.reverse()) await service.stop();
    await options.events.bus.close();
    await Promise.all(Object.values(prisma).map((client) => client.$disconnect()));
    await database.close();
  };
  const start = async <TPrisma extends PrismaLike, TContext extends object>(
    definition: SubgraphDefinition<TPrisma, TContext>,
    auth?: SubgraphAuth,
  ) => {
    const { name } = definition;
    const client = definition.createPrismaClient(
      createPrismaAdapter(database.target(name), name),
      options.prismaExtras,
    );
    prisma[name] = client;
    const logger = createLogger(name, logLevel);
    // Only the gateway faces the network: the subgraphs answer it and each other on loopback.
    const service = await startSubgraph(definition, {
      prisma: client,
      port: ports[name],
      host: LOOPBACK,
      production,
      metricsToken: options.metricsToken,
      logger,
      auth,
      events: options.events,
    });
    services.push(service);
    urls[name] = service.url;
    local[name] = service.local;
  };
  try {
    const authDefinition = createAuthSubgraph({
      config: { ...options.auth, serviceSecrets: { ...options.auth.serviceSecrets, ...secrets } },
      tokens: options.tokens,
      logger: createLogger('auth', logLevel),
    });
    await start(authDefinition);
    // The auth port may have been picked at random: verify against the one that runs.
    const tokens = { ...options.tokens, jwksUrl: new URL('/.well-known/jwks.json', urls.auth).href };
    const inProcess = (options.subgraphCalls ?? 'in-process') === 'in-process';
    const identity = (name: 'pyxis' | 'request'): ServiceIdentityConfig & ServiceCredentials => ({
      clientId: name,
      clientSecret: secrets[name]!,
      authUrl: urls.auth,
      tokenUrl: new URL('/oauth/token', urls.auth).href,
      userStatusTtlMs: options.userStatusTtlMs,
      // One process per replica: the subgraphs ask each other in process too (the split topology, over HTTP).
      inProcess: inProcess
        ? (url) => {
            const peer = SUBGRAPHS.find((name) => urls[name] === url);
            return peer && local[peer];
          }
        : undefined,
    });
    // pyxis asks request about completed requests; request's URL is known once it has started.
    const requests = new RemoteRequests(() => urls.request, new ServiceTokenClient(identity('pyxis')));
    await start(createPyxisSubgraph(requests), remoteAuth(tokens, identity('pyxis')));
    const catalogue = new PyxisCatalogue(urls.pyxis, new ServiceTokenClient(identity('request')));
    await start(
      createRequestSubgraph(catalogue, { escalation: options.escalation, push: options.push }),
      remoteAuth(tokens, identity('request')),
    );
    const gateway = await createGateway({
      port: ports.gateway,
      production,
      metricsToken: options.metricsToken,
      logger: createLogger('gateway', logLevel),
      subgraphUrls: { ...urls },
      localSubgraphs: inProcess ? { ...local } : undefined,
      tokens,
      bus: options.events.bus,
      liveLimits: { accountRecheckMs: options.userStatusTtlMs, ...options.liveLimits },
      onLiveSignal: options.onLiveSignal,
      requestsPerCaller: options.requestsPerCaller,
      corsOrigins: options.corsOrigins,
    });
    services.push(gateway);
    return { gatewayUrl: gateway.url, subgraphUrls: { ...urls }, prisma, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
