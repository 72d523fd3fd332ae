/**
 * `npm run db:migrate`, and the Kubernetes `migrate` init containers: applies init-db to the
 * database at `DATABASE_URL` (an admin connection; the database is created when
 * missing) — roles, schemas, tables (each Prisma migration once, recorded in
 * `<schema>._prisma_migrations`), grants, constraints — without the mock data.
 * With `<SUBGRAPH>_DATABASE_URL` set, that subgraph's role gets the password in
 * it, so the services' own secrets define their roles' passwords. Idempotent.
 */
import { ConfigError, createLogger, postgresUrl, readEnv, runMain, SUBGRAPHS } from '@asky/shared';
import { preparePostgres } from './database';

runMain(async () => {
  // This tool's own environment: the admin connection, and each role's (for its password).
  const env = readEnv(
    Object.fromEntries(
      ['DATABASE_URL', ...SUBGRAPHS.map((s) => `${s.toUpperCase()}_DATABASE_URL`)].map((name) => [name, postgresUrl()]),
    ),
  );
  const adminUrl = env.DATABASE_URL as URL | undefined;
  if (!adminUrl)
    throw new ConfigError(
      'DATABASE_URL is required: an admin connection, e.g. postgresql://postgres@127.0.0.1:5432/asky',
    );
  const rolePasswords: Record<string, string> = {};
  for (const subgraph of SUBGRAPHS) {
    const url = env[`${subgraph.toUpperCase()}_DATABASE_URL`] as URL | undefined;
    if (url?.password) rolePasswords[`asky_${subgraph}`] = decodeURIComponent(url.password);
  }
  const logger = createLogger('migrate', 'info');
  const prepared = await preparePostgres(adminUrl, logger, { mockData: false, rolePasswords });
  process.stdout.write(
    `${prepared.description}: migrated (no mock data)${Object.keys(rolePasswords).length ? `, passwords set for ${Object.keys(rolePasswords).join(', ')}` : ''}\n`,
  );
  return { stop: prepared.close };
});
