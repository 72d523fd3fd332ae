import { randomUUID } from 'node:crypto';
import { outboxRow, ROUTING_KEYS, type RequestEscalatedEvent, type RequestEvent } from '@asky/shared';
import type { Prisma, Request, RequestStatus } from './generated/prisma/client';

/**
 * Writes `event` to request's outbox in `tx`, the transaction of the change it
 * announces: it goes out if and only if the change commits.
 */
export const addToOutbox = (tx: Prisma.TransactionClient, event: RequestEvent | RequestEscalatedEvent) =>
  tx.outboxEvent.create({ data: { ...outboxRow(event), requestId: event.requestId } });

/** The event announcing that `request` was created or moved from `previousStatus`. */
export function requestEvent(
  request: Request,
  previousStatus: RequestStatus | null,
  changedById: string | null,
  correlationId?: string,
): RequestEvent {
  const type = previousStatus ? ROUTING_KEYS.requestStatusChanged : ROUTING_KEYS.requestCreated;
  return {
    eventId: randomUUID(),
    type,
    occurredAt: request.updatedAt.toISOString(),
    requestId: request.id,
    kind: request.kind,
    priority: request.priority,
    status: request.status,
    previousStatus,
    requesterId: request.requesterId,
    changedById,
    dispenserId: request.dispenserId,
    medicineId: request.medicineId,
    materialId: request.materialId,
    quantity: request.quantity,
    unit: request.unit,
    assigneeId: request.assigneeId,
    ...(correlationId ? { correlationId } : {}),
  };
}
