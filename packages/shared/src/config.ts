/**
 * What each process is configured with, from its environment: every variable
 * declared once, in the shape of its concern (`*_ENV`, see ./env), and each
 * process's whole environment (`*_PROCESS_ENV`, the shapes it reads) checked at
 * start-up, every problem at once. Nothing outside ./env and this module reads
 * `process.env`.
 */
import { readFileSync } from 'node:fs';
import { ConfigError, named, readEnv, variable, type Env, type EnvShape } from './env';

export { ConfigError, EnvReader, readEnv, variable, type Env, type EnvShape, type EnvValues } from './env';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Settings every process shares. */
export interface CommonConfig {
  readonly production: boolean;
  readonly logLevel: LogLevel;
  /**
   * What a scraper sends as `Authorization: Bearer …` for `/metrics` (`METRICS_TOKEN`).
   * Unset: `/metrics` is open in development and refused (404) in production.
   */
  readonly metricsToken?: string;
}

export const COMMON_ENV = {
  NODE_ENV: variable.textOr('development'),
  LOG_LEVEL: variable.oneOf(LOG_LEVELS as unknown as [LogLevel, ...LogLevel[]], 'info'),
  METRICS_TOKEN: variable.text(),
  SHUTDOWN_TIMEOUT_MS: variable.int(20_000, 100, 600_000),
  HOSPITAL_TIME_ZONE: variable.text(),
} satisfies EnvShape;

const isProduction = (env: Env) => readEnv({ NODE_ENV: COMMON_ENV.NODE_ENV }, env).NODE_ENV === 'production';

export function readCommonConfig(env: Env = process.env): CommonConfig {
  const values = readEnv(COMMON_ENV, env);
  const production = values.NODE_ENV === 'production';
  return {
    production,
    logLevel: values.LOG_LEVEL,
    metricsToken: realSecret(production, 'METRICS_TOKEN', values.METRICS_TOKEN ?? '') || undefined,
  };
}

/** The placeholder secrets of docker-compose.yaml and k8s/secret.yaml. */
const DEVELOPMENT_SECRET = /change-me/i;

/** In production, a placeholder secret is a deployment mistake: refuse to start with it. */
function realSecret(production: boolean, name: string, value: string): string {
  if (production && DEVELOPMENT_SECRET.test(value))
    throw new ConfigError(`${name} is a development placeholder ("change-me"): set a real secret in production`);
  return value;
}

export const SUBGRAPHS = ['auth', 'pyxis', 'request'] as const;
export type SubgraphName = (typeof SUBGRAPHS)[number];

export const DEFAULT_PORTS: Readonly<Record<SubgraphName | 'gateway', number>> = {
  gateway: 4000,
  auth: 4001,
  pyxis: 4002,
  request: 4003,
};

/** What a subgraph process needs: `<NAME>_PORT`, `<NAME>_DATABASE_URL`. */
export interface SubgraphConfig extends CommonConfig {
  readonly name: SubgraphName;
  readonly port: number;
  readonly databaseUrl: URL;
}

const POSTGRES_PROTOCOLS = ['postgresql:', 'postgres:'];

const upper = <N extends string>(name: N) => name.toUpperCase() as Uppercase<N>;

/** A subgraph's own variables: `<NAME>_PORT`, `<NAME>_DATABASE_URL`. */
export const subgraphEnv = <N extends SubgraphName>(name: N) => ({
  ...named(`${upper(name)}_PORT`, variable.port(DEFAULT_PORTS[name])),
  ...named(
    `${upper(name)}_DATABASE_URL`,
    variable.requiredUrl(
      POSTGRES_PROTOCOLS,
      `the ${name} subgraph connects to Postgres as its own role, e.g. postgresql://asky_${name}:asky_${name}@127.0.0.1:5432/asky`,
    ),
  ),
});

