/**
 * Builds a Prisma CLI config for one subgraph's schema. Prisma 6.19 can only work
 * offline with the wasm ("js") schema engine over a driver adapter, so every schema
 * needs this even just to `generate` (see shared/NOTES.md).
 */
import path from 'node:path';
import { defineConfig } from 'prisma/config';
import { PrismaPg } from '@prisma/adapter-pg';

const FALLBACK_URL = 'postgresql://postgres@127.0.0.1:5432/asky';

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
      // Separate fields, not a connection string: adapter-pg derives the shadow
      // database's config as `{ ...config, database }`, which a string would override.
      return new PrismaPg(
        {
          host: url.hostname,
          port: Number(url.port || 5432),
          user: decodeURIComponent(url.username),
          password: decodeURIComponent(url.password),
          database: url.pathname.slice(1),
          options: `-c search_path=${subgraph}`,
        },
        { schema: subgraph },
      );
    },
  });
}
