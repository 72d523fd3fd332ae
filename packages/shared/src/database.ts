/**
 * Where a subgraph's Prisma client gets its connections: a Postgres server (as
 * the subgraph's own role) or the embedded PGlite shared by every subgraph of a
 * single-process `npm start`.
 */
import type { PGlite } from '@electric-sql/pglite';
import { PrismaPg } from '@prisma/adapter-pg';
import { PrismaPGlite } from 'pglite-prisma-adapter';
import type { SubgraphName } from './config';

export type DatabaseTarget =
  | { readonly kind: 'postgres'; readonly url: URL }
  | { readonly kind: 'embedded'; readonly pglite: PGlite };

export type PrismaAdapter = PrismaPg | PrismaPGlite;

/** The driver adapter for one subgraph's Prisma client. */
export function createPrismaAdapter(target: DatabaseTarget, schema: SubgraphName): PrismaAdapter {
  if (target.kind === 'embedded') return new PrismaPGlite(target.pglite);
  return new PrismaPg(
    { connectionString: target.url.href, max: 10, connectionTimeoutMillis: 5_000 },
    { schema },
  );
}

/** A Prisma client as far as health checks and shutdown need it. */
export interface PrismaLike {
  $queryRawUnsafe(sql: string): Promise<unknown>;
  $disconnect(): Promise<void>;
}

/** Whether the database answers a trivial query. */
export async function databaseReachable(prisma: PrismaLike): Promise<boolean> {
  try {
    await prisma.$queryRawUnsafe('SELECT 1');
    return true;
  } catch {
    return false;
  }
}

/** Prisma client options Asky passes through: today, query events for counting SQL. */
export interface PrismaClientExtras {
  readonly log?: { emit: 'event'; level: 'query' }[];
}

/** Calls `listener` with every SQL statement a client created with `log: query events` sends. */
export function onQuery(prisma: PrismaLike, listener: (sql: string) => void): void {
  const withEvents = prisma as unknown as { $on(event: 'query', cb: (e: { query: string }) => void): void };
  withEvents.$on('query', (event) => listener(event.query));
}