export function loadSubgraphConfig(name: SubgraphName, env: Env = process.env): SubgraphConfig {
  const values = readEnv(subgraphEnv(name), env) as Readonly<Record<string, unknown>>;
  return Object.freeze({
    ...readCommonConfig(env),
    name,
    port: values[`${upper(name)}_PORT`] as number,
    databaseUrl: values[`${upper(name)}_DATABASE_URL`] as URL,
  });
}

/** Optional Postgres URL (e.g. DATABASE_URL): undefined when unset. */
export const postgresUrl = () => variable.url(POSTGRES_PROTOCOLS);

/**
 * When an unattended request escalates: how long a STAT or ASAP request may wait
 * PENDING before `request.escalated` (level 1), and again after as long once more
 * (level 2); how often the request service looks.
 */
export interface EscalationPolicy {
  /** `ESCALATE_STAT_AFTER_SECONDS` @default 120; `ESCALATE_ASAP_AFTER_SECONDS` @default 600 */
  readonly afterSeconds: Readonly<Record<'STAT' | 'ASAP', number>>;
  /** `ESCALATION_CHECK_MS` @default 5_000 */
  readonly checkEveryMs: number;
}

export const ESCALATION_ENV = {
  ESCALATE_STAT_AFTER_SECONDS: variable.int(120, 1, 86_400),
  ESCALATE_ASAP_AFTER_SECONDS: variable.int(600, 1, 86_400),
  ESCALATION_CHECK_MS: variable.int(5_000, 50, 600_000),
} satisfies EnvShape;

export function loadEscalationPolicy(env: Env = process.env): EscalationPolicy {
  const values = readEnv(ESCALATION_ENV, env);
  return Object.freeze({
    afterSeconds: { STAT: values.ESCALATE_STAT_AFTER_SECONDS, ASAP: values.ESCALATE_ASAP_AFTER_SECONDS },
    checkEveryMs: values.ESCALATION_CHECK_MS,
  });
}

/** Web Push (RFC 8030/8291/8292) to staff who are not looking at a screen. */
export interface PushConfig {
  /** VAPID keys (base64url, as `web-push generate-vapid-keys` prints them); unset: generated for this process. */
  readonly vapidPublicKey?: string;
  readonly vapidPrivateKey?: string;
  /** Who the push services contact about our pushes: `VAPID_SUBJECT` @default mailto:pharmacy@asky.local */
  readonly vapidSubject: string;
  /**
   * Hosts a subscription's endpoint may name (`*.` matches subdomains): the
   * browsers' push services. The server POSTs there, so an endpoint is never an
   * arbitrary URL (an internal address). `PUSH_ENDPOINT_HOSTS`, comma-separated.
   */
  readonly endpointHosts: readonly string[];
  /** A CA (PEM) trusted for push services besides the public ones, e.g. a hospital's own push relay: the file `PUSH_CA_FILE`. */
  readonly extraCa?: string;
}

export const DEFAULT_PUSH_HOSTS = [
  'fcm.googleapis.com',
  'updates.push.services.mozilla.com',
  'web.push.apple.com',
  '*.notify.windows.com',
];

export const PUSH_ENV = {
  VAPID_PUBLIC_KEY: variable.text(),
  VAPID_PRIVATE_KEY: variable.text(),
  VAPID_SUBJECT: variable.textOr('mailto:pharmacy@asky.local'),
  PUSH_ENDPOINT_HOSTS: variable.list(DEFAULT_PUSH_HOSTS),
  PUSH_CA_FILE: variable.text(),
} satisfies EnvShape;

export function loadPushConfig(env: Env = process.env): PushConfig {
  const values = readEnv(PUSH_ENV, env);
  return Object.freeze({
    vapidPublicKey: values.VAPID_PUBLIC_KEY,
    vapidPrivateKey: values.VAPID_PRIVATE_KEY,
    vapidSubject: values.VAPID_SUBJECT,
    endpointHosts: values.PUSH_ENDPOINT_HOSTS.map((host) => host.toLowerCase()),
    extraCa: values.PUSH_CA_FILE ? readFileSync(values.PUSH_CA_FILE, 'utf8') : undefined,
  });
}

