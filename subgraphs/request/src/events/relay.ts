/**
 * The outbox relay: publishes outbox rows in creation order with publisher
 * confirms, and marks them sent only once the broker confirmed. Broker down →
 * rows wait and go out on reconnect; a crash between publish and mark → the row
 * is published again (at least once; consumers de-duplicate by eventId). Rows are
 * claimed with FOR UPDATE SKIP LOCKED, so several replicas can relay safely.
 */
import type { EventBus, Logger } from '@asky/shared';
import type { RequestPrisma } from '../data/client';
import { OutboxRepository } from '../data/outbox';

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
  /** A commit happened since the current batch started: look again before sleeping. */
  private nudged = false;
  private readonly outbox: OutboxRepository;

  constructor(
    prisma: RequestPrisma,
    private readonly bus: EventBus,
    private readonly logger: Logger,
    private readonly options: RelayOptions = {},
  ) {
    this.outbox = new OutboxRepository(prisma);
  }

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
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.wake = () => {
        this.wake = undefined;
        clearTimeout(timer);
        resolve();
      };
    });
  }
}
