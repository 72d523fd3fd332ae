/**
 * `npm start`: the whole system in this process, over the database it is given —
 * DATABASE_URL (migrated here, with mock data), the three role URLs of a migrated
 * one, or by default an embedded Postgres (PGlite) in `.asky/pglite`.
 */
import { launch } from './launch';
import { migratedRoles, preparePostgres } from './database';

launch(async (config, logger) =>
  config.roleDatabaseUrls
    ? migratedRoles(config.roleDatabaseUrls)
    : config.databaseUrl
      ? preparePostgres(config.databaseUrl, logger)
      : (await import('./embedded.js')).prepareEmbedded(config.embeddedDataDir),
);