/** Limits on live subscriptions (graphql-ws), per gateway process. */
export interface LiveLimits {
  /** `LIVE_SUBSCRIPTIONS_PER_CONNECTION` @default 20 */
  readonly subscriptionsPerConnection: number;
  /** `LIVE_CONNECTIONS_PER_USER` @default 10 */
  readonly connectionsPerUser: number;
  /**
   * Subscriptions of one user across all their connections: each distinct one costs a
   * follow-up query per event. `LIVE_SUBSCRIPTIONS_PER_USER` @default 20
   */
  readonly subscriptionsPerUser: number;
  /** Updates resolved but not yet taken by a subscriber that has stopped reading, before it is closed (4413): `LIVE_PENDING_PER_SUBSCRIBER` @default 100 */
  readonly pendingPerSubscriber: number;
  /** `LIVE_KEEPALIVE_MS` @default 30_000 */
  readonly keepAliveMs: number;
  /**
   * How often each subscriber's account is checked again (active, role): a
   * deactivated or re-roled account's sockets close within it. `USER_STATUS_TTL_MS` @default 10_000
   */
  readonly accountRecheckMs: number;
}

/**
 * `USER_STATUS_TTL_MS` (@default 10_000): how long an account's status is reused,
 * and so how often live sockets re-check it — one reading for every process part.
 */
export const USER_STATUS_ENV = { USER_STATUS_TTL_MS: variable.int(10_000, 0, 300_000) } satisfies EnvShape;

export const DEFAULT_LIVE_LIMITS: LiveLimits = Object.freeze({
  subscriptionsPerConnection: 20,
  connectionsPerUser: 10,
  subscriptionsPerUser: 20,
  pendingPerSubscriber: 100,
  keepAliveMs: 30_000,
  accountRecheckMs: 10_000,
});

const d = DEFAULT_LIVE_LIMITS;
export const LIVE_ENV = {
  LIVE_SUBSCRIPTIONS_PER_CONNECTION: variable.int(d.subscriptionsPerConnection, 1, 1_000),
  LIVE_CONNECTIONS_PER_USER: variable.int(d.connectionsPerUser, 1, 100_000),
  LIVE_SUBSCRIPTIONS_PER_USER: variable.int(d.subscriptionsPerUser, 1, 1_000_000),
  LIVE_PENDING_PER_SUBSCRIBER: variable.int(d.pendingPerSubscriber, 1, 100_000),
  LIVE_KEEPALIVE_MS: variable.int(d.keepAliveMs, 1_000, 600_000),
  ...USER_STATUS_ENV,
} satisfies EnvShape;

export function loadLiveLimits(env: Env = process.env): LiveLimits {
  const values = readEnv(LIVE_ENV, env);
  return Object.freeze({
    subscriptionsPerConnection: values.LIVE_SUBSCRIPTIONS_PER_CONNECTION,
    connectionsPerUser: values.LIVE_CONNECTIONS_PER_USER,
    subscriptionsPerUser: values.LIVE_SUBSCRIPTIONS_PER_USER,
    pendingPerSubscriber: values.LIVE_PENDING_PER_SUBSCRIBER,
    keepAliveMs: values.LIVE_KEEPALIVE_MS,
    accountRecheckMs: values.USER_STATUS_TTL_MS,
  });
}

/** What the gateway needs: its port, where each subgraph answers, its live limits. */
export interface GatewayConfig extends CommonConfig {
  readonly port: number;
  readonly subgraphUrls: Readonly<Record<SubgraphName, string>>;
  readonly liveLimits: LiveLimits;
  /** `SUPERGRAPH_PATH`: a supergraph file to serve instead of the one built in (e.g. a mounted ConfigMap). */
  readonly supergraphPath?: string;
  /** Operations one caller may send per second: `GATEWAY_REQUESTS_PER_CALLER` @default 50 */
  readonly requestsPerCaller: number;
}

