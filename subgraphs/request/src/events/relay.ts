/**
 * The outbox relay: publishes outbox rows in creation order with publisher
 * confirms, and marks them sent only once the broker confirmed. Broker down →
 * rows wait and go out on reconnect; a crash between publish and mark → the row
 * is published again (at least once; consumers de-duplicate by eventId). Rows are
 * claimed with FOR UPDATE SKIP LOCKED, so several replicas can relay safely.
 */
import type { EventBus, Logger } from '@asky/shared';
import type { RequestPrisma } from '../data/client';

export interface RelayOptions {
  /** Pause between polls when there is nothing to send. @default 100 */
  readonly idleMs?: number;
  /** Rows per transaction. @default 100 */
  readonly batchSize?: number;
}

export class OutboxRelay {
  private running = false;
  private loop?: Promise<void>;
  private wake?: () => void;

  constructor(
    private readonly prisma: RequestPrisma,
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
      try {
        sent = await this.relayBatch();
        failures = 0;
      } catch (err) {
        failures++;
        if (failures === 1) this.logger.warn({ err }, 'outbox relay: publishing paused, will retry');
      }
      // Back off while the broker is away; go straight on while there is more to send.
      if (sent === 0) await this.sleep(failures ? Math.min(5_000, 100 * 2 ** failures) : (this.options.idleMs ?? 100));
    }
  }

  /** Publishes one batch; returns how many rows were sent. */
  async relayBatch(): Promise<number> {
    if (!this.bus.connected()) throw new Error('event bus not connected');
    return this.prisma.$transaction(
      async (tx) => {
        const claimed = await tx.$queryRaw<{ id: string }[]>`
          SELECT id::text FROM request."OutboxEvent" WHERE "sentAt" IS NULL
          ORDER BY "createdAt", id LIMIT ${this.options.batchSize ?? 100} FOR UPDATE SKIP LOCKED`;
        if (claimed.length === 0) return 0;
        const rows = await tx.outboxEvent.findMany({ where: { id: { in: claimed.map((r) => r.id) } }, orderBy: [{ createdAt: 'asc' }, { id: 'asc' }] });
        const sent: string[] = [];
        try {
          for (const row of rows) {
            await this.bus.publish(row.routingKey, row.payload as object, row.id);
            sent.push(row.id);
          }
        } finally {
          // What the broker confirmed is marked even if a later publish failed; the rest waits, in order.
          if (sent.length) await tx.outboxEvent.updateMany({ where: { id: { in: sent } }, data: { sentAt: new Date(), attempts: { increment: 1 } } });
        }
        return sent.length;
      },
      { timeout: 60_000 },
    );
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }
}
