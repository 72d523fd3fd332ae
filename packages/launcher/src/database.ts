/**
 * Gets a Postgres server ready for the whole system, given an admin URL (the
 * database is created if missing): init-db is applied, and each subgraph gets its
 * own connection target. The embedded PGlite default is in embedded.ts.
 */
import pg from 'pg';
import { ConfigError, type DatabaseTarget, type Logger, type SubgraphName } from '@asky/shared';
import { initDbScripts, isMockData } from './initDb';

export interface PreparedDatabase {
  /** Shown in the start-up log. */
  readonly description: string;
  /** Where a subgraph connects: as its own role on Postgres. */
  target(subgraph: SubgraphName): DatabaseTarget;
  close(): Promise<void>;
}

const redact = (url: URL) => `${url.hostname}:${url.port || 5432}${url.pathname}`;

/** One clear line for the ways a Postgres server can refuse us. */
function describeConnectError(err: NodeJS.ErrnoException & { code?: string }, url: URL): ConfigError {
  const where = `Postgres at ${redact(url)} (DATABASE_URL)`;
  switch (err.code) {
    case 'ECONNREFUSED':
      return new ConfigError(`cannot reach ${where}: connection refused — is Postgres running?`);
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return new ConfigError(`cannot reach ${where}: unknown host ${url.hostname}`);
    case '28P01':
    case '28000':
      return new ConfigError(`${where} refused user ${url.username}: check the user and password`);
    default:
      return new ConfigError(`cannot use ${where}: ${err.message}`);
  }
}

async function connect(url: URL): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: url.href, connectionTimeoutMillis: 5_000 });
  try {
    await client.connect();
    return client;
  } catch (err) {
    await client.end().catch(() => undefined);
    throw err;
  }
}

/** Connects as admin, creating the database first when it does not exist yet. */
async function connectCreatingDatabase(url: URL, logger: Logger): Promise<pg.Client> {
  try {
    return await connect(url);
  } catch (err) {
    if ((err as { code?: string }).code !== '3D000') throw describeConnectError(err as NodeJS.ErrnoException, url);
  }
  const database = decodeURIComponent(url.pathname.slice(1));
  const maintenance = new URL(url);
  maintenance.pathname = '/postgres';
  const admin = await connect(maintenance).catch((err) => {
    throw describeConnectError(err, maintenance);
  });
  try {
    await admin.query(`CREATE DATABASE ${pg.escapeIdentifier(database)}`);
    logger.info({ database }, 'created database');
  } catch (err) {
    // Another migrator (a pod starting beside this one) created it first: 42P04, or 23505
    // when both inserted into pg_database at the same moment.
    if (!['42P04', '23505'].includes(String((err as { code?: string }).code))) throw err;
  } finally {
    await admin.end();
  }
  return connect(url);
}

export interface PrepareOptions {
  /** Load init-db's mock data (users, catalogue, requests). @default true: `npm start` is a demo */
  readonly mockData?: boolean;
  /** Role passwords to set (role → password); otherwise roles keep theirs. */
  readonly rolePasswords?: Readonly<Record<string, string>>;
}

const MIGRATION_LOCK = 'asky-migrate';

/** Applies init-db to a Postgres database; subgraphs then connect as their roles. */
export async function preparePostgres(
  adminUrl: URL,
  logger: Logger,
  options: PrepareOptions = {},
): Promise<PreparedDatabase> {
  const client = await connectCreatingDatabase(adminUrl, logger);
  try {
    // Pods starting together migrate one at a time (the lock ends with the session); the
    // scripts are idempotent, so the later ones find nothing to do.
    await client.query('SELECT pg_advisory_lock(hashtext($1))', [MIGRATION_LOCK]);
    for (const script of initDbScripts()) {
      if (options.mockData === false && isMockData(script)) continue;
      await client.query(script.sql);
    }
    for (const [role, password] of Object.entries(options.rolePasswords ?? {})) {
      await client.query(`ALTER ROLE ${pg.escapeIdentifier(role)} PASSWORD ${pg.escapeLiteral(password)}`);
    }
  } finally {
    await client.end();
  }
  return {
    description: `Postgres at ${redact(adminUrl)}`,
    target: (subgraph) => ({ kind: 'postgres', url: serviceRoleUrl(adminUrl, subgraph) }),
    close: async () => undefined,
  };
}

/**
 * A replica's database: migrated beforehand (the migration runs once per rollout,
 * with the admin URL, elsewhere); each subgraph connects as its own role.
 */
export function migratedRoles(urls: Readonly<Record<SubgraphName, URL>>): PreparedDatabase {
  return {
    description: `Postgres at ${redact(urls.auth)}, each subgraph as its own role (migrated beforehand)`,
    target: (subgraph) => ({ kind: 'postgres', url: urls[subgraph] }),
    close: async () => undefined,
  };
}

/** The admin URL with the subgraph's own role (development password = role name). */
export function serviceRoleUrl(adminUrl: URL, subgraph: SubgraphName): URL {
  const url = new URL(adminUrl);
  url.username = `asky_${subgraph}`;
  url.password = `asky_${subgraph}`;
  return url;
}