const REQUESTS_PER_CALLER_ENV = { GATEWAY_REQUESTS_PER_CALLER: variable.int(50, 1, 1_000_000) } satisfies EnvShape;

/** Where a subgraph's GraphQL endpoint is: `<NAME>_URL`, by default on localhost at its port. */
const subgraphUrlEnv = <N extends SubgraphName>(name: N) =>
  named(`${upper(name)}_URL`, variable.urlOr(['http:', 'https:'], `http://localhost:${DEFAULT_PORTS[name]}/graphql`));

export const readSubgraphUrl = (name: SubgraphName, env: Env = process.env): string =>
  ((readEnv(subgraphUrlEnv(name), env) as Readonly<Record<string, unknown>>)[`${upper(name)}_URL`] as URL).href;

export const GATEWAY_ENV = {
  GATEWAY_PORT: variable.port(DEFAULT_PORTS.gateway),
  ...subgraphUrlEnv('auth'),
  ...subgraphUrlEnv('pyxis'),
  ...subgraphUrlEnv('request'),
  SUPERGRAPH_PATH: variable.text(),
  /** Browser origins allowed (see cors.ts). */
  CORS_ORIGINS: variable.text(),
  ...REQUESTS_PER_CALLER_ENV,
} satisfies EnvShape;

export function loadGatewayConfig(env: Env = process.env): GatewayConfig {
  const values = readEnv(GATEWAY_ENV, env);
  return Object.freeze({
    ...readCommonConfig(env),
    port: values.GATEWAY_PORT,
    subgraphUrls: Object.freeze({
      auth: values.AUTH_URL.href,
      pyxis: values.PYXIS_URL.href,
      request: values.REQUEST_URL.href,
    }),
    liveLimits: loadLiveLimits(env),
    supergraphPath: values.SUPERGRAPH_PATH,
    requestsPerCaller: values.GATEWAY_REQUESTS_PER_CALLER,
  });
}

/** What `npm start` (every service in one process) needs. */
export interface SystemConfig extends CommonConfig {
  /** An admin connection; unset means the embedded PGlite database. */
  readonly databaseUrl?: URL;
  /** Where the embedded database keeps its files. */
  readonly embeddedDataDir: string;
  readonly ports: Readonly<Record<SubgraphName | 'gateway', number>>;
  /** How long pyxis and request reuse a user's status (`USER_STATUS_TTL_MS`). */
  readonly userStatusTtlMs: number;
  /** Operations one caller may send the gateway per second (`GATEWAY_REQUESTS_PER_CALLER`, 50). */
  readonly requestsPerCaller: number;
  /** How the gateway calls the subgraphs it runs beside (`SUBGRAPH_CALLS`): in its process, or over HTTP as when deployed apart. */
  readonly subgraphCalls: SubgraphCalls;
  /**
   * A replica of a deployment (`AUTH_DATABASE_URL`, `PYXIS_DATABASE_URL`,
   * `REQUEST_DATABASE_URL`, all three, and no `DATABASE_URL`): each subgraph
   * connects as its own role to a database migrated beforehand.
   */
  readonly roleDatabaseUrls?: Readonly<Record<SubgraphName, URL>>;
}

/** `in-process`: the gateway executes its subgraphs' operations in its own process (one process per replica); `http`: over HTTP. */
export const SUBGRAPH_CALLS = ['in-process', 'http'] as const;
export type SubgraphCalls = (typeof SUBGRAPH_CALLS)[number];

