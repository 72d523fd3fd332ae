/**
 * Takes completed MEDICINE/MATERIAL requests out of stock, and gives back what
 * cancelled and rejected ones held (their reservations). Consumes
 * `request.status_changed` from a durable queue with manual acks, one message at
 * a time. A message is only a hint: the request's status, item, quantity,
 * dispenser and who completed it are asked of the request service (a forged
 * message cannot dispense nor release), and a request dispenses once (recorded in the same
 * transaction as the stock change), whatever eventIds its messages carry. A
 * database or request service that does not answer (or a serialization or lock
 * failure) pauses consumption with back-off until it does: a blip never sends a
 * real completion to the dead-letter queue. Only messages that can never apply —
 * malformed, naming no item, a request that does not exist or is not in the
 * status the message says,
 * or failing the same way every time — are dead-lettered, counted by
 * `asky_events_dead_lettered_total`.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import {
  ErrorCode,
  hasErrorCode,
  isTransientDatabaseError,
  parseEvent,
  processMetrics,
  ROUTING_KEYS,
  type Delivery,
  type EventBus,
  type Logger,
  type RequestEvent,
  type Subscription,
} from '@asky/shared';
import type { PyxisPrisma } from '../data/client';
import type { StockItem } from '../generated/prisma/client';
import { inTransit, lockSlotsOf, StockReservations, type LockedSlot, type StockedItem } from '../data/reservations';
import { addToLot, takeFirstExpiring, takeFromLots } from '../data/lots';
import { recordMovements } from '../data/stockChanges';
import { handOver } from '../data/custody';
import { openDiscrepancy } from '../data/discrepancies';
import { discrepancyOf } from '../data/discrepancyRules';
import { CLOSING, type RequestState, type RequestSource } from './requests';

/** Attempts before a message that keeps failing for a reason other than the database being away is dead-lettered. */
const MAX_ATTEMPTS = 5;
/** Back-off while the database is away: doubling from 100 ms, at most this. */
const MAX_PAUSE_MS = 5_000;

export const STOCK_QUEUE = 'pyxis.stock';

/** A message that can never apply: dead-lettered at once, with the reason. */
class UnusableEvent extends Error {
  constructor(
    message: string,
    /** The metric's `reason` label. */
    readonly reason: 'malformed' | 'no_item' | 'unknown_request' | 'not_completed' | 'status_differs',
  ) {
    super(message);
  }
}

/** A status change, checked against its schema (by what it is: one moved back from the dead-letter queue comes with the queue's name as its routing key). */
function readEvent(body: unknown): RequestEvent {
  const parsed = parseEvent(ROUTING_KEYS.requestStatusChanged, body);
  if ('refused' in parsed) throw new UnusableEvent(`malformed event: ${parsed.refused}`, 'malformed');
  return parsed.event as RequestEvent;
}

/** The one item a completed MEDICINE/MATERIAL request dispenses; a request naming none (or both) cannot apply. */
function itemOf(request: RequestState): StockedItem {
  if (request.kind === 'MEDICINE' && request.medicineId && !request.materialId)
    return { medicineId: request.medicineId };
  if (request.kind === 'MATERIAL' && request.materialId && !request.medicineId)
    return { materialId: request.materialId };
  throw new UnusableEvent(`a ${request.kind} request must name exactly one ${request.kind.toLowerCase()}`, 'no_item');
}

export class StockConsumer {
  private subscription?: Subscription;
  private loop?: Promise<void>;
  private readonly stopping = new AbortController();
  private readonly reservations: StockReservations;

  constructor(
    private readonly prisma: PyxisPrisma,
    private readonly bus: EventBus,
    private readonly logger: Logger,
    private readonly requests: RequestSource,
    private readonly queuePrefix = '',
  ) {
    this.reservations = new StockReservations(prisma);
  }

  get queue(): string {
    return `${this.queuePrefix}${STOCK_QUEUE}`;
  }

  async start(): Promise<void> {
    this.subscription = await this.bus.subscribe({ queue: this.queue, bindings: [ROUTING_KEYS.requestStatusChanged] });
    this.loop = (async () => {
      for await (const delivery of this.subscription!) await this.handle(delivery);
    })();
  }

  async stop(): Promise<void> {
    this.stopping.abort();
    await this.subscription?.close();
    await this.loop;
  }

  private deadLetter(delivery: Delivery, reason: UnusableEvent['reason'] | 'failed', details: object): void {
    this.logger.warn(
      { ...details, messageId: delivery.messageId, routingKey: delivery.routingKey, reason },
      'event dead-lettered',
    );
    processMetrics.eventsDeadLettered.inc({ queue: STOCK_QUEUE, reason });
    delivery.deadLetter();
  }

  private async handle(delivery: Delivery): Promise<void> {
    let event: RequestEvent;
    try {
      event = readEvent(delivery.body);
    } catch (err) {
      return this.deadLetter(delivery, (err as UnusableEvent).reason, {});
    }
    for (let attempt = 1, pauses = 0; ;) {
      try {
        await this.apply(event);
        if (pauses) this.logger.info({ eventId: event.eventId, pauses }, 'answered again: consuming');
        delivery.ack();
        return;
      } catch (err) {
        if (err instanceof UnusableEvent)
          return this.deadLetter(delivery, err.reason, { eventId: event.eventId, why: err.message });
        if (isTransientDatabaseError(err) || hasErrorCode(err, ErrorCode.SERVICE_UNAVAILABLE)) {
          if (pauses++ === 0)
            this.logger.warn(
              { err, eventId: event.eventId },
              'the database or the request service does not answer: consumption paused, will retry',
            );
          if (this.stopping.signal.aborted) return delivery.retry(); // back to the queue, for the next consumer
          await sleep(Math.min(MAX_PAUSE_MS, 100 * 2 ** Math.min(pauses, 10)), undefined, {
            signal: this.stopping.signal,
          }).catch(() => undefined);
          continue;
        }
        this.logger.error({ err, eventId: event.eventId, attempt }, 'applying an event failed');
        if (attempt++ >= MAX_ATTEMPTS) return this.deadLetter(delivery, 'failed', { eventId: event.eventId });
      }
    }
  }

