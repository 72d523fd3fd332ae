/**
 * Changes to requests. Each writes the request, its history entry and the outbox
 * event announcing it in one transaction: no change without its event, no event
 * without its change.
 */
import { conflict, notFound } from '@asky/shared';
import type { RequestPrisma } from './client';
import type { Prisma, Request, RequestStatus } from '../generated/prisma/client';
import { outboxEvent } from '../events';
import { checkTransition } from '../workflow';
import type { RequestScope } from '../visibility';
import type { Viewer } from '@asky/shared';

type Person = Extract<Viewer, { kind: 'user' }>;

export type NewRequest = Omit<Prisma.RequestUncheckedCreateInput, 'id' | 'status' | 'createdAt' | 'updatedAt' | 'history'>;

const isUniqueViolation = (err: unknown) => (err as { code?: string } | null)?.code === 'P2002';

export class RequestCommands {
  /**
   * @param committed called after each committed change, so the relay can publish at once
   * @param correlationId the client request's id, carried into the events
   */
  constructor(
    private readonly prisma: RequestPrisma,
    private readonly scope: RequestScope,
    private readonly committed: () => void = () => undefined,
    private readonly correlationId?: string,
  ) {}

  /** Creates a request; with a client key already used by this requester, returns that request instead. */
  async create(data: NewRequest): Promise<Request> {
    const existing = await this.byClientKey(data);
    if (existing) return existing;
    try {
      const request = await this.prisma.$transaction(async (tx) => {
        const created = await tx.request.create({ data: { ...data, status: 'PENDING' } });
        await tx.statusHistory.create({ data: { requestId: created.id, toStatus: 'PENDING', changedById: data.requesterId, note: data.note } });
        await tx.outboxEvent.create({ data: outboxEvent(created, null, data.requesterId, this.correlationId) });
        return created;
      });
      this.committed();
      return request;
    } catch (err) {
      // The same key raced in twice: the other attempt won, and that is the answer.
      const winner = isUniqueViolation(err) ? await this.byClientKey(data) : null;
      if (winner) return winner;
      throw err;
    }
  }

  /** Moves a request to `to`; concurrent moves of one request: exactly one wins. */
  async transition(id: string, to: RequestStatus, viewer: Person, note: string | null): Promise<Request> {
    const moved = await this.prisma.$transaction(async (tx) => {
      const current = await tx.request.findFirst({ where: { ...this.scope, id } });
      if (!current) throw notFound('No such request');
      checkTransition(current, to, viewer, note);
      const byStaff = viewer.id !== current.requesterId;
      const updated = await tx.request.updateMany({
        where: { id, status: current.status },
        data: {
          status: to,
          ...(to === 'ACCEPTED' ? { assigneeId: viewer.id } : {}),
          ...(byStaff && note ? { feedback: note } : {}),
        },
      });
      if (updated.count === 0) throw conflict('The request changed meanwhile: reload it and try again');
      const request = await tx.request.findUniqueOrThrow({ where: { id } });
      await tx.statusHistory.create({ data: { requestId: id, fromStatus: current.status, toStatus: to, changedById: viewer.id, note } });
      await tx.outboxEvent.create({ data: outboxEvent(request, current.status, viewer.id, this.correlationId) });
      return request;
    });
    this.committed();
    return moved;
  }

  private byClientKey({ requesterId, clientKey }: NewRequest) {
    return clientKey ? this.prisma.request.findUnique({ where: { requesterId_clientKey: { requesterId, clientKey } } }) : null;
  }
}
