/**
 * The transactional outbox: a service writes its events to its own schema's
 * "OutboxEvent" table in the transaction that makes the change, and the relay
 * publishes them in creation order with publisher confirms, marking them sent
 * only once the broker confirmed. Broker down → rows wait and go out on
 * reconnect; a crash between publish and mark → the row is published again (at
 * least once; consumers de-duplicate by eventId). Rows are claimed with FOR
 * UPDATE SKIP LOCKED, so several replicas can relay safely.
 */
import type { EventBus } from './types';
import type { Logger } from '../logger';

/** What the outbox needs of a Prisma client: raw SQL, and interactive transactions. */
interface RawSql {
  $queryRawUnsafe<T = unknown>(query: string, ...values: unknown[]): Promise<T>;
  $executeRawUnsafe(query: string, ...values: unknown[]): Promise<number>;
}
export interface OutboxDatabase extends RawSql {
  $transaction<R>(fn: (tx: RawSql) => Promise<R>, options?: { timeout?: number }): Promise<R>;
}

export interface OutboxRow {
  readonly id: string;
  readonly routingKey: string;
  readonly payload: object;
}

export class OutboxRepository {
  private readonly table: string;

  /** @param schema the Postgres schema whose "OutboxEvent" table this is (a name in code, never input) */
  constructor(
    private readonly db: OutboxDatabase,
    schema: string,
  ) {
    if (!/^[a-z_]+$/.test(schema)) throw new Error(`not a schema name: ${schema}`);
    this.table = `${schema}."OutboxEvent"`;
  }

  /** Events not yet confirmed by the broker: the relay's backlog. */
  async unsentCount(): Promise<number> {
    const [row] = await this.db.$queryRawUnsafe<{ n: number }[]>(`SELECT count(*)::int AS n FROM ${this.table} WHERE "sentAt" IS NULL`);
    return row?.n ?? 0;
  }

  /**
   * Claims up to `limit` unsent rows, oldest first, `send`s them in order and
   * marks sent those `send` resolved for — in one transaction, so a row is
   * marked only once confirmed and stays locked until then. The sends go out
   * together (publisher confirms pipelined: one round trip per batch, not per
   * row); after a failed one only the rows before it are marked, so the rest is
   * sent again, in order (at least once). The first failure is rethrown once
   * those marks are committed.
   */
  async relayUnsent(limit: number, send: (row: OutboxRow) => Promise<void>): Promise<number> {
    const { sent, failure } = await this.db.$transaction(
      async (tx) => {
        // One statement claims and reads: the relay wakes on every commit, so its cost is per event.
        const rows = await tx.$queryRawUnsafe<OutboxRow[]>(
          `SELECT id::text, "routingKey", payload FROM ${this.table} WHERE "sentAt" IS NULL ORDER BY "createdAt", id LIMIT $1 FOR UPDATE SKIP LOCKED`,
          limit,
        );
        const outcomes = await Promise.allSettled(rows.map((row) => send(row)));
        const failed = outcomes.findIndex((outcome) => outcome.status === 'rejected');
        const sent = rows.slice(0, failed === -1 ? rows.length : failed).map((row) => row.id);
        if (sent.length) await tx.$executeRawUnsafe(`UPDATE ${this.table} SET "sentAt" = now(), attempts = attempts + 1 WHERE id = ANY($1::uuid[])`, sent);
        // Returned, not thrown: throwing here would roll back the rows marked above.
        return { sent: sent.length, failure: failed === -1 ? undefined : { reason: (outcomes[failed] as PromiseRejectedResult).reason as unknown } };
      },
      { timeout: 60_000 },
    );
    if (failure) throw failure.reason;
    return sent;
  }
}

export interface RelayOptions {
  /** Pause between polls when there is nothing to send. @default 100 */
  readonly idleMs?: number;
  /** Rows per transaction. @default 100 */
  readonly batchSize?: number;
  /** Told each time the relay goes to sleep, having found nothing to send (tests wait on it instead of sleeping). */
  readonly onIdle?: () => void;
}

export class OutboxRelay {
  private running = false;
  private loop?: Promise<void>;
  private wake?: () => void;
  /** A commit happened since the current batch started: look again before sleeping. */
  private nudged = false;

  constructor(
    readonly outbox: OutboxRepository,
    private readonly bus: EventBus,
    private readonly logger: Logger,
    private readonly options: RelayOptions = {},
  ) {}

  start(): void {
    this.running = true;
    this.loop = this.run();
  }

  /** Something was just committed to the outbox: relay it now rather than at the next poll. */
  nudge(): void {
    this.nudged = true;
    this.wake?.();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.wake?.();
    await this.loop;
  }

  private async run(): Promise<void> {
    let failures = 0;
    while (this.running) {
      let sent = 0;
      this.nudged = false;
      try {
        sent = await this.relayBatch();
        failures = 0;
      } catch (err) {
        failures++;
        if (failures === 1) this.logger.warn({ err }, 'outbox relay: publishing paused, will retry');
      }
      // Back off while the broker is away; go straight on while there is more to send.
      if (sent === 0 && !(this.nudged && !failures)) await this.sleep(failures ? Math.min(5_000, 100 * 2 ** failures) : (this.options.idleMs ?? 100));
    }
  }

  /** Publishes one batch; returns how many rows were sent. */
  async relayBatch(): Promise<number> {
    if (!this.bus.connected()) throw new Error('event bus not connected');
    return this.outbox.relayUnsent(this.options.batchSize ?? 100, (row) => this.bus.publish(row.routingKey, row.payload, row.id));
  }

  private sleep(ms: number): Promise<void> {
    const asleep = new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.wake = () => {
        this.wake = undefined;
        clearTimeout(timer);
        resolve();
      };
    });
    this.options.onIdle?.();
    return asleep;
  }
}
