/**
 * A replica of a deployment, as the image runs it (`replica.ts`): given each
 * subgraph's role URL (and no admin URL) it runs the gateway with its subgraphs
 * in one process over a database migrated beforehand — it migrates nothing and
 * adds no mock data — and only the gateway faces the network. Half a
 * configuration is refused, and so is none: an image has no embedded Postgres.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createLogger } from '@asky/shared';
import { preparePostgres, serviceRoleUrl } from '@asky/launcher';
import { adminQuery, createTestDatabase, testAmqpUrl, type TestDatabase } from '@asky/testing';
import { launch } from './helpers/launcher';

let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase();
  await (await preparePostgres(database.url, createLogger('test', 'silent'))).close(); // the migration, as a rollout's runs it
});
afterAll(() => database?.drop());

const roles = () => ({
  AUTH_DATABASE_URL: serviceRoleUrl(database.url, 'auth').href,
  PYXIS_DATABASE_URL: serviceRoleUrl(database.url, 'pyxis').href,
  REQUEST_DATABASE_URL: serviceRoleUrl(database.url, 'request').href,
});

function replicaEnv(extra: Record<string, string> = {}): Record<string, string> {
  const { DATABASE_URL: _admin, ...inherited } = process.env;
  return {
    ...(inherited as Record<string, string>),
    NODE_ENV: 'production',
    AMQP_URL: testAmqpUrl(),
    EVENTS_EXCHANGE: `asky.test.replica.${process.pid}`,
    EVENTS_QUEUE_PREFIX: `replica.${process.pid}.`,
    AUTH_KEYS_DIR: mkdtempSync(path.join(tmpdir(), 'asky-replica-keys-')),
    AUTH_GENERATE_KEY: 'true',
    GATEWAY_PORT: '0',
    AUTH_PORT: '0',
    PYXIS_PORT: '0',
    REQUEST_PORT: '0',
    ...roles(),
    ...extra,
  };
}

it("serves README's question as its subgraphs' own roles, having migrated nothing", async () => {
  const migrations = async () =>
    (await adminQuery('SELECT count(*)::int AS n FROM pyxis."_prisma_migrations"', database.url)).rows[0].n as number;
  const before = await migrations();
  const replica = launch(replicaEnv(), 60_000, 'replica');
  try {
    const url = await replica.up;
    const login = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        query: 'mutation { login(email: "nurse@asky.local", password: "asky-nurse") { accessToken } }',
      }),
    });
    const token = ((await login.json()) as any).data.login.accessToken as string;
    const answer = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({
        query:
          '{ request(id: "66666666-6666-4666-8666-000000000001") { status requester { name } medicine { name } } }',
      }),
    });
    expect(((await answer.json()) as any).data.request).toEqual({
      status: 'PENDING',
      requester: { name: 'Ana Souza' },
      medicine: { name: 'Morfina' },
    });
    expect(await migrations()).toBe(before);
    const { rows } = await adminQuery(
      `SELECT usename FROM pg_stat_activity WHERE datname = '${database.url.pathname.slice(1)}' AND usename LIKE 'asky_%'`,
      database.url,
    );
    expect(new Set(rows.map((r: { usename: string }) => r.usename))).toEqual(
      new Set(['asky_auth', 'asky_pyxis', 'asky_request']),
    );
  } finally {
    replica.terminate();
    await replica.exit;
  }
});

it('refuses half a replica configuration, a replica beside an admin URL, and one without a database, naming the variables', async () => {
  const half = await launch(replicaEnv({ REQUEST_DATABASE_URL: '' }), 40_000, 'replica').exit;
  expect(half.code).not.toBe(0);
  expect(half.stderr).toMatch(/all three of AUTH_DATABASE_URL, PYXIS_DATABASE_URL and REQUEST_DATABASE_URL/);
  const both = await launch(replicaEnv({ DATABASE_URL: database.url.href }), 40_000, 'replica').exit;
  expect(both.code).not.toBe(0);
  expect(both.stderr).toMatch(/not both/);
  const none = { NODE_ENV: 'development', AUTH_DATABASE_URL: '', PYXIS_DATABASE_URL: '', REQUEST_DATABASE_URL: '' };
  const image = await launch(replicaEnv(none), 40_000, 'replica').exit;
  expect(image.code).not.toBe(0);
  expect(image.stderr).toMatch(/A replica needs AUTH_DATABASE_URL, PYXIS_DATABASE_URL and REQUEST_DATABASE_URL/);
  // `npm start` in production: never the embedded PGlite.
  const production = await launch(replicaEnv({ ...none, NODE_ENV: 'production' })).exit;
  expect(production.code).not.toBe(0);
  expect(production.stderr).toMatch(/In production, a replica needs/);
});