export const SYSTEM_ENV = {
  DATABASE_URL: postgresUrl(),
  ASKY_DATA_DIR: variable.textOr('.asky/pglite'),
  GATEWAY_PORT: variable.port(DEFAULT_PORTS.gateway),
  AUTH_PORT: variable.port(DEFAULT_PORTS.auth),
  PYXIS_PORT: variable.port(DEFAULT_PORTS.pyxis),
  REQUEST_PORT: variable.port(DEFAULT_PORTS.request),
  ...USER_STATUS_ENV,
  ...REQUESTS_PER_CALLER_ENV,
  SUBGRAPH_CALLS: variable.oneOf(SUBGRAPH_CALLS, 'in-process'),
  AUTH_DATABASE_URL: postgresUrl(),
  PYXIS_DATABASE_URL: postgresUrl(),
  REQUEST_DATABASE_URL: postgresUrl(),
} satisfies EnvShape;

export function loadSystemConfig(env: Env = process.env): SystemConfig {
  const values = readEnv(SYSTEM_ENV, env);
  return Object.freeze({
    ...readCommonConfig(env),
    databaseUrl: values.DATABASE_URL,
    embeddedDataDir: values.ASKY_DATA_DIR,
    ports: Object.freeze({
      gateway: values.GATEWAY_PORT,
      auth: values.AUTH_PORT,
      pyxis: values.PYXIS_PORT,
      request: values.REQUEST_PORT,
    }),
    userStatusTtlMs: values.USER_STATUS_TTL_MS,
    requestsPerCaller: values.GATEWAY_REQUESTS_PER_CALLER,
    subgraphCalls: values.SUBGRAPH_CALLS,
    roleDatabaseUrls: roleDatabaseUrls(values, isProduction(env)),
  });
}

/** The three role URLs of a replica, all or none (with DATABASE_URL, which prepares the database itself: none). */
function roleDatabaseUrls(
  values: { DATABASE_URL?: URL; AUTH_DATABASE_URL?: URL; PYXIS_DATABASE_URL?: URL; REQUEST_DATABASE_URL?: URL },
  production: boolean,
): Record<SubgraphName, URL> | undefined {
  const urls = {
    auth: values.AUTH_DATABASE_URL,
    pyxis: values.PYXIS_DATABASE_URL,
    request: values.REQUEST_DATABASE_URL,
  };
  const given = Object.values(urls).filter(Boolean).length;
  // The embedded PGlite is a developer's database, and not in the image.
  if (given === 0 && production && !values.DATABASE_URL)
    throw new ConfigError(
      'In production, a replica needs AUTH_DATABASE_URL, PYXIS_DATABASE_URL and REQUEST_DATABASE_URL (a migrated Postgres)',
    );
  if (given === 0) return undefined;
  if (values.DATABASE_URL)
    throw new ConfigError(
      'Set DATABASE_URL (npm start prepares that database) or AUTH_/PYXIS_/REQUEST_DATABASE_URL (a replica of a migrated database), not both',
    );
  if (given < 3)
    throw new ConfigError(
      'A replica needs all three of AUTH_DATABASE_URL, PYXIS_DATABASE_URL and REQUEST_DATABASE_URL',
    );
  return urls as Record<SubgraphName, URL>;
}

/** How every service checks access tokens: `JWT_ISSUER`, `JWT_AUDIENCE`, `AUTH_JWKS_URL`. */
export interface TokenConfig {
  readonly issuer: string;
  readonly audience: string;
  readonly jwksUrl: string;
}

export const TOKEN_ENV = {
  JWT_ISSUER: variable.textOr('asky-auth'),
  JWT_AUDIENCE: variable.textOr('asky'),
  AUTH_JWKS_URL: variable.urlOr(['http:', 'https:'], `http://localhost:${DEFAULT_PORTS.auth}/.well-known/jwks.json`),
} satisfies EnvShape;

export function loadTokenConfig(env: Env = process.env): TokenConfig {
  const values = readEnv(TOKEN_ENV, env);
  return { issuer: values.JWT_ISSUER, audience: values.JWT_AUDIENCE, jwksUrl: values.AUTH_JWKS_URL.href };
}

