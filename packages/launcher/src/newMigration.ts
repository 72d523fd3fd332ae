/**
 * `npm run db:migration -- <subgraph> <name>`: writes the migration that takes the
 * subgraph's migrations to its schema.prisma, then regenerates init-db. It uses
 * `prisma migrate diff` over a shadow database (DATABASE_URL: an admin connection
 * with CREATEDB), which works offline where `migrate dev` does not.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { SUBGRAPHS, type SubgraphName } from '@asky/shared';
import { REPO_ROOT } from './initDb';

const [subgraph, name] = process.argv.slice(2);
if (!SUBGRAPHS.includes(subgraph as SubgraphName) || !name || !/^[a-z0-9_]+$/.test(name)) {
  process.stderr.write(`usage: npm run db:migration -- <${SUBGRAPHS.join('|')}> <snake_case_name>\n`);
  process.exit(2);
}
const dir = path.join(REPO_ROOT, 'prisma', subgraph);
const prisma = (...args: string[]) => {
  try {
    return execFileSync(process.execPath, [path.join(REPO_ROOT, 'node_modules/prisma/build/index.js'), ...args], {
      cwd: REPO_ROOT,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
    });
  } catch {
    process.exit(1); // prisma has said why on stderr
  }
};
const sql = prisma(
  'migrate',
  'diff',
  '--config',
  path.join(dir, 'prisma.config.ts'),
  '--from-migrations',
  path.join(dir, 'migrations'),
  '--to-schema-datamodel',
  path.join(dir, 'schema.prisma'),
  '--script',
);
if (!/^\s*(CREATE|ALTER|DROP)/im.test(sql)) {
  process.stdout.write(`prisma/${subgraph}: no changes, no migration written\n`);
  process.exit(0);
}
const stamp = new Date().toISOString().replace(/\D/g, '').slice(0, 14);
const folder = path.join(dir, 'migrations', `${stamp}_${name}`);
mkdirSync(folder, { recursive: true });
writeFileSync(path.join(folder, 'migration.sql'), sql);
process.stdout.write(`wrote ${path.relative(REPO_ROOT, folder)}/migration.sql — now run npm run db:init-sql\n`);
