/**
 * Environment parsing. Each process reads its environment once, at start-up, into a
 * frozen typed object; a missing or malformed value fails fast with one clear line.
 * Nothing outside this module reads `process.env`.
 */
import { readFileSync } from 'node:fs';

/** A configuration problem a person must fix; its message is that one line. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

export type Env = Readonly<Record<string, string | undefined>>;

/** Reads typed values from an environment, defaulting to `process.env`. */
export class EnvReader {
  constructor(private readonly env: Env = process.env) {}

  /** A string, or `fallback` when unset or empty. */
  string(name: string, fallback: string): string;
  string(name: string): string | undefined;
  string(name: string, fallback?: string): string | undefined {
    const value = this.env[name]?.trim();
    return value ? value : fallback;
  }

  /** A string that must be set. */
  required(name: string, why: string): string {
    const value = this.string(name);
    if (!value) throw new ConfigError(`${name} is not set: ${why}`);
    return value;
  }

  /** A TCP port, 0 meaning "any free port". */
  port(name: string, fallback: number): number {
    const raw = this.string(name);
    if (raw === undefined) return fallback;
    const port = Number(raw);
    if (!Number.isInteger(port) || port < 0 || port > 65535) {
      throw new ConfigError(`${name}="${raw}" is not a port number (0-65535)`);
    }
    return port;
  }

  /** A whole number within [min, max]. */
  int(name: string, fallback: number, min: number, max: number): number {
    const raw = this.string(name);
    if (raw === undefined) return fallback;
    const value = Number(raw);
    if (!Number.isInteger(value) || value < min || value > max) {
      throw new ConfigError(`${name}="${raw}" must be a whole number from ${min} to ${max}`);
    }
    return value;
  }

  /** A URL with one of the given protocols (e.g. `postgresql:`). */
  url(name: string, protocols: string[]): URL | undefined;
  url(name: string, protocols: string[], fallback: string): URL;
  url(name: string, protocols: string[], fallback?: string): URL | undefined {
    const raw = this.string(name) ?? fallback;
    if (raw === undefined) return undefined;
    return parseUrl(name, raw, protocols);
  }

  /** One of a fixed set of values. */
  oneOf<T extends string>(name: string, allowed: readonly T[], fallback: T): T {
    const raw = this.string(name) ?? fallback;
    if (!allowed.includes(raw as T)) {
      throw new ConfigError(`${name}="${raw}" must be one of: ${allowed.join(', ')}`);
    }
    return raw as T;
  }
}

/** Parses `raw` as a URL of one of `protocols`, naming `name` when it is not. */
export function parseUrl(name: string, raw: string, protocols: string[]): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError(`${name} is not a valid URL (expected ${protocols[0]}//…)`);
  }
  if (!protocols.includes(url.protocol)) {
    throw new ConfigError(`${name} must start with ${protocols.map((p) => `${p}//`).join(' or ')}`);
  }
  return url;
}

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

export function readCommonConfig(env = new EnvReader()): CommonConfig {
  return {
    production: env.string('NODE_ENV', 'development') === 'production',
    logLevel: env.oneOf('LOG_LEVEL', LOG_LEVELS, 'info'),
    metricsToken: realSecret(env.string('NODE_ENV', 'development') === 'production', 'METRICS_TOKEN', env.string('METRICS_TOKEN') ?? '') || undefined,
  };
}

/** The placeholder secrets of docker-compose.yaml and k8s/secret.yaml. */
const DEVELOPMENT_SECRET = /change-me/i;

