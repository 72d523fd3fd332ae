/**
 * The transactional outbox: a service writes its events to its own schema's
 * "OutboxEvent" table in the transaction that makes the change, and the relay
 * publishes them in creation order with publisher confirms, marking them sent
 * only once the broker confirmed. Broker down → rows wait and go out on
 * reconnect; a crash between publish and mark → the row is published again (at
 * least once; consumers de-duplicate by eventId). A relay leases the rows it
 * publishes (`claimedUntil`, taken in one statement with SKIP LOCKED), so several
 * replicas relay safely, and it holds no transaction or row lock while it waits
 * for the broker: a broker that hangs never holds a database connection.
 */
import type { EventBus } from './types';
import type { Logger } from '../logger';

/** What the outbox needs of a Prisma client: raw SQL, and interactive transactions. */
export interface OutboxDatabase {
  $queryRawUnsafe<T = unknown>(query: string, ...values: unknown[]): Promise<T>;
  $executeRawUnsafe(query: string, ...values: unknown[]): Promise<number>;
}

/** How long a relay may take to publish a batch before another relay may take its rows. */
const LEASE_SECONDS = 60;

export interface OutboxRow {
  readonly id: string;
  readonly routingKey: string;
  readonly payload: object;
}

/** A JSON object, as a database's JSON column takes it. */
type JsonObject = { readonly [key: string]: JsonValue };
type JsonValue = string | number | boolean | null | readonly JsonValue[] | JsonObject;

/** The outbox row an event is written as: its id and routing key are the event's own (`eventId`, `type`). */
export const outboxRow = (event: { readonly eventId: string; readonly type: string }) => ({
  id: event.eventId,
  routingKey: event.type,
  // Events are JSON by construction (eventSchemas.ts checks what consumers receive).
  payload: event as unknown as JsonObject,
});

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
    const [row] = await this.db.$queryRawUnsafe<{ n: number }[]>(
      `SELECT count(*)::int AS n FROM ${this.table} WHERE "sentAt" IS NULL`,
    );
    return row?.n ?? 0;
  }

  /**
   * Leases up to `limit` unsent rows that no live lease holds, oldest first,
   * `send`s them in order and marks sent those `send` resolved for. The sends go
   * out together (publisher confirms pipelined: one round trip per batch, not per
   * row); after a failed one only the rows before it are marked and the others'
   * lease is given back, so they are sent again, in order (at least once). The
   * first failure is rethrown once those marks are written.
   */
  async relayUnsent(limit: number, send: (row: OutboxRow) => Promise<void>): Promise<number> {
    // One statement leases and reads: the relay wakes on every commit, so its cost is per event.
    const leased = await this.db.$queryRawUnsafe<(OutboxRow & { at: number })[]>(
      `UPDATE ${this.table} SET "claimedUntil" = now() + $2::int * interval '1 second' WHERE id IN (
         SELECT id FROM ${this.table} WHERE "sentAt" IS NULL AND ("claimedUntil" IS NULL OR "claimedUntil" < now())
         ORDER BY "createdAt", id LIMIT $1 FOR UPDATE SKIP LOCKED)
       RETURNING id::text, "routingKey", payload, (extract(epoch from "createdAt") * 1000)::float8 AS at`,
      limit,
      LEASE_SECONDS,
    );
    const rows = leased.sort((a, b) => a.at - b.at || (a.id < b.id ? -1 : 1)); // RETURNING keeps no order
    const outcomes = await Promise.allSettled(rows.map((row) => send(row)));
    const failed = outcomes.findIndex((outcome) => outcome.status === 'rejected');
    const sent = rows.slice(0, failed === -1 ? rows.length : failed).map((row) => row.id);
    const unsent = rows.slice(sent.length).map((row) => row.id);
    if (sent.length)
      await this.db.$executeRawUnsafe(
        `UPDATE ${this.table} SET "sentAt" = now(), "claimedUntil" = NULL, attempts = attempts + 1 WHERE id = ANY($1::uuid[])`,
        sent,
      );
    if (unsent.length)
      await this.db.$executeRawUnsafe(
        `UPDATE ${this.table} SET "claimedUntil" = NULL WHERE id = ANY($1::uuid[])`,
        unsent,
      );
    if (failed !== -1) throw (outcomes[failed] as PromiseRejectedResult).reason;
    return sent.length;
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
      if (sent === 0 && !(this.nudged && !failures))
        await this.sleep(failures ? Math.min(5_000, 100 * 2 ** failures) : (this.options.idleMs ?? 100));
    }
  }

  /** Publishes one batch; returns how many rows were sent. */
  async relayBatch(): Promise<number> {
    if (!this.bus.connected()) throw new Error('event bus not connected');
    return this.outbox.relayUnsent(this.options.batchSize ?? 100, (row) =>
      this.bus.publish(row.routingKey, row.payload, row.id),
    );
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
