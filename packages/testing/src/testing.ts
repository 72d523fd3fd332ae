/**
 * Test support: a throw-away database per test file, and the whole system on
 * free ports over it, with every SQL statement counted per subgraph.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import amqp from 'amqplib';
import pg from 'pg';
import {
  createLogger,
  loadPushConfig,
  type DatabaseTarget,
  EnvReader,
  loadAuthConfig,
  loadTokenConfig,
  LOG_LEVELS,
  onQuery,
  RabbitBus,
  SUBGRAPH_CALLS,
  SUBGRAPHS,
  type Role,
  type SubgraphCalls,
  type SubgraphName,
} from '@asky/shared';
import {
  preparePostgres,
  startSystem,
  type PreparedDatabase,
  type RunningSystem,
  type SystemOptions,
} from '@asky/launcher';
import { TcpProxy } from './tcpProxy';
import { EventTap } from './eventTap';
export { listen, LIVE_CHANGES, type Listener } from './liveListener';
import { testAdminUrl, testAmqpUrl } from './testServices';

export { EventTap } from './eventTap';
export { TcpProxy } from './tcpProxy';
export { signUserToken, type SignedUser } from './tokens';
export { testAdminUrl, testAmqpUrl } from './testServices';

/** A test's own exchange and queue names on the shared broker, and their removal. */
export interface TestTopology {
  readonly exchange: string;
  readonly queuePrefix: string;
  /** Deletes the exchanges and the given queues (with their dead-letter queues). */
  remove(queues: readonly string[]): Promise<void>;
}

export function testTopology(): TestTopology {
  const id = `test.${randomBytes(4).toString('hex')}`;
  const exchange = `${id}.events`;
  return {
    exchange,
    queuePrefix: `${id}.`,
    async remove(queues) {
      const connection = await amqp.connect(testAmqpUrl());
      const channel = await connection.createChannel();
      for (const queue of queues) {
        await channel.deleteQueue(`${id}.${queue}`);
        await channel.deleteQueue(`${id}.${queue}.dead`);
      }
      await channel.deleteExchange(exchange);
      await channel.deleteExchange(`${exchange}.dead`);
      await connection.close();
    },
  };
}

export interface TestDatabase {
  readonly url: URL;
  drop(): Promise<void>;
}

/** Runs `sql` on one connection to `url` (default: the test cluster's maintenance database, as admin). */
export async function adminQuery(sql: string, url = testAdminUrl()): Promise<pg.QueryResult> {
  const client = new pg.Client({ connectionString: url.href });
  await client.connect();
  try {
    return await client.query(sql);
  } finally {
    await client.end();
  }
}

/**
 * Fills the slots `where` selects (SQL over pyxis."StockItem") to `quantity`, all
 * in one lot that expires in ten years: for loads that need more stock than the
 * mock data holds. Keeps a slot's quantity the sum of its lots, as pyxis does.
 */
export async function fillSlots(url: URL, where: string, quantity: number): Promise<void> {
  await adminQuery(
    `BEGIN;
     CREATE TEMP TABLE filled ON COMMIT DROP AS SELECT id FROM pyxis."StockItem" WHERE ${where};
     UPDATE pyxis."StockItem" SET quantity = ${Number(quantity)} WHERE id IN (SELECT id FROM filled);
     DELETE FROM pyxis."StockLot" WHERE "stockItemId" IN (SELECT id FROM filled);
     INSERT INTO pyxis."StockLot" (id, "stockItemId", lot, "expiresAt", quantity)
     SELECT gen_random_uuid(), id, 'LOAD', current_date + 3650, ${Number(quantity)} FROM filled;
     COMMIT;`,
    url,
  );
}

/** A fresh, empty database; `drop()` removes it even while connections linger. */
export async function createTestDatabase(): Promise<TestDatabase> {
  const name = `asky_test_${process.pid}_${randomBytes(4).toString('hex')}`;
  await adminQuery(`CREATE DATABASE ${name}`);
  const url = new URL(testAdminUrl());
  url.pathname = `/${name}`;
  return { url, drop: () => adminQuery(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).then(() => undefined) };
}

