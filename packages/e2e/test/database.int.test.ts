import { adminQuery, createTestDatabase, type TestDatabase } from '@asky/testing';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { initDbScripts, REPO_ROOT } from '@asky/launcher';
import { preparePostgres, serviceRoleUrl } from '@asky/launcher';
import { createLogger, verifyPassword } from '@asky/shared';

let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase();
  await preparePostgres(database.url, createLogger('test', 'silent'));
});
afterAll(() => database?.drop());

/** Runs `sql` as a subgraph's role, or as the admin. */
const as = (role: 'auth' | 'pyxis' | 'request' | 'admin', sql: string) =>
  adminQuery(sql, role === 'admin' ? database.url : serviceRoleUrl(database.url, role));

const count = async (table: string) => Number((await as('admin', `SELECT count(*) FROM ${table}`)).rows[0].count);

describe('init-db on a real Postgres', () => {
  it('keeps each subgraph role out of the other schemas', async () => {
    await expect(as('pyxis', 'SELECT * FROM auth."User"')).rejects.toMatchObject({ code: '42501' });
    await expect(as('pyxis', 'SELECT * FROM request."Request"')).rejects.toMatchObject({ code: '42501' });
    await expect(as('request', 'SELECT * FROM auth."User"')).rejects.toMatchObject({ code: '42501' });
    await expect(as('auth', 'SELECT * FROM pyxis."Medicine"')).rejects.toMatchObject({ code: '42501' });
  });

  it('lets each subgraph role read and write its own tables but not change the schema', async () => {
    expect((await as('pyxis', 'SELECT count(*) FROM pyxis."Medicine"')).rows[0].count).not.toBe('0');
    expect((await as('auth', 'SELECT count(*) FROM auth."User"')).rows[0].count).toBe('5');
    await expect(as('pyxis', 'CREATE TABLE pyxis.intruder (id int)')).rejects.toMatchObject({ code: '42501' });
    await expect(as('pyxis', 'DROP TABLE pyxis."Medicine"')).rejects.toMatchObject({ code: '42501' });
  });

  it('keeps the stock movement log append-only and stock never below zero', async () => {
    await expect(as('pyxis', 'DELETE FROM pyxis."StockMovement"')).rejects.toMatchObject({ code: '42501' });
    await expect(as('pyxis', `UPDATE pyxis."StockMovement" SET delta = 0`)).rejects.toMatchObject({ code: '42501' });
    await expect(as('pyxis', 'UPDATE pyxis."StockItem" SET quantity = -1')).rejects.toMatchObject({ code: '23514' });
  });

  it("keeps a request's status history append-only", async () => {
    await expect(as('request', 'DELETE FROM request."StatusHistory"')).rejects.toMatchObject({ code: '42501' });
    await expect(as('request', `UPDATE request."StatusHistory" SET note = 'x'`)).rejects.toMatchObject({
      code: '42501',
    });
  });

  it('records every Prisma migration as applied, with its checksum', async () => {
    for (const schema of ['auth', 'pyxis', 'request']) {
      const folders = readdirSync(path.join(REPO_ROOT, 'prisma', schema, 'migrations'), { withFileTypes: true })
        .filter((entry) => entry.isDirectory())
        .map((entry) => entry.name)
        .sort();
      const { rows } = await as(
        'admin',
        `SELECT migration_name, checksum, finished_at FROM ${schema}."_prisma_migrations" ORDER BY migration_name`,
      );
      expect(rows).toEqual(
        folders.map((name) => ({
          migration_name: name,
          checksum: expect.stringMatching(/^[0-9a-f]{64}$/),
          finished_at: expect.any(Date),
        })),
      );
    }
  });

  it('does no harm when run again', async () => {
    const tables = [
      'auth."User"',
      'pyxis."Medicine"',
      'pyxis."StockItem"',
      'request."Request"',
      'request."StatusHistory"',
    ];
    const before = await Promise.all(tables.map(count));
    for (const script of initDbScripts()) await as('admin', script.sql);
    expect(await Promise.all(tables.map(count))).toEqual(before);
  });

  it('has the mock users of the API contract, one per role', async () => {
    const { rows } = await as('admin', 'SELECT email, role, active FROM auth."User" ORDER BY email');
    expect(rows).toEqual([
      { email: 'admin@asky.local', role: 'ADMIN', active: true },
      { email: 'charge@asky.local', role: 'CHARGE_NURSE', active: true },
      { email: 'nurse@asky.local', role: 'NURSE', active: true },
      { email: 'pharmacist@asky.local', role: 'PHARMACIST', active: true },
      { email: 'technician@asky.local', role: 'TECHNICIAN', active: true },
    ]);
  });

  it("stores the nurse's documented password as a scrypt hash that verifies", async () => {
    const { rows } = await as('admin', `SELECT "passwordHash" FROM auth."User" WHERE email = 'nurse@asky.local'`);
    expect(rows[0].passwordHash).toMatch(/^scrypt\$/);
    expect(await verifyPassword('asky-nurse', rows[0].passwordHash)).toBe(true);
    expect(await verifyPassword('asky-admin', rows[0].passwordHash)).toBe(false);
  });

  it('has requests in several statuses, each with its history', async () => {
    const { rows } = await as('admin', `SELECT DISTINCT status FROM request."Request"`);
    expect(rows.length).toBeGreaterThanOrEqual(5);
    const { rows: orphans } = await as(
      'admin',
      `SELECT id FROM request."Request" r WHERE NOT EXISTS (SELECT 1 FROM request."StatusHistory" h WHERE h."requestId" = r.id)`,
    );
    expect(orphans).toEqual([]);
  });
});

