/**
 * What the image runs (Dockerfile, docker-compose.yaml, k8s/): one replica of the
 * whole system in this process, over a database migrated beforehand, each subgraph
 * as its own role. Never the embedded Postgres, which images leave out.
 */
import { ConfigError } from '@asky/shared';
import { launch } from './launch';
import { migratedRoles } from './database';

launch(async (config) => {
  if (!config.roleDatabaseUrls)
    throw new ConfigError(
      'A replica needs AUTH_DATABASE_URL, PYXIS_DATABASE_URL and REQUEST_DATABASE_URL (a migrated Postgres)',
    );
  return migratedRoles(config.roleDatabaseUrls);
});