export interface TestSystem extends RunningSystem {
  readonly database: TestDatabase;
  /** auth's signing keys (PEM files; the last by name signs). */
  readonly keysDir: string;
  /** This system's exchange and queue names on the broker. */
  readonly topology: TestTopology;
  /** Whether the services' connection to the broker is up (tests of an outage wait on it). */
  brokerConnected(): boolean;
  /** Logs in through the gateway and returns the access token. */
  login(email: string, password: string): Promise<string>;
  /** An access token for each mock user. */
  loginAll(): Promise<Record<keyof typeof MOCK_USERS, string>>;
  /** A mock user (the nurse by default) witnessing, on the screen of `actorToken`'s person, one act on `subjectId` (named: `deed`): the witnessToken. */
  witness(
    actorToken: string,
    subjectId: string,
    witness?: keyof typeof MOCK_USERS,
    deed?: { act: string; quantity?: number },
  ): Promise<string>;
  /**
   * A new account, as a hospital makes one: an ADMIN creates it, the person logs
   * in and replaces the first-login password. Returns a token they can work with.
   */
  createPerson(role: Role, name?: string): Promise<{ id: string; email: string; password: string; token: string }>;
  /** SQL statements each subgraph sent since the last `resetQueries()`. */
  readonly queries: Readonly<Record<SubgraphName, string[]>>;
  /**
   * Resolves once `n` more live subscriptions have started running (gateway or request subgraph)
   * than when called: call it, subscribe, await it (instead of sleeping).
   */
  subscriptionsStarted(n?: number): Promise<void>;
  /** Resolves once `n` more live subscriptions have ended (as `subscriptionsStarted`). */
  subscriptionsEnded(n?: number): Promise<void>;
  /** Resolves once `n` more accepted live connections have closed (as `subscriptionsStarted`). */
  connectionsClosed(n?: number): Promise<void>;
  resetQueries(): void;
  /** POSTs a GraphQL operation to `url` (default: the gateway) and returns the JSON body. */
  graphql<T = any>(
    query: string,
    variables?: Record<string, unknown>,
    options?: GraphQLCallOptions,
  ): Promise<GraphQLBody<T>>;
}

export interface GraphQLCallOptions {
  readonly url?: string;
  /** An access token, sent as `Authorization: Bearer …`. */
  readonly token?: string;
  readonly headers?: Record<string, string>;
}

export interface GraphQLBody<T> {
  data?: T;
  errors?: { message: string; path?: (string | number)[]; extensions?: { code?: string } & Record<string, unknown> }[];
}

export type MockTokens = Record<keyof typeof MOCK_USERS, string>;

/**
 * For a test file: one system started (and every mock user logged in) before
 * its tests, stopped after them. Read `system` and `tokens` inside the tests.
 */
export function useTestSystem(options?: TestSystemOptions): {
  readonly system: TestSystem;
  readonly tokens: MockTokens;
} {
  let system: TestSystem | undefined;
  let tokens: MockTokens | undefined;
  beforeAll(async () => {
    system = await startTestSystem(options);
    tokens = await system.loginAll();
  });
  afterAll(() => system?.stop());
  return {
    get system() {
      if (!system) throw new Error('the test system is not started yet: use it inside tests');
      return system;
    },
    get tokens() {
      if (!tokens) throw new Error('the test system is not started yet: use it inside tests');
      return tokens;
    },
  };
}

/** POSTs a GraphQL operation and returns the JSON body, whatever the status. */
export async function postGraphQL<T>(
  url: string,
  query: string,
  variables?: object,
  headers?: object,
): Promise<GraphQLBody<T>> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ query, variables }),
  });
  return (await res.json()) as GraphQLBody<T>;
}

/** The mock users' credentials, as README documents them. */
export const MOCK_USERS = {
  nurse: ['nurse@asky.local', 'asky-nurse'],
  pharmacist: ['pharmacist@asky.local', 'asky-pharmacist'],
  technician: ['technician@asky.local', 'asky-technician'],
  admin: ['admin@asky.local', 'asky-admin'],
  /** The charge nurse of UTI Adulto. */
  charge: ['charge@asky.local', 'asky-charge'],
} as const;

