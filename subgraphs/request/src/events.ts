import { randomUUID } from 'node:crypto';
import { ROUTING_KEYS, type RequestEvent } from '@asky/shared';
import type { Prisma, Request, RequestStatus } from './generated/prisma/client';

/** The outbox row announcing that `request` was created or moved from `previousStatus`. */
export function outboxEvent(
  request: Request,
  previousStatus: RequestStatus | null,
  changedById: string | null,
  correlationId?: string,
): Prisma.OutboxEventCreateInput {
  const type = previousStatus ? ROUTING_KEYS.requestStatusChanged : ROUTING_KEYS.requestCreated;
  const payload: RequestEvent = {
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
  return {
    id: payload.eventId,
    routingKey: type,
    requestId: request.id,
    payload: payload as unknown as Prisma.InputJsonValue,
  };
}
