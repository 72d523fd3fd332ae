/**
 * Builds a Prisma CLI config for one subgraph's schema. Prisma 6.19 can only work
 * offline with the wasm ("js") schema engine over a driver adapter, so every schema
 * needs this even just to `generate` (see shared/NOTES.md).
 */
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import pg from 'pg';
import { defineConfig } from 'prisma/config';
import { PrismaPg } from '@prisma/adapter-pg';

// Any database will do for generate and diff (which only needs to create a shadow).
const FALLBACK_URL = 'postgresql://postgres@127.0.0.1:5432/postgres';

export function subgraphPrismaConfig(subgraph: 'auth' | 'pyxis' | 'request') {
  // The CLI tries to download a native engine when the url cannot be resolved.
  process.env.DATABASE_URL ??= FALLBACK_URL;
  const dir = path.join(__dirname, subgraph);
  return defineConfig({
    experimental: { adapter: true },
    engine: 'js',
    schema: path.join(dir, 'schema.prisma'),
    migrations: { path: path.join(dir, 'migrations') },
    adapter: async () => {
      const url = new URL(process.env.DATABASE_URL ?? FALLBACK_URL);
      const config: pg.PoolConfig = {
        host: url.hostname,
        port: Number(url.port || 5432),
        user: decodeURIComponent(url.username),
        password: decodeURIComponent(url.password),
        database: decodeURIComponent(url.pathname.slice(1)),
        // Unqualified migration SQL and `_prisma_migrations` land in the subgraph's schema.
        options: `-c search_path=${subgraph}`,
        allowExitOnIdle: true,
      };
      const pool = new pg.Pool({ ...config, Client: IntrospectionClient });
      return withShadowDatabase(new PrismaPg(pool, { schema: subgraph, disposeExternalPool: true }), config, subgraph);
    },
  });
}

/**
 * adapter-pg's own shadow database is dropped while its pool still holds a
 * connection ("is being accessed by other users"), and the database name would
 * be overridden by a connection string. This one ends the pool first, then
 * drops the database WITH (FORCE).
 */
function withShadowDatabase(factory: PrismaPg, config: pg.PoolConfig, schema: string): PrismaPg {
  factory.connectToShadowDb = async () => {
    const main = await factory.connect();
    const database = `prisma_migrate_shadow_db_${randomUUID()}`;
    await main.executeScript(`CREATE DATABASE "${database}"`);
    const pool = new pg.Pool({ ...config, database, Client: IntrospectionClient });
    pool.on('error', () => undefined); // idle connections ended by the drop below
    const shadow = await new PrismaPg(pool, { schema, disposeExternalPool: true }).connect();
    const dispose = shadow.dispose.bind(shadow);
    shadow.dispose = async () => {
      await dispose();
      // `main` shares the factory's pool, which the engine disposes of itself.
      await main.executeScript(`DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`);
    };
    return shadow;
  };
  return factory;
}

/** Postgres `"char"` (18), `name` (19) and their arrays: catalog types adapter-pg 6.19 cannot map, as text / text[]. */
const CATALOG_TYPES_AS_TEXT = new Map([
  [18, 25],
  [19, 25],
  [1002, 1009],
  [1003, 1009],
]);

/**
 * The schema engine introspects catalog columns of types `name` and `"char"`,
 * which adapter-pg 6.19 cannot deserialize (prisma/orm#27403). Their values come
 * back as strings anyway, so reporting them as text is exact.
 */
class IntrospectionClient extends pg.Client {
  override query(...args: unknown[]): any {
    const callback = args.at(-1);
    if (typeof callback === 'function') {
      // pg.Pool#query passes a callback
      args[args.length - 1] = (err: unknown, result: unknown) =>
        callback(err, result && reportCatalogTypesAsText(result));
    }
    const result = (super.query as (...a: unknown[]) => unknown)(...args);
    return result instanceof Promise ? result.then(reportCatalogTypesAsText) : result;
  }
}

function reportCatalogTypesAsText<T>(result: T): T {
  for (const field of (result as { fields?: { dataTypeID: number }[] }).fields ?? []) {
    field.dataTypeID = CATALOG_TYPES_AS_TEXT.get(field.dataTypeID) ?? field.dataTypeID;
  }
  return result;
}
