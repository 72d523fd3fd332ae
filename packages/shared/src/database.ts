/**
 * Where a subgraph's Prisma client gets its connections: a Postgres server (as
 * the subgraph's own role) or the embedded PGlite shared by every subgraph of a
 * single-process `npm start`.
 */
import { PrismaPg } from '@prisma/adapter-pg';
import type {
  IsolationLevel,
  SqlDriverAdapter,
  SqlDriverAdapterFactory,
  SqlQuery,
  Transaction,
} from '@prisma/driver-adapter-utils';
import type { SubgraphName } from './config';

export type DatabaseTarget =
  | { readonly kind: 'postgres'; readonly url: URL }
  /** PGlite's adapter, made by the launcher: the only part that loads PGlite (not in images). */
  | { readonly kind: 'embedded'; readonly adapter: SqlDriverAdapterFactory };

/**
 * What a subgraph's Prisma client connects through: one adapter (one pool) per
 * client. The adapter is handed out with its `dispose`
 * overridden (an object whose prototype is the adapter: every other method is
 * the adapter's own), so a client connecting again after `$disconnect()` gets a
 * new pool rather than the ended one (as prisma/orm#27157 reports of PrismaPg).
 */
export class PrismaAdapter implements SqlDriverAdapterFactory {
  readonly provider: SqlDriverAdapterFactory['provider'];
  readonly adapterName: string;
  private adapter?: Promise<SqlDriverAdapter>;

  constructor(private readonly inner: SqlDriverAdapterFactory) {
    this.provider = inner.provider;
    this.adapterName = inner.adapterName;
  }

  connect(): Promise<SqlDriverAdapter> {
    this.adapter ??= this.inner.connect().then((adapter) =>
      Object.assign(Object.create(adapter) as SqlDriverAdapter, {
        dispose: async () => {
          this.adapter = undefined; // a client connecting again gets a new pool
          await adapter.dispose();
        },
      }),
    );
    return this.adapter;
  }
}

/** The driver adapter for one subgraph's Prisma client. */
export function createPrismaAdapter(target: DatabaseTarget, schema: SubgraphName): PrismaAdapter {
  if (target.kind === 'embedded') return new PrismaAdapter(target.adapter);
  return new PrismaAdapter(
    new ReleasingAdapterFactory(
      new PrismaPg({ connectionString: target.url.href, max: 10, connectionTimeoutMillis: 5_000 }, { schema }),
    ),
  );
}

/**
 * Prisma 6.19's transaction manager hands a transaction's connection back to the
 * pool only after its COMMIT or ROLLBACK succeeded. When the connection died
 * mid-transaction (Postgres restarted, a network cut) that statement fails, the
 * connection is never released, and each such loss shrinks the pool for good —
 * until every query waits for a connection and `$disconnect()` hangs. This
 * factory's transactions release (and so discard) the connection when their
 * closing statement fails, and at most once (upstream: prisma/orm#29952, a
 * transaction settled twice when its timeout cuts a COMMIT; adapter side in
 * prisma/orm#29954). adapter-pg exposes no way to discard a transaction's
 * connection: its `client` (the pool client) is the one reach inside.
 */
class ReleasingAdapterFactory implements SqlDriverAdapterFactory {
  readonly provider: SqlDriverAdapterFactory['provider'];
  readonly adapterName: string;

  constructor(private readonly inner: SqlDriverAdapterFactory) {
    this.provider = inner.provider;
    this.adapterName = inner.adapterName;
  }

  async connect(): Promise<SqlDriverAdapter> {
    const adapter = await this.inner.connect();
    // The adapter itself (every other method reached through the prototype), its transactions wrapped.
    return Object.assign(Object.create(adapter) as SqlDriverAdapter, {
      startTransaction: async (isolationLevel?: IsolationLevel) =>
        new ReleasingTransaction(await adapter.startTransaction(isolationLevel)),
    });
  }
}

const CLOSING_STATEMENT = /^\s*(COMMIT|ROLLBACK)\s*$/i;

class ReleasingTransaction implements Transaction {
  private released = false;
  readonly provider: Transaction['provider'];
  readonly adapterName: string;
  readonly options: Transaction['options'];

  constructor(private readonly inner: Transaction) {
    this.provider = inner.provider;
    this.adapterName = inner.adapterName;
    this.options = inner.options;
  }

  queryRaw(query: SqlQuery) {
    return this.inner.queryRaw(query);
  }

  async executeRaw(query: SqlQuery): Promise<number> {
    try {
      return await this.inner.executeRaw(query);
    } catch (err) {
      const closing = CLOSING_STATEMENT.exec(query.sql)?.[1]?.toUpperCase();
      if (closing) await this.discard(err);
      // A ROLLBACK that fails leaves nothing to undo: Postgres aborts the transaction of a
      // connection it lost. Prisma sends it from its transaction-timeout timer, where a
      // rejection is unhandled and would end the process.
      if (closing === 'ROLLBACK') return 0;
      throw err;
    }
  }

  commit(): Promise<void> {
    return this.release(() => this.inner.commit());
  }

  rollback(): Promise<void> {
    return this.release(() => this.inner.rollback());
  }

  /** Gives the connection back once, the way the engine asked (commit or rollback). */
  private async release(how: () => Promise<void>): Promise<void> {
    if (this.released) return;
    this.released = true;
    await how();
  }

  /** After a failed closing statement: gives the connection back as broken, so the pool drops it. */
  private async discard(failure: unknown): Promise<void> {
    // adapter-pg keeps the pool client in `client`; `release(error)` makes the pool discard it.
    const client = (this.inner as unknown as { client?: { release?(err?: unknown): void } }).client;
    const broken = failure instanceof Error ? failure : new Error(String(failure));
    await this.release(async () =>
      typeof client?.release === 'function' ? client.release(broken) : this.inner.rollback(),
    );
  }
}

/**
 * Every subgraph's interactive transactions. Prisma's defaults (2 s to get a
 * connection, 5 s to run) failed calls with SERVICE_UNAVAILABLE in a load spike
 * on a busy machine while the gateway would still have waited 10 s for them:
 * waiting and running fit within the gateway's subgraph timeout instead.
 */
export const TRANSACTION_OPTIONS = { maxWait: 4_000, timeout: 6_000 } as const;

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