/** A subgraph's own identity towards auth: `<NAME>_SERVICE_SECRET`, and where auth answers. */
export interface ServiceIdentityConfig {
  readonly clientId: string;
  readonly clientSecret: string;
  /** auth's GraphQL endpoint (`AUTH_URL`). */
  readonly authUrl: string;
  /** auth's client-credentials endpoint, beside it. */
  readonly tokenUrl: string;
  /** How long user statuses are reused (`USER_STATUS_TTL_MS`). */
  readonly userStatusTtlMs: number;
}

export const serviceIdentityEnv = <N extends SubgraphName>(name: N) => ({
  ...named(
    `${upper(name)}_SERVICE_SECRET`,
    variable.required(`the ${name} service's secret, as listed in auth's AUTH_SERVICE_SECRETS`),
  ),
  ...subgraphUrlEnv('auth'),
  ...USER_STATUS_ENV,
});

export function loadServiceIdentity(name: SubgraphName, env: Env = process.env): ServiceIdentityConfig {
  const secretName = `${upper(name)}_SERVICE_SECRET`;
  const values = readEnv(serviceIdentityEnv(name), env);
  return {
    clientId: name,
    clientSecret: realSecret(
      isProduction(env),
      secretName,
      (values as Readonly<Record<string, unknown>>)[secretName] as string,
    ),
    authUrl: values.AUTH_URL.href,
    tokenUrl: new URL('/oauth/token', values.AUTH_URL).href,
    userStatusTtlMs: values.USER_STATUS_TTL_MS,
  };
}

/** The auth subgraph's signing and session settings. */
export interface AuthConfig {
  /** A PEM private key (`AUTH_PRIVATE_KEY`) that signs; takes precedence over the folder. */
  readonly privateKeyPem?: string;
  /** PEM private keys (`AUTH_KEYS_DIR`): the last by name signs, all verify. */
  readonly keysDir: string;
  /** Make a key in `keysDir` when there is none (`AUTH_GENERATE_KEY`; default: outside production). */
  readonly generateKey: boolean;
  readonly accessTokenTtlSeconds: number;
  readonly refreshTokenTtlSeconds: number;
  /**
   * Anyone may create a NURSE account with `register` (`AUTH_SELF_REGISTRATION`,
   * default false): for demos only — in a hospital, accounts come from an ADMIN.
   */
  readonly selfRegistration: boolean;
  /**
   * Who may tell auth a client's address in `X-Forwarded-For` (`AUTH_TRUSTED_PROXIES`:
   * addresses, CIDRs or proxy-addr's names `loopback`, `linklocal`, `uniquelocal`;
   * default `loopback` — the gateway of `npm start` — outside production, and none in
   * production, where any process on a host could otherwise pose as any client).
   * Anyone else's header is ignored.
   */
  readonly trustedProxies: readonly string[];
  /** Service client ids and secrets (`AUTH_SERVICE_SECRETS=pyxis=…,request=…`). */
  readonly serviceSecrets: Readonly<Record<string, string>>;
}

export const AUTH_ENV = {
  AUTH_SERVICE_SECRETS: variable.textOr(''),
  AUTH_PRIVATE_KEY: variable.text(),
  AUTH_KEYS_DIR: variable.textOr('.asky/keys'),
  AUTH_GENERATE_KEY: variable.flag(),
  ACCESS_TOKEN_TTL_SECONDS: variable.int(15 * 60, 60, 60 * 60),
  REFRESH_TOKEN_TTL_SECONDS: variable.int(12 * 60 * 60, 5 * 60, 30 * 24 * 60 * 60),
  AUTH_SELF_REGISTRATION: variable.flag(),
  AUTH_TRUSTED_PROXIES: variable.text(),
} satisfies EnvShape;

