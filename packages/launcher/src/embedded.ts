/**
 * `npm start`'s embedded default, apart from database.ts so that what images run
 * (the services, the production migration) never loads PGlite: it and its Prisma
 * adapter are optional dependencies, left out of images.
 */
import { mkdirSync } from 'node:fs';
import { PGlite } from '@electric-sql/pglite';
import { PrismaPGlite } from 'pglite-prisma-adapter';
import type { PreparedDatabase } from './database';
import { initDbScripts } from './initDb';

/**
 * The embedded default: PGlite (Postgres compiled to wasm) in this process, its
 * files under `dataDir`. One instance serves every subgraph, so the per-role
 * separation of a real server does not apply here.
 */
export async function prepareEmbedded(dataDir: string): Promise<PreparedDatabase> {
  mkdirSync(dataDir, { recursive: true });
  const pglite = await PGlite.create({ dataDir });
  for (const script of initDbScripts()) await pglite.exec(script.sql);
  return {
    description: `embedded PGlite in ${dataDir} (set DATABASE_URL to use a Postgres server)`,
    target: () => ({ kind: 'embedded', adapter: new PrismaPGlite(pglite) }),
    close: () => pglite.close(),
  };
}