export interface TestSystemOptions {
  readonly production?: boolean;
  /** How the gateway calls the subgraphs. @default TEST_SUBGRAPH_CALLS, else in-process (the default deployment) */
  readonly subgraphCalls?: SubgraphCalls;
  /** `/metrics` needs `Authorization: Bearer <this>` (production without it: no metrics). */
  readonly metricsToken?: string;
  /** Called with auth's (empty) keys folder before it starts, e.g. to put keys there. */
  readonly prepareKeys?: (keysDir: string) => void;
  /** Extra service clients auth accepts (id → secret). */
  readonly serviceSecrets?: Record<string, string>;
  /** Let anyone `register` (off by default, as in production). */
  readonly selfRegistration?: boolean;
  /** Whose X-Forwarded-For auth believes (default: loopback, as `npm start`). */
  readonly trustedProxies?: readonly string[];
  /** The broker the services use (e.g. a proxy in front of it). @default testAmqpUrl() */
  readonly amqpUrl?: string;
  /** A proxy the subgraphs reach Postgres through (set-up and the test's own SQL go direct). */
  readonly databaseProxy?: TcpProxy;
  /** The subgraphs that use `databaseProxy`. @default all */
  readonly proxiedSubgraphs?: readonly SubgraphName[];
  /** How long user statuses are reused. @default 0: deactivations take effect at once */
  readonly userStatusTtlMs?: number;
  /** Overrides of the gateway's live limits (the live benchmark raises them). */
  readonly liveLimits?: SystemOptions['liveLimits'];
  /**
   * When unattended requests escalate (tests shorten it). Unset: no pass within a
   * test's time — the mock STAT request is old enough to escalate at the first
   * pass, which would change rows under tests that compare them.
   */
  readonly escalation?: SystemOptions['escalation'];
  /** Web Push (tests run the push service). */
  readonly push?: SystemOptions['push'];
  /** Access tokens' lifetime, below the production minimum of 60 s (tests of renewal). */
  readonly accessTokenTtlSeconds?: number;
}

function throughProxy(target: DatabaseTarget, proxy: TcpProxy): DatabaseTarget {
  return target.kind === 'postgres' ? { kind: 'postgres', url: proxy.via(target.url) } : target;
}

/**
 * Runs `test` on a whole system whose services reach the broker through a proxy
 * the test cuts and restores (`brokerAway`: already cut when the system starts),
 * with a tap on its exchange; stops all of it afterwards.
 */
export async function withBrokerProxy<T>(
  test: (system: TestSystem, broker: TcpProxy, tap: EventTap) => Promise<T>,
  options: { readonly brokerAway?: boolean } = {},
): Promise<T> {
  const broker = TcpProxy.toBroker();
  await broker.start();
  if (options.brokerAway) await broker.cut();
  const system = await startTestSystem({ amqpUrl: broker.url });
  const tap = await EventTap.open(system.topology.exchange);
  try {
    return await test(system, broker, tap);
  } finally {
    await tap.close();
    await system.stop();
    await broker.cut().catch(() => undefined);
  }
}

/** How the tests' gateways call their subgraphs: `TEST_SUBGRAPH_CALLS=http` runs a whole suite against the split topology. */
const testSubgraphCalls = (): SubgraphCalls =>
  new EnvReader().oneOf('TEST_SUBGRAPH_CALLS', SUBGRAPH_CALLS, 'in-process');

