/**
 * Takes completed MEDICINE/MATERIAL requests out of stock. Consumes
 * `request.status_changed` from a durable queue with manual acks; an event applies
 * once (its eventId is recorded in the same transaction as the stock change);
 * malformed messages, and ones that keep failing, go to the dead-letter queue so
 * they never block the queue or crash the consumer.
 */
import { isUuid, ROUTING_KEYS, type Delivery, type EventBus, type Logger, type RequestEvent, type Subscription } from '@asky/shared';
import type { PyxisPrisma } from '../data/client';

/** Attempts before a message that keeps failing is dead-lettered. */
const MAX_ATTEMPTS = 5;

export const STOCK_QUEUE = 'pyxis.stock';

/** The fields this consumer relies on, checked before anything is applied. */
function readEvent(body: unknown): RequestEvent | undefined {
  const event = body as Partial<RequestEvent> | undefined;
  const idOrNull = (v: unknown) => v === null || v === undefined || (typeof v === 'string' && isUuid(v));
  const ok =
    typeof event === 'object' && event !== null &&
    typeof event.eventId === 'string' && isUuid(event.eventId) &&
    typeof event.requestId === 'string' && isUuid(event.requestId) &&
    typeof event.status === 'string' && typeof event.kind === 'string' &&
    idOrNull(event.dispenserId) && idOrNull(event.medicineId) && idOrNull(event.materialId) && idOrNull(event.changedById) &&
    (event.quantity === null || event.quantity === undefined || (Number.isInteger(event.quantity) && event.quantity > 0));
  return ok ? (event as RequestEvent) : undefined;
}

export class StockConsumer {
  private subscription?: Subscription;
  private loop?: Promise<void>;
  private readonly attempts = new Map<string, number>();

  constructor(
    private readonly prisma: PyxisPrisma,
    private readonly bus: EventBus,
    private readonly logger: Logger,
    private readonly queuePrefix = '',
  ) {}

  async start(): Promise<void> {
    this.subscription = await this.bus.subscribe({ queue: `${this.queuePrefix}${STOCK_QUEUE}`, bindings: [ROUTING_KEYS.requestStatusChanged] });
    this.loop = (async () => {
      for await (const delivery of this.subscription!) await this.handle(delivery);
    })();
  }

  async stop(): Promise<void> {
    await this.subscription?.close();
    await this.loop;
  }

  private async handle(delivery: Delivery): Promise<void> {
    const event = readEvent(delivery.body);
    if (!event) {
      this.logger.warn({ messageId: delivery.messageId, routingKey: delivery.routingKey }, 'malformed event dead-lettered');
      delivery.deadLetter();
      return;
    }
    try {
      await this.apply(event);
      this.attempts.delete(event.eventId);
      delivery.ack();
    } catch (err) {
      const attempts = (this.attempts.get(event.eventId) ?? 0) + 1;
      this.attempts.set(event.eventId, attempts);
      this.logger.error({ err, eventId: event.eventId, attempts }, 'applying an event failed');
      if (attempts >= MAX_ATTEMPTS) {
        this.attempts.delete(event.eventId);
        delivery.deadLetter();
      } else {
        delivery.retry();
      }
    }
  }

  /** Decrements the slot holding the item, at most down to zero; once per eventId. */
  async apply(event: RequestEvent): Promise<void> {
    const dispenses = event.status === 'COMPLETED' && event.kind !== 'ASSISTANCE' && event.dispenserId && event.quantity;
    if (!dispenses) return;
    await this.prisma.$transaction(async (tx) => {
      const first = await tx.processedEvent.createMany({ data: [{ eventId: event.eventId }], skipDuplicates: true });
      if (first.count === 0) return; // delivered before: already applied
      const item = event.medicineId ? { medicineId: event.medicineId } : { materialId: event.materialId! };
      const slot = await tx.stockItem.findFirst({ where: { dispenserId: event.dispenserId!, ...item }, orderBy: { quantity: 'desc' } });
      if (!slot) {
        this.logger.warn({ eventId: event.eventId }, 'completed request names an item its dispenser does not hold');
        return;
      }
      // Lock the row, then take what is there: stock never goes below zero.
      const [locked] = await tx.$queryRaw<{ quantity: number }[]>`SELECT quantity FROM pyxis."StockItem" WHERE id = ${slot.id}::uuid FOR UPDATE`;
      const taken = Math.min(event.quantity!, locked!.quantity);
      const after = await tx.stockItem.update({ where: { id: slot.id }, data: { quantity: { decrement: taken } } });
      const short = event.quantity! - taken;
      await tx.stockMovement.create({
        data: {
          stockItemId: slot.id,
          kind: 'DISPENSE',
          delta: -taken,
          quantityAfter: after.quantity,
          reason: `request ${event.requestId} completed${short ? ` (${short} short)` : ''}`,
          lot: slot.lot,
          actorId: event.changedById ?? event.requesterId,
        },
      });
    });
  }
}
