/** `npm run db:init-sql`: regenerates init-db's tables scripts from the Prisma migrations. */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { SUBGRAPHS } from '@asky/shared';
import { INIT_DB_DIR, renderTablesScript, tablesScriptName } from './initDb';

for (const subgraph of SUBGRAPHS) {
  const file = path.join(INIT_DB_DIR, tablesScriptName(subgraph));
  writeFileSync(file, renderTablesScript(subgraph));
  process.stdout.write(`wrote ${path.relative(process.cwd(), file)}\n`);
}