/** The whole system on free ports over its own database, with init-db applied. */
export async function startTestSystem(options: TestSystemOptions = {}): Promise<TestSystem> {
  const database = await createTestDatabase();
  const keysDir = mkdtempSync(path.join(tmpdir(), 'asky-keys-'));
  options.prepareKeys?.(keysDir);
  const topology = testTopology();
  const queries = Object.fromEntries(SUBGRAPHS.map((name) => [name, [] as string[]])) as Record<SubgraphName, string[]>;
  const live = { started: countSignal(), ended: countSignal(), closed: countSignal() };
  try {
    const prepared = await preparePostgres(database.url, createLogger('test', 'silent'));
    const bus = await RabbitBus.connect({ url: options.amqpUrl ?? testAmqpUrl(), exchange: topology.exchange }, 3_000);
    const system = await startSystem(
      systemOptions(options, prepared, keysDir, { bus, queuePrefix: topology.queuePrefix }, live),
    );
    // The outbox relay polls in the background: its statements (and transaction
    // control, which carries no data) are not what a test counts.
    const counted = (sql: string) => !/^\s*(BEGIN|COMMIT|ROLLBACK)\b/i.test(sql) && !sql.includes('"OutboxEvent"');
    for (const name of SUBGRAPHS) onQuery(system.prisma[name], (sql) => counted(sql) && queries[name].push(sql));
    const graphql: TestSystem['graphql'] = (query, variables, call = {}) =>
      postGraphQL(call.url ?? system.gatewayUrl, query, variables, {
        ...(call.token ? { authorization: `Bearer ${call.token}` } : {}),
        ...call.headers,
      });
    return {
      ...system,
      database,
      keysDir,
      topology,
      queries,
      resetQueries: () => SUBGRAPHS.forEach((name) => queries[name].splice(0)),
      subscriptionsStarted: live.started.next,
      subscriptionsEnded: live.ended.next,
      connectionsClosed: live.closed.next,
      brokerConnected: () => bus.connected(),
      graphql,
      ...people(graphql),
      async stop() {
        await system.stop();
        await database.drop();
        rmSync(keysDir, { recursive: true, force: true });
        await topology.remove(['pyxis.stock']);
      },
    };
  } catch (err) {
    await database.drop();
    rmSync(keysDir, { recursive: true, force: true });
    throw err;
  }
}

type LiveSignals = Record<'started' | 'ended' | 'closed', ReturnType<typeof countSignal>>;

/** What the launcher starts for a test: free ports, silent logs, counted queries, the test's own settings. */
function systemOptions(
  options: TestSystemOptions,
  prepared: PreparedDatabase,
  keysDir: string,
  events: SystemOptions['events'],
  live: LiveSignals,
): SystemOptions {
  const proxy = options.databaseProxy;
  return {
    database: proxy
      ? {
          ...prepared,
          target: (subgraph) =>
            (options.proxiedSubgraphs ?? SUBGRAPHS).includes(subgraph)
              ? throughProxy(prepared.target(subgraph), proxy)
              : prepared.target(subgraph),
        }
      : prepared,
    ports: { gateway: 0, auth: 0, pyxis: 0, request: 0 },
    production: options.production ?? false,
    metricsToken: options.metricsToken,
    // Silent unless TEST_LOG_LEVEL asks (e.g. `error`, to see what a failing test's services logged).
    logLevel: new EnvReader().oneOf('TEST_LOG_LEVEL', LOG_LEVELS, 'silent'),
    prismaExtras: { log: [{ emit: 'event', level: 'query' }] },
    auth: {
      ...loadAuthConfig({}),
      keysDir,
      serviceSecrets: options.serviceSecrets ?? {},
      selfRegistration: options.selfRegistration ?? false,
      trustedProxies: options.trustedProxies ?? ['loopback'],
      ...(options.accessTokenTtlSeconds ? { accessTokenTtlSeconds: options.accessTokenTtlSeconds } : {}),
    },
    tokens: loadTokenConfig({}),
    userStatusTtlMs: options.userStatusTtlMs ?? 0,
    liveLimits: options.liveLimits,
    escalation: options.escalation ?? { afterSeconds: { STAT: 120, ASAP: 600 }, checkEveryMs: 600_000 },
    push: options.push ?? loadPushConfig({}), // the defaults: keys made for this system
    events,
    subgraphCalls: options.subgraphCalls ?? testSubgraphCalls(),
    onLiveSignal: (signal) =>
      ({ subscribed: live.started, 'subscription ended': live.ended, 'connection closed': live.closed })[signal].tick(),
  };
}

