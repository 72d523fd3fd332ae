/**
 * Test support: a throw-away database per test file, and the whole system on
 * free ports over it, with every SQL statement counted per subgraph.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { createLogger, EnvReader, onQuery, readPostgresUrl, SUBGRAPHS, type SubgraphName } from '@asky/shared';
import { preparePostgres } from './database';
import { startSystem, type RunningSystem } from './system';

/** The admin connection tests create their databases with. */
export const testAdminUrl = (): URL =>
  readPostgresUrl('TEST_DATABASE_URL', new EnvReader()) ?? new URL('postgresql://postgres@127.0.0.1:5432/postgres');

export interface TestDatabase {
  readonly url: URL;
  drop(): Promise<void>;
}

/** Runs `sql` as the admin of the test cluster, on its maintenance database. */
export async function adminQuery(sql: string, url = testAdminUrl()): Promise<pg.QueryResult> {
  const client = new pg.Client({ connectionString: url.href });
  await client.connect();
  try {
    return await client.query(sql);
  } finally {
    await client.end();
  }
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
  /** SQL statements each subgraph sent since the last `resetQueries()`. */
  readonly queries: Readonly<Record<SubgraphName, string[]>>;
  resetQueries(): void;
  /** POSTs a GraphQL operation to `url` (default: the gateway) and returns the JSON body. */
  graphql<T = any>(query: string, variables?: Record<string, unknown>, options?: GraphQLCallOptions): Promise<GraphQLBody<T>>;
}

export interface GraphQLCallOptions {
  readonly url?: string;
  readonly headers?: Record<string, string>;
}

export interface GraphQLBody<T> {
  data?: T;
  errors?: { message: string; path?: (string | number)[]; extensions?: { code?: string } & Record<string, unknown> }[];
}

/** POSTs a GraphQL operation and returns the JSON body, whatever the status. */
export async function postGraphQL<T>(url: string, query: string, variables?: object, headers?: object): Promise<GraphQLBody<T>> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ query, variables }),
  });
  return (await res.json()) as GraphQLBody<T>;
}

/** The whole system on free ports over its own database, with init-db applied. */
export async function startTestSystem(options: { production?: boolean } = {}): Promise<TestSystem> {
  const database = await createTestDatabase();
  const queries = Object.fromEntries(SUBGRAPHS.map((name) => [name, [] as string[]])) as Record<SubgraphName, string[]>;
  try {
    const prepared = await preparePostgres(database.url, createLogger('test', 'silent'));
    const system = await startSystem({
      database: prepared,
      ports: { gateway: 0, auth: 0, pyxis: 0, request: 0 },
      production: options.production ?? false,
      logLevel: 'silent',
      prismaExtras: { log: [{ emit: 'event', level: 'query' }] },
    });
    for (const name of SUBGRAPHS) onQuery(system.prisma[name], (sql) => queries[name].push(sql));
    return {
      ...system,
      database,
      queries,
      resetQueries: () => SUBGRAPHS.forEach((name) => queries[name].splice(0)),
      graphql: (query, variables, call = {}) => postGraphQL(call.url ?? system.gatewayUrl, query, variables, call.headers),
      async stop() {
        await system.stop();
        await database.drop();
      },
    };
  } catch (err) {
    await database.drop();
    throw err;
  }
}
