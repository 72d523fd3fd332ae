/**
 * The outbox table, as the relay sees it: the oldest unsent events, claimed
 * FOR UPDATE SKIP LOCKED so several relays never send the same row at once.
 */
import type { RequestPrisma } from './client';

export interface OutboxRow {
  readonly id: string;
  readonly routingKey: string;
  readonly payload: object;
}

export class OutboxRepository {
  constructor(private readonly prisma: RequestPrisma) {}

  /** Events not yet confirmed by the broker: the relay's backlog. */
  unsentCount(): Promise<number> {
    return this.prisma.outboxEvent.count({ where: { sentAt: null } });
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
    const { sent, failure } = await this.prisma.$transaction(
      async (tx) => {
        // One statement claims and reads: the relay wakes on every commit, so its cost is per event.
        const rows = await tx.$queryRaw<OutboxRow[]>`
          SELECT id::text, "routingKey", payload FROM request."OutboxEvent" WHERE "sentAt" IS NULL
          ORDER BY "createdAt", id LIMIT ${limit} FOR UPDATE SKIP LOCKED`;
        const outcomes = await Promise.allSettled(rows.map((row) => send(row)));
        const failed = outcomes.findIndex((outcome) => outcome.status === 'rejected');
        const sent = rows.slice(0, failed === -1 ? rows.length : failed).map((row) => row.id);
        if (sent.length) await tx.$executeRaw`UPDATE request."OutboxEvent" SET "sentAt" = now(), attempts = attempts + 1 WHERE id = ANY(${sent}::uuid[])`;
        // Returned, not thrown: throwing here would roll back the rows marked above.
        return { sent: sent.length, failure: failed === -1 ? undefined : { reason: (outcomes[failed] as PromiseRejectedResult).reason as unknown } };
      },
      { timeout: 60_000 },
    );
    if (failure) throw failure.reason;
    return sent;
  }
}