export function loadAuthConfig(env: Env = process.env): AuthConfig {
  const production = isProduction(env);
  const values = readEnv(AUTH_ENV, env);
  const serviceSecrets: Record<string, string> = {};
  for (const pair of values.AUTH_SERVICE_SECRETS.split(',').filter(Boolean)) {
    const [id, secret] = pair.split('=');
    if (!id?.trim() || !secret?.trim() || secret.trim().length < 16) {
      throw new ConfigError(
        'AUTH_SERVICE_SECRETS must be a list of name=secret (secrets of 16+ characters), comma-separated',
      );
    }
    serviceSecrets[id.trim()] = realSecret(production, `AUTH_SERVICE_SECRETS (${id.trim()})`, secret.trim());
  }
  return {
    privateKeyPem: values.AUTH_PRIVATE_KEY?.replace(/\\n/g, '\n'),
    keysDir: values.AUTH_KEYS_DIR,
    generateKey: values.AUTH_GENERATE_KEY ?? !production,
    accessTokenTtlSeconds: values.ACCESS_TOKEN_TTL_SECONDS,
    refreshTokenTtlSeconds: values.REFRESH_TOKEN_TTL_SECONDS,
    selfRegistration: values.AUTH_SELF_REGISTRATION ?? false,
    trustedProxies: (values.AUTH_TRUSTED_PROXIES ?? (production ? '' : 'loopback'))
      .split(',')
      .map((item) => item.trim())
      .filter(Boolean),
    serviceSecrets,
  };
}

/** Where events go: `AMQP_URL` (unset: in process), `EVENTS_EXCHANGE`, `EVENTS_QUEUE_PREFIX`. */
export interface EventsConfig {
  readonly amqpUrl?: URL;
  readonly exchange: string;
  readonly queuePrefix: string;
}

export const EVENTS_ENV = {
  AMQP_URL: variable.url(['amqp:', 'amqps:']),
  EVENTS_EXCHANGE: variable.textOr('asky.events'),
  EVENTS_QUEUE_PREFIX: variable.textOr(''),
} satisfies EnvShape;

export function loadEventsConfig(env: Env = process.env, fallbackUrl?: string): EventsConfig {
  const values = readEnv(EVENTS_ENV, env);
  const amqpUrl = values.AMQP_URL ?? (fallbackUrl === undefined ? undefined : new URL(fallbackUrl));
  if (amqpUrl) realSecret(isProduction(env), 'AMQP_URL', decodeURIComponent(amqpUrl.password));
  return { amqpUrl, exchange: values.EVENTS_EXCHANGE, queuePrefix: values.EVENTS_QUEUE_PREFIX };
}

/**
 * Each process's whole environment, checked at its start (`checkEnv`): every
 * variable it reads, and every problem reported at once.
 */
export const GATEWAY_PROCESS_ENV = {
  ...COMMON_ENV,
  ...GATEWAY_ENV,
  ...LIVE_ENV,
  ...TOKEN_ENV,
  ...EVENTS_ENV,
} satisfies EnvShape;
export const subgraphProcessEnv = (name: SubgraphName): EnvShape => ({
  ...COMMON_ENV,
  ...subgraphEnv(name),
  ...TOKEN_ENV,
  ...EVENTS_ENV,
  ...(name === 'auth' ? AUTH_ENV : serviceIdentityEnv(name)),
  ...(name === 'request' ? { ...ESCALATION_ENV, ...PUSH_ENV, ...subgraphUrlEnv('pyxis') } : {}),
  ...(name === 'pyxis' ? subgraphUrlEnv('request') : {}),
});
export const SYSTEM_PROCESS_ENV = {
  ...COMMON_ENV,
  ...SYSTEM_ENV,
  CORS_ORIGINS: GATEWAY_ENV.CORS_ORIGINS,
  ...AUTH_ENV,
  ...TOKEN_ENV,
  ...LIVE_ENV,
  ...EVENTS_ENV,
  ...ESCALATION_ENV,
  ...PUSH_ENV,
} satisfies EnvShape;

/** Checks a process's whole environment before anything starts: a ConfigError listing every problem. */
export function checkEnv(shape: EnvShape, env: Env = process.env): void {
  readEnv(shape, env);
}