  /**
   * What a request's closing means for stock, once per request whatever its
   * messages: COMPLETED takes the item out of its dispenser — first from the
   * slots its reservation held, then first expiry first out across the others,
   * one movement per slot, never below zero and never from an expired lot — and
   * ends the reservation; CANCELLED or REJECTED releases it, and a request that
   * was IN_TRANSIT puts back what it carried (a RETURN movement). Messages for
   * other statuses and kinds take nothing.
   */
  async apply(event: RequestEvent): Promise<void> {
    if (event.kind === 'ASSISTANCE' || !(CLOSING.includes(event.status) || event.status === 'IN_TRANSIT')) return;
    const request = await this.requests.request(event.requestId);
    if (!request) throw new UnusableEvent(`request ${event.requestId} does not exist`, 'unknown_request');
    if (event.status === 'IN_TRANSIT') return this.pickUp(request);
    if (request.status !== event.status) {
      throw new UnusableEvent(
        `request ${event.requestId} is ${request.status}, not ${event.status}`,
        event.status === 'COMPLETED' ? 'not_completed' : 'status_differs',
      );
    }
    if (request.kind === 'ASSISTANCE' || !request.dispenserId || !request.quantity) return;
    const item = itemOf(request);
    if (request.status === 'COMPLETED') return this.dispense(request, item, event.eventId);
    // The request service released it at once, normally: this is for when it could not.
    await this.reservations.release(
      request.requestId,
      request.closedFrom === 'IN_TRANSIT'
        ? { actorId: request.closedById, why: inTransit(request.requestId), witnessId: request.closedWitnessId }
        : undefined,
    );
  }

  /**
   * A request picked up: its units go into the carrier's custody. One that has
   * moved on since (completed or closed: those messages take it from there) or
   * holds nothing takes nothing.
   */
  private async pickUp(request: RequestState): Promise<void> {
    if (request.status !== 'IN_TRANSIT' || !request.pickedUpById) return;
    await this.reservations.pickUp({ requestId: request.requestId, carrierId: request.pickedUpById });
  }

  /**
   * Hands over what the request carries (its custody), then takes the rest of
   * its quantity (all of it when it was never picked up into custody) out of its dispenser's slots of the item, first
   * expiry first across all of them and never from an expired lot (which slot
   * its reservation counted against does not matter: the cabinet's totals do).
   * What the count did not have (an override, or stock that changed after the
   * completion's check) opens a discrepancy: the request took it, so the count
   * was wrong.
   */
  private async dispense(request: RequestState, item: StockedItem, eventId: string): Promise<void> {
    await this.prisma.$transaction(async (tx) => {
      const first = await tx.dispensedRequest.createMany({
        data: [{ requestId: request.requestId }],
        skipDuplicates: true,
      });
      if (first.count === 0) return; // dispensed before
      const slots = await lockSlotsOf(tx, request.dispenserId!, item);
      await this.reservations.end(tx, request.requestId, 'DISPENSED');
      const facts = {
        kind: 'DISPENSE',
        reason: `request ${request.requestId} completed${request.overrideReason ? ` (override: ${request.overrideReason})` : ''}`,
        actorId: request.completedById,
        witnessId: request.completedWitnessId,
        requestId: request.requestId,
      } as const;
      let short = request.quantity! - (await handOver(tx, request.requestId, facts));
      if (short <= 0) return;
      const taken = await takeFirstExpiring(
        tx,
        slots.map((slot) => slot.id),
        short,
      );
      let last: LockedSlot | undefined = slots[0];
      let lastNow: StockItem | undefined;
      for (const slot of slots) {
        const parts = taken.get(slot.id);
        if (!parts) continue;
        short += parts.reduce((sum, part) => sum + part.delta, 0);
        last = slot;
        lastNow = await recordMovements(tx, slot, parts, facts);
      }
      if (short === 0) return;
      this.logger.warn(
        { eventId, requestId: request.requestId, short, override: !!request.overrideReason },
        'completed request took more than the count had: discrepancy opened',
      );
      if (!last) return; // the dispenser holds no slot of the item at all: nothing to correct
      const before = last.quantity;
      // The units were there (the request took them): found, then dispensed, so the register
      // says what the patient received — as the request's FHIR MedicationDispense does.
      const found = await recordMovements(tx, lastNow ?? last, [await addToLot(tx, last.id, null, null, short)], {
        ...facts,
        kind: 'COUNT',
        reason: `found at dispense beyond the count: request ${request.requestId}${request.overrideReason ? ` (override: ${request.overrideReason})` : ''}`,
      });
      await recordMovements(tx, found, await takeFromLots(tx, last.id, short, { lot: null, expired: false }), facts);
      const opened = discrepancyOf({ kind: 'DISPENSE', expected: before, beyondCount: short });
      if (opened)
        await openDiscrepancy(tx, {
          ...opened,
          slot: last,
          requestId: request.requestId,
          openedById: request.completedById,
          openedWitnessId: request.completedWitnessId,
        });
    });
  }
}