/** The system's people: sign-ins (retried as a client would), new accounts, witnesses. */
function people(graphql: TestSystem['graphql']): Pick<TestSystem, 'login' | 'createPerson' | 'witness' | 'loginAll'> {
  const login = async (email: string, password: string) => {
    for (let attempt = 1; ; attempt++) {
      const body = await graphql<{ login: { accessToken: string } }>(
        'mutation ($email: String!, $password: String!) { login(email: $email, password: $password) { accessToken } }',
        { email, password },
      );
      if (body.data) return body.data.login.accessToken;
      // Hashing is busy or a service did not answer in time (a loaded machine): as a
      // client would, wait as told (or a moment) and try again.
      const error = body.errors?.[0]?.extensions;
      const retryAfter =
        error?.code === 'TOO_MANY_REQUESTS' ? Number(error.retryAfter) : error?.retryable === true ? 1 : NaN;
      if (!(retryAfter <= 10) || attempt === 5)
        throw new Error(`login as ${email} failed: ${JSON.stringify(body.errors)}`);
      await new Promise((resolve) => setTimeout(resolve, retryAfter * 1000));
    }
  };
  return {
    login,
    async createPerson(role, name = 'New Person') {
      const email = `person.${randomBytes(6).toString('hex')}@asky.local`;
      const first = `first-login ${randomBytes(8).toString('hex')}`;
      const password = `own passphrase ${randomBytes(8).toString('hex')}`;
      const admin = await login(...MOCK_USERS.admin);
      const created = await graphql<{ createUser: { id: string } }>(
        'mutation ($input: CreateUserInput!) { createUser(input: $input) { id } }',
        { input: { name, email, password: first, role } },
        { token: admin },
      );
      if (!created.data) throw new Error(`createUser failed: ${JSON.stringify(created.errors)}`);
      const changed = await graphql<{ changePassword: { accessToken: string } }>(
        'mutation ($c: String!, $n: String!) { changePassword(currentPassword: $c, newPassword: $n) { accessToken } }',
        { c: first, n: password },
        { token: await login(email, first) },
      );
      if (!changed.data) throw new Error(`changePassword failed: ${JSON.stringify(changed.errors)}`);
      return { id: created.data.createUser.id, email, password, token: changed.data.changePassword.accessToken };
    },
    async witness(actorToken, subjectId, witness = 'nurse', deed) {
      const [email, password] = MOCK_USERS[witness];
      const signIn = () =>
        graphql<{ witness: { token: string } }>(
          'mutation ($email: String!, $password: String!, $subjectId: ID!, $act: WitnessedAct, $quantity: Int) { witness(email: $email, password: $password, subjectId: $subjectId, act: $act, quantity: $quantity) { token } }',
          { email, password, subjectId, act: deed?.act ?? null, quantity: deed?.quantity ?? null },
          { token: actorToken },
        );
      let body = await signIn();
      // A test file's witnesses sign in often: past the login throttle, wait as told, once (as a client would).
      const wait = Number(
        body.errors?.[0]?.extensions?.code === 'TOO_MANY_REQUESTS' ? body.errors[0].extensions.retryAfter : NaN,
      );
      if (wait <= 60) {
        await new Promise((resolve) => setTimeout(resolve, wait * 1000));
        body = await signIn();
      }
      if (!body.data) throw new Error(`${witness} could not witness: ${JSON.stringify(body.errors)}`);
      return body.data.witness.token;
    },
    async loginAll() {
      const roles = Object.keys(MOCK_USERS) as (keyof typeof MOCK_USERS)[];
      const tokens = await Promise.all(roles.map((role) => login(MOCK_USERS[role][0], MOCK_USERS[role][1])));
      return Object.fromEntries(roles.map((role, i) => [role, tokens[i]!])) as Record<keyof typeof MOCK_USERS, string>;
    },
  };
}

/** Counts something the system tells of; `next(n)` resolves once it has happened `n` more times. */
function countSignal() {
  let count = 0;
  const waiters: { at: number; resolve(): void }[] = [];
  return {
    tick() {
      count++;
      for (const waiter of waiters.filter((w) => count >= w.at)) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve();
      }
    },
    next(n = 1): Promise<void> {
      return new Promise((resolve) => waiters.push({ at: count + n, resolve }));
    },
  };
}

/**
 * Polls `read` until `done` holds, or `ms` have passed (generous for a busy
 * machine), and returns the last value read: for waits on state (rows, stock)
 * that sends no signal of its own.
 */
export async function eventually<T>(read: () => Promise<T>, done: (value: T) => boolean, ms = 30_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await read();
    if (done(value) || Date.now() > deadline) return value;
    await new Promise((r) => setTimeout(r, 100));
  }
}
