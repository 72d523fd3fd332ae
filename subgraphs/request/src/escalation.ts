/**
 * Escalation: a STAT or ASAP request nobody accepted within its priority's time
 * is announced as `request.escalated` (level 1), and again once as long again
 * has passed with it still PENDING (level 2) — for boards to show and the unit's
 * supervisors to be told. Each pass claims the due rows FOR UPDATE SKIP LOCKED
 * and raises their level in the transaction that writes the event to the
 * outbox, so N replicas escalate each request once per level.
 */
import { randomUUID } from 'node:crypto';
import { ROUTING_KEYS, type EscalationPolicy, type Logger, type RequestEscalatedEvent } from '@asky/shared';
import type { RequestPrisma } from './data/client';
import type { Request } from './generated/prisma/client';
import { addToOutbox } from './events';

/** Rows one pass escalates per priority at most (the rest: next pass). */
const BATCH = 100;

function escalationEvent(request: Request, level: number, waitedSeconds: number, at: Date): RequestEscalatedEvent {
  return {
    eventId: randomUUID(),
    type: ROUTING_KEYS.requestEscalated,
    occurredAt: at.toISOString(),
    requestId: request.id,
    kind: request.kind,
    priority: request.priority,
    status: request.status,
    level,
    waitedSeconds,
    requesterId: request.requesterId,
    dispenserId: request.dispenserId,
    unit: request.unit,
  };
}

export class Escalator {
  private timer?: NodeJS.Timeout;
  private running?: Promise<unknown>;

  constructor(
    private readonly prisma: RequestPrisma,
    private readonly policy: EscalationPolicy,
    private readonly logger: Logger,
    /** Called after a pass escalated something, so the relay publishes at once. */
    private readonly committed: () => void = () => undefined,
  ) {}

  start(): void {
    this.timer = setInterval(() => {
      this.running ??= this.escalateDue()
        .catch((err: unknown) => this.logger.warn({ err }, 'escalation pass failed: the next one retries'))
        .finally(() => (this.running = undefined));
    }, this.policy.checkEveryMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }

  /** Escalates every request due now; answers how many. */
  async escalateDue(now = new Date()): Promise<number> {
    let escalated = 0;
    for (const [priority, seconds] of Object.entries(this.policy.afterSeconds) as [Request['priority'], number][]) {
      const first = new Date(now.getTime() - seconds * 1000);
      const second = new Date(now.getTime() - 2 * seconds * 1000);
      escalated += await this.prisma.$transaction(async (tx) => {
        const due = await tx.$queryRaw<Request[]>`
          SELECT * FROM request."Request"
          WHERE status = 'PENDING' AND priority = ${priority}::request."Priority" AND "createdAt" <= ${first}
            AND "escalationLevel" < CASE WHEN "createdAt" <= ${second} THEN 2 ELSE 1 END
          ORDER BY "createdAt" LIMIT ${BATCH} FOR UPDATE SKIP LOCKED`;
        for (const request of due) {
          const level = request.createdAt <= second ? 2 : 1;
          await tx.request.update({ where: { id: request.id }, data: { escalationLevel: level, escalatedAt: now } });
          const waitedSeconds = Math.round((now.getTime() - request.createdAt.getTime()) / 1000);
          await addToOutbox(tx, escalationEvent(request, level, waitedSeconds, now));
        }
        return due.length;
      });
    }
    if (escalated) {
      this.logger.info({ escalated }, 'unattended requests escalated');
      this.committed();
    }
    return escalated;
  }
}
