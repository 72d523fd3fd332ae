/**
 * What an event on the broker must look like before anything in a process acts
 * on it: one schema per routing key (asyncapi.json). A message that does not
 * match — wrong types, unknown enum values, prototype keys — is refused whole,
 * never half-used. Parsing builds a fresh object of the known fields only.
 * Events are hints even when valid: what people see is read from the service
 * that owns it.
 */
import { z } from 'zod';
import {
  ROUTING_KEYS,
  type RequestEscalatedEvent,
  type RequestEvent,
  type StockDiscrepancyEvent,
  type StockMovementEvent,
} from './events';
import { isUuid } from './ids';

const id = z.string().refine(isUuid, 'not a UUID');
const optionalId = id.nullable();
const at = z.iso.datetime({ offset: true });
const name = z.string().max(200);

export const REQUEST_KINDS = ['MEDICINE', 'MATERIAL', 'ASSISTANCE'] as const;
export const PRIORITIES = ['ROUTINE', 'URGENT', 'ASAP', 'STAT'] as const;
export const REQUEST_STATUSES = [
  'PENDING',
  'ACCEPTED',
  'PREPARING',
  'IN_TRANSIT',
  'IN_PROGRESS',
  'COMPLETED',
  'CANCELLED',
  'REJECTED',
] as const;
const STOCK_MOVEMENT_KINDS = [
  'ASSIGN',
  'RESTOCK',
  'ADJUST',
  'DISPENSE',
  'RETURN',
  'WASTE',
  'COUNT',
  'RESOLVE',
  'PICK_UP',
] as const;

const requestFacts = {
  eventId: id,
  occurredAt: at,
  requestId: id,
  kind: z.enum(REQUEST_KINDS),
  priority: z.enum(PRIORITIES),
  status: z.enum(REQUEST_STATUSES),
  requesterId: id,
  dispenserId: optionalId,
  unit: name.nullable(),
};

const requestEvent = z.object({
  ...requestFacts,
  type: z.enum([ROUTING_KEYS.requestCreated, ROUTING_KEYS.requestStatusChanged]),
  previousStatus: z.enum(REQUEST_STATUSES).nullable(),
  changedById: optionalId,
  medicineId: optionalId,
  materialId: optionalId,
  quantity: z.number().int().nullable(),
  assigneeId: optionalId,
  correlationId: z.string().max(200).optional(),
}) satisfies z.ZodType<RequestEvent>;

const requestEscalated = z.object({
  ...requestFacts,
  type: z.literal(ROUTING_KEYS.requestEscalated),
  level: z.number().int().min(1).max(10),
  waitedSeconds: z.number().nonnegative(),
}) satisfies z.ZodType<RequestEscalatedEvent>;

const stockPlace = {
  eventId: id,
  occurredAt: at,
  slotId: id,
  slot: name,
  dispenserId: id,
  unit: name,
  medicineId: optionalId,
  materialId: optionalId,
};

const stockMovement = z.object({
  ...stockPlace,
  type: z.literal(ROUTING_KEYS.stockMovement),
  movementId: id,
  kind: z.enum(STOCK_MOVEMENT_KINDS),
  lot: z.string().max(100).nullable(),
  delta: z.number().int(),
  quantityAfter: z.number().int().nonnegative(),
  actorId: id,
  witnessId: optionalId,
  requestId: optionalId,
  reason: z.string().max(2_000).nullable(),
}) satisfies z.ZodType<StockMovementEvent>;

const stockDiscrepancy = z.object({
  ...stockPlace,
  type: z.enum([ROUTING_KEYS.stockDiscrepancyOpened, ROUTING_KEYS.stockDiscrepancyResolved]),
  discrepancyId: id,
  source: z.enum(['COUNT', 'DISPENSE', 'ADJUST', 'TRANSIT']),
  expected: z.number().int(),
  counted: z.number().int(),
  requestId: optionalId,
  actorId: id,
  witnessId: optionalId,
  resolution: z.string().max(2_000).nullable(),
}) satisfies z.ZodType<StockDiscrepancyEvent>;

/** A request event a live board hears of: created, moved, or escalated. */
export type RequestChangeEvent = RequestEvent | RequestEscalatedEvent;
export type StockEvent = StockMovementEvent | StockDiscrepancyEvent;

const SCHEMAS = {
  [ROUTING_KEYS.requestCreated]: requestEvent,
  [ROUTING_KEYS.requestStatusChanged]: requestEvent,
  [ROUTING_KEYS.requestEscalated]: requestEscalated,
  [ROUTING_KEYS.stockMovement]: stockMovement,
  [ROUTING_KEYS.stockDiscrepancyOpened]: stockDiscrepancy,
  [ROUTING_KEYS.stockDiscrepancyResolved]: stockDiscrepancy,
} as const;

type Known = keyof typeof SCHEMAS;
export type EventOf<K extends Known> = z.infer<(typeof SCHEMAS)[K]>;

/**
 * The event a message carries, checked against its routing key's schema (and
 * its `type` against the key it came with); the reason when it is unusable.
 */
export function parseEvent(routingKey: string, body: unknown): { event: EventOf<Known> } | { refused: string } {
  const schema = Object.hasOwn(SCHEMAS, routingKey) ? SCHEMAS[routingKey as Known] : undefined;
  if (!schema) return { refused: `no schema for routing key ${routingKey.slice(0, 100)}` };
  const parsed = schema.safeParse(body);
  if (!parsed.success)
    return {
      refused: parsed.error.issues
        .slice(0, 3)
        .map((i) => `${i.path.join('.') || 'body'}: ${i.message}`)
        .join('; '),
    };
  if (parsed.data.type !== routingKey) return { refused: `type ${parsed.data.type} sent as ${routingKey}` };
  return { event: parsed.data };
}