describe('npm run db:migrate (the production migration)', () => {
  it('creates the database, roles, schemas and tables without mock data, and can run again', async () => {
    const { execFile } = await import('node:child_process');
    const fresh = await createTestDatabase();
    await adminQuery(`DROP DATABASE ${fresh.url.pathname.slice(1)}`); // the migration creates it
    const run = () =>
      new Promise<{ code: number | null; stdout: string }>((resolve) => {
        const child = execFile(
          process.execPath,
          ['--conditions=typescript', '--import', 'tsx', 'packages/launcher/src/migrate.ts'],
          // The role password given is the development one: roles are cluster-wide and other tests use them.
          {
            cwd: REPO_ROOT,
            env: {
              ...process.env,
              DATABASE_URL: fresh.url.href,
              AUTH_DATABASE_URL: serviceRoleUrl(fresh.url, 'auth').href,
            },
          },
          (_err, stdout) => resolve({ code: child.exitCode, stdout }),
        );
      });
    try {
      const first = await run();
      expect(first.code).toBe(0);
      expect(first.stdout).toMatch(/migrated \(no mock data\), passwords set for asky_auth/);
      const rows = async (sql: string) => (await adminQuery(sql, fresh.url)).rows;
      expect(await rows('SELECT count(*)::int AS n FROM auth."User"')).toEqual([{ n: 0 }]);
      expect(await rows('SELECT count(*)::int AS n FROM pyxis."Medicine"')).toEqual([{ n: 0 }]);
      expect((await rows('SELECT count(*)::int AS n FROM request._prisma_migrations'))[0].n).toBeGreaterThan(0);
      expect((await run()).code).toBe(0);
      // The subgraph role works on the new database as on the demo one.
      expect(
        (await adminQuery('SELECT count(*)::int AS n FROM request."Request"', serviceRoleUrl(fresh.url, 'request')))
          .rows,
      ).toEqual([{ n: 0 }]);
    } finally {
      await fresh.drop();
    }
  }, 60_000);

  it('lets the pods of a rollout migrate at once: one at a time, each migration applied once', async () => {
    const fresh = await createTestDatabase();
    await fresh.drop(); // not there yet: the first migrator creates it
    try {
      const logger = createLogger('test', 'silent');
      const migrators = await Promise.allSettled(
        [1, 2, 3, 4].map(() => preparePostgres(fresh.url, logger, { mockData: false })),
      );
      expect(migrators.map((m) => (m.status === 'rejected' ? String(m.reason) : m.status))).toEqual([
        'fulfilled',
        'fulfilled',
        'fulfilled',
        'fulfilled',
      ]);
      const applied = await adminQuery(
        'SELECT count(*)::int AS n, count(DISTINCT migration_name)::int AS distinct FROM request._prisma_migrations',
        fresh.url,
      );
      expect(applied.rows[0].n).toBe(applied.rows[0].distinct);
      expect(applied.rows[0].n).toBe(
        readdirSync(path.join(REPO_ROOT, 'prisma/request/migrations')).filter((d) => !d.endsWith('.toml')).length,
      );
    } finally {
      await fresh.drop();
    }
  }, 60_000);
});