/** In production, a placeholder secret is a deployment mistake: refuse to start with it. */
function realSecret(production: boolean, name: string, value: string): string {
  if (production && DEVELOPMENT_SECRET.test(value)) throw new ConfigError(`${name} is a development placeholder ("change-me"): set a real secret in production`);
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

export function loadSubgraphConfig(name: SubgraphName, env = new EnvReader()): SubgraphConfig {
  const prefix = name.toUpperCase();
  const urlName = `${prefix}_DATABASE_URL`;
  return Object.freeze({
    ...readCommonConfig(env),
    name,
    port: env.port(`${prefix}_PORT`, DEFAULT_PORTS[name]),
    databaseUrl: parseUrl(
      urlName,
      env.required(urlName, `the ${name} subgraph connects to Postgres as its own role, e.g. postgresql://asky_${name}:asky_${name}@127.0.0.1:5432/asky`),
      POSTGRES_PROTOCOLS,
    ),
  });
}

/** Optional Postgres URL (e.g. DATABASE_URL): undefined when unset. */
export function readPostgresUrl(name: string, env = new EnvReader()): URL | undefined {
  return env.url(name, POSTGRES_PROTOCOLS);
}

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

export function loadEscalationPolicy(env = new EnvReader()): EscalationPolicy {
  return Object.freeze({
    afterSeconds: { STAT: env.int('ESCALATE_STAT_AFTER_SECONDS', 120, 1, 86_400), ASAP: env.int('ESCALATE_ASAP_AFTER_SECONDS', 600, 1, 86_400) },
    checkEveryMs: env.int('ESCALATION_CHECK_MS', 5_000, 50, 600_000),
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

export const DEFAULT_PUSH_HOSTS = ['fcm.googleapis.com', 'updates.push.services.mozilla.com', 'web.push.apple.com', '*.notify.windows.com'];

export function loadPushConfig(env = new EnvReader()): PushConfig {
  return Object.freeze({
    vapidPublicKey: env.string('VAPID_PUBLIC_KEY'),
    vapidPrivateKey: env.string('VAPID_PRIVATE_KEY'),
    vapidSubject: env.string('VAPID_SUBJECT', 'mailto:pharmacy@asky.local'),
    endpointHosts: (env.string('PUSH_ENDPOINT_HOSTS') ?? DEFAULT_PUSH_HOSTS.join(',')).split(',').map((h) => h.trim().toLowerCase()).filter(Boolean),
    extraCa: env.string('PUSH_CA_FILE') ? readFileSync(env.string('PUSH_CA_FILE')!, 'utf8') : undefined,
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
export const readUserStatusTtlMs = (env: EnvReader): number => env.int('USER_STATUS_TTL_MS', 10_000, 0, 300_000);

export const DEFAULT_LIVE_LIMITS: LiveLimits = Object.freeze({ subscriptionsPerConnection: 20, connectionsPerUser: 10, subscriptionsPerUser: 20, pendingPerSubscriber: 100, keepAliveMs: 30_000, accountRecheckMs: 10_000 });

export function loadLiveLimits(env = new EnvReader()): LiveLimits {
  const d = DEFAULT_LIVE_LIMITS;
  return Object.freeze({
    subscriptionsPerConnection: env.int('LIVE_SUBSCRIPTIONS_PER_CONNECTION', d.subscriptionsPerConnection, 1, 1_000),
    connectionsPerUser: env.int('LIVE_CONNECTIONS_PER_USER', d.connectionsPerUser, 1, 100_000),
    subscriptionsPerUser: env.int('LIVE_SUBSCRIPTIONS_PER_USER', d.subscriptionsPerUser, 1, 1_000_000),
    pendingPerSubscriber: env.int('LIVE_PENDING_PER_SUBSCRIBER', d.pendingPerSubscriber, 1, 100_000),
    keepAliveMs: env.int('LIVE_KEEPALIVE_MS', d.keepAliveMs, 1_000, 600_000),
    accountRecheckMs: readUserStatusTtlMs(env),
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

const readRequestsPerCaller = (env: EnvReader) => env.int('GATEWAY_REQUESTS_PER_CALLER', 50, 1, 1_000_000);

/** Where a subgraph's GraphQL endpoint is: `<NAME>_URL`, by default on localhost at its port. */
export const readSubgraphUrl = (name: SubgraphName, env = new EnvReader()): string =>
  env.url(`${name.toUpperCase()}_URL`, ['http:', 'https:'], `http://localhost:${DEFAULT_PORTS[name]}/graphql`).href;

export function loadGatewayConfig(env = new EnvReader()): GatewayConfig {
  const urlOf = (name: SubgraphName) => readSubgraphUrl(name, env);
  return Object.freeze({
    ...readCommonConfig(env),
    port: env.port('GATEWAY_PORT', DEFAULT_PORTS.gateway),
    subgraphUrls: Object.freeze({ auth: urlOf('auth'), pyxis: urlOf('pyxis'), request: urlOf('request') }),
    liveLimits: loadLiveLimits(env),
    supergraphPath: env.string('SUPERGRAPH_PATH'),
    requestsPerCaller: readRequestsPerCaller(env),
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
}

export function loadSystemConfig(env = new EnvReader()): SystemConfig {
  const port = (name: SubgraphName | 'gateway') => env.port(`${name.toUpperCase()}_PORT`, DEFAULT_PORTS[name]);
  return Object.freeze({
    ...readCommonConfig(env),
    databaseUrl: readPostgresUrl('DATABASE_URL', env),
    embeddedDataDir: env.string('ASKY_DATA_DIR', '.asky/pglite'),
    ports: Object.freeze({ gateway: port('gateway'), auth: port('auth'), pyxis: port('pyxis'), request: port('request') }),
    userStatusTtlMs: readUserStatusTtlMs(env),
    requestsPerCaller: readRequestsPerCaller(env),
  });
}

/** How every service checks access tokens: `JWT_ISSUER`, `JWT_AUDIENCE`, `AUTH_JWKS_URL`. */
export interface TokenConfig {
  readonly issuer: string;
  readonly audience: string;
  readonly jwksUrl: string;
}

export function loadTokenConfig(env = new EnvReader()): TokenConfig {
  return {
    issuer: env.string('JWT_ISSUER', 'asky-auth'),
    audience: env.string('JWT_AUDIENCE', 'asky'),
    jwksUrl: env.url('AUTH_JWKS_URL', ['http:', 'https:'], `http://localhost:${DEFAULT_PORTS.auth}/.well-known/jwks.json`).href,
  };
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

export function loadServiceIdentity(name: SubgraphName, env = new EnvReader()): ServiceIdentityConfig {
  const authUrl = new URL(readSubgraphUrl('auth', env));
  const ttl = readUserStatusTtlMs(env);
  return {
    clientId: name,
    clientSecret: realSecret(readCommonConfig(env).production, `${name.toUpperCase()}_SERVICE_SECRET`, env.required(`${name.toUpperCase()}_SERVICE_SECRET`, `the ${name} service's secret, as listed in auth's AUTH_SERVICE_SECRETS`)),
    authUrl: authUrl.href,
    tokenUrl: new URL('/oauth/token', authUrl).href,
    userStatusTtlMs: ttl,
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
   * default `loopback`, the gateway of `npm start`). Anyone else's header is ignored.
   */
  readonly trustedProxies: readonly string[];
  /** Service client ids and secrets (`AUTH_SERVICE_SECRETS=pyxis=…,request=…`). */
  readonly serviceSecrets: Readonly<Record<string, string>>;
}

export function loadAuthConfig(env = new EnvReader()): AuthConfig {
  const production = readCommonConfig(env).production;
  const secrets = env.string('AUTH_SERVICE_SECRETS', '');
  const serviceSecrets: Record<string, string> = {};
  for (const pair of secrets.split(',').filter(Boolean)) {
    const [id, secret] = pair.split('=');
    if (!id?.trim() || !secret?.trim() || secret.trim().length < 16) {
      throw new ConfigError('AUTH_SERVICE_SECRETS must be a list of name=secret (secrets of 16+ characters), comma-separated');
    }
    serviceSecrets[id.trim()] = realSecret(production, `AUTH_SERVICE_SECRETS (${id.trim()})`, secret.trim());
  }
  return {
    privateKeyPem: env.string('AUTH_PRIVATE_KEY')?.replace(/\\n/g, '\n'),
    keysDir: env.string('AUTH_KEYS_DIR', '.asky/keys'),
    generateKey: env.oneOf('AUTH_GENERATE_KEY', ['true', 'false'], production ? 'false' : 'true') === 'true',
    accessTokenTtlSeconds: env.int('ACCESS_TOKEN_TTL_SECONDS', 15 * 60, 60, 60 * 60),
    refreshTokenTtlSeconds: env.int('REFRESH_TOKEN_TTL_SECONDS', 12 * 60 * 60, 5 * 60, 30 * 24 * 60 * 60),
    selfRegistration: env.oneOf('AUTH_SELF_REGISTRATION', ['true', 'false'], 'false') === 'true',
    trustedProxies: env.string('AUTH_TRUSTED_PROXIES', 'loopback').split(',').map((s) => s.trim()).filter(Boolean),
    serviceSecrets,
  };
}

/** Where events go: `AMQP_URL` (unset: in process), `EVENTS_EXCHANGE`, `EVENTS_QUEUE_PREFIX`. */
export interface EventsConfig {
  readonly amqpUrl?: URL;
  readonly exchange: string;
  readonly queuePrefix: string;
}

export function loadEventsConfig(env = new EnvReader(), fallbackUrl?: string): EventsConfig {
  const raw = env.string('AMQP_URL') ?? fallbackUrl;
  if (raw) realSecret(readCommonConfig(env).production, 'AMQP_URL', decodeURIComponent(URL.canParse(raw) ? new URL(raw).password : ''));
  return {
    amqpUrl: raw === undefined ? undefined : parseUrl('AMQP_URL', raw, ['amqp:', 'amqps:']),
    exchange: env.string('EVENTS_EXCHANGE', 'asky.events'),
    queuePrefix: env.string('EVENTS_QUEUE_PREFIX', ''),
  };
}
