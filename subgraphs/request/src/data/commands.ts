/**
 * Changes to requests. Each writes the request, its history entry and the outbox
 * event announcing it in one transaction: no change without its event, no event
 * without its change.
 */
import { randomUUID } from 'node:crypto';
import { badUserInput, conflict, forbidden, notFound } from '@asky/shared';
import type { RequestPrisma } from './client';
import type { Request, RequestStatus } from '../generated/prisma/client';
import { outboxEvent } from '../events';
import { checkTransition } from '../workflow';
import { holdsStock, type StockHolds } from '../stockHolds';
import type { RequestScope } from '../visibility';
import type { Logger, Viewer } from '@asky/shared';

type Person = Extract<Viewer, { kind: 'user' }>;

/** A request as the requester asked for it, validated. */
export type NewRequest = Pick<
  Request,
  | 'kind' | 'priority' | 'requesterId' | 'medicineId' | 'materialId' | 'assistanceTypeId' | 'dispenserId' | 'quantity' | 'note' | 'clientKey' | 'unit'
  | 'patientIdentifier' | 'patientBed' | 'encounterId' | 'orderId'
>;

/** What must match for a retried createRequest (same clientKey) to be the same request. */
/** What a completion records beyond who made it: its witness (controlled medicines) and why it overrode the count. */
export interface Custody {
  readonly witnessId: string | null;
  readonly overrideReason: string | null;
  /** The package barcode scanned at the move, checked already. */
  readonly scannedBarcode: string | null;
}
const NO_CUSTODY: Custody = { witnessId: null, overrideReason: null, scannedBarcode: null };

const SAME_REQUEST_FIELDS = ['kind', 'priority', 'medicineId', 'materialId', 'assistanceTypeId', 'dispenserId', 'quantity', 'note', 'patientIdentifier', 'patientBed', 'encounterId', 'orderId'] as const;

export class RequestCommands {
  /**
   * @param committed called after each committed change, so the relay can publish at once
   * @param correlationId the client request's id, carried into the events
   */
  constructor(
    private readonly prisma: RequestPrisma,
    private readonly scope: RequestScope,
    private readonly stock: StockHolds,
    private readonly committed: () => void = () => undefined,
    private readonly correlationId?: string,
    private readonly logger?: Logger,
  ) {}

  /**
   * Creates a request with its first history entry and its outbox event; with a
   * client key this requester already used, returns that request instead.
   * One statement (three inserts chained by a CTE, atomic as any statement), sent
   * straight to the driver: it is the hottest write of a ward, and an interactive
   * Prisma transaction (round trips, compiled queries) or `$queryRaw` (the query
   * compiler) cost more per create than the rest of it. Positional, cast by hand:
   * rows passed as JSON (`jsonb_populate_record`) cost Postgres more (bench/README.md).
   */
  async create(data: NewRequest): Promise<Request> {
    const at = new Date();
    const request: Request = { ...data, id: randomUUID(), status: 'PENDING', assigneeId: null, feedback: null, receivedById: null, receivedAt: null, escalationLevel: 0, escalatedAt: null, createdAt: at, updatedAt: at };
    const event = outboxEvent(request, null, data.requesterId, this.correlationId);
    const inserted = await this.prisma.direct.query<{ requestId: string }>(
      `WITH created AS (
        INSERT INTO request."Request" (id, kind, status, priority, "requesterId", "medicineId", "materialId", "assistanceTypeId",
          "dispenserId", quantity, note, unit, "clientKey", "createdAt", "updatedAt", "patientIdentifier", "patientBed", "encounterId", "orderId")
        VALUES ($1::uuid, $2::request."RequestKind", 'PENDING', $3::request."Priority", $4::uuid, $5::uuid, $6::uuid, $7::uuid,
          $8::uuid, $9::int, $10::text, $11::text, $12::text, $13::timestamptz, $13::timestamptz, $18::text, $19::text, $20::text, $21::text)
        ON CONFLICT ("requesterId", "clientKey") DO NOTHING
        RETURNING id
      ), history AS (
        INSERT INTO request."StatusHistory" (id, "requestId", "toStatus", "changedById", note, at)
        SELECT $14::uuid, id, 'PENDING', $4::uuid, $10::text, $13::timestamptz FROM created
      )
      INSERT INTO request."OutboxEvent" (id, "routingKey", "requestId", payload, "createdAt")
      SELECT $15::uuid, $16::text, id, $17::jsonb, $13::timestamptz FROM created
      RETURNING "requestId"`,
      [
        request.id, request.kind, request.priority, request.requesterId, request.medicineId, request.materialId, request.assistanceTypeId,
        request.dispenserId, request.quantity, request.note, request.unit, request.clientKey, at.toISOString(),
        randomUUID(), event.id, event.routingKey, JSON.stringify(event.payload),
        request.patientIdentifier, request.patientBed, request.encounterId, request.orderId,
      ],
    );
    if (inserted.length === 1) {
      this.committed();
      return request;
    }
    // The key was used before (or raced in twice): the request it made is the answer —
    // if it is the same request. A key reused for another body is a client bug that
    // would silently drop the new request (another drug, another quantity).
    const existing = await this.byClientKey(data);
    if (!existing) throw new Error('createRequest inserted nothing and found no request with its client key');
    const differs = SAME_REQUEST_FIELDS.filter((field) => existing[field] !== data[field]);
    if (differs.length) throw conflict(`This clientKey was already used for a different request (${differs.join(', ')}): use a new key for a new request`);
    return existing;
  }

  /**
   * Moves a request to `to`; concurrent moves of one request: exactly one wins.
   * Asking again for the move the caller made last (a retry after an answer was
   * lost, e.g. SERVICE_UNAVAILABLE after the commit) answers the request as it
   * is, with no new history entry or event. Accepting a medicine or material
   * request holds its quantity at its dispenser (pyxis refuses with CONFLICT and
   * `available` when it cannot), under the request's row lock; an acceptance
   * that then does not commit gives the hold back. Cancelling or rejecting one
   * releases it once committed (in transit: the item is back, a RETURN movement);
   * if pyxis cannot be told now, the event it consumes releases it.
   */
  async transition(id: string, to: RequestStatus, viewer: Person, note: string | null, custody: Custody = NO_CUSTODY): Promise<Request> {
    let changed = true;
    let reserved: Request | undefined;
    let fromStatus: RequestStatus | undefined;
    const moved = await this.prisma
      .$transaction(async (tx) => {
      const current = await tx.request.findFirst({ where: { ...this.scope, id } });
      if (!current) throw notFound('No such request');
      if (current.status === to) {
        const last = await tx.statusHistory.findFirst({ where: { requestId: id }, orderBy: { at: 'desc' }, select: { toStatus: true, changedById: true } });
        if (last?.toStatus === to && last.changedById === viewer.id) {
          changed = false;
          return current;
        }
      }
      checkTransition(current, to, viewer, note);
      fromStatus = current.status;
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
      if (to === 'ACCEPTED' && holdsStock(current)) {
        await this.stock.reserve(current, viewer.id);
        reserved = current;
      }
      const request = await tx.request.findUniqueOrThrow({ where: { id } });
      await tx.statusHistory.create({ data: { requestId: id, fromStatus: current.status, toStatus: to, changedById: viewer.id, note, ...custody } });
      await tx.outboxEvent.create({ data: outboxEvent(request, current.status, viewer.id, this.correlationId) });
      return request;
    })
      .catch(async (err: unknown) => {
        if (reserved) await this.giveBack(reserved, undefined, 'an acceptance did not commit and its stock hold could not be given back: it stays until the request closes');
        throw err;
      });
    if (changed) {
      this.committed();
      if ((to === 'CANCELLED' || to === 'REJECTED') && holdsStock(moved)) {
        await this.giveBack(moved, fromStatus === 'IN_TRANSIT' ? viewer.id : undefined, 'a closed request\'s stock hold could not be given back now: the event pyxis consumes will');
      }
    }
    return moved;
  }

  /**
   * The requester confirms she received what her completed request brought;
   * once (again by her: the request as it is).
   */
  async confirmReceipt(id: string, viewer: Person): Promise<Request> {
    const request = await this.prisma.request.findFirst({ where: { ...this.scope, id } });
    if (!request) throw notFound('No such request');
    if (request.requesterId !== viewer.id) throw forbidden('Only the requester confirms receiving what she asked for');
    if (request.kind === 'ASSISTANCE') throw badUserInput('Assistance brings nothing to receive', { argument: 'id' });
    if (request.status !== 'COMPLETED') throw conflict(`The request is ${request.status}: receipt is confirmed once it completed`);
    if (request.receivedAt) return request;
    await this.prisma.request.updateMany({ where: { id, receivedAt: null }, data: { receivedById: viewer.id, receivedAt: new Date() } });
    return this.prisma.request.findUniqueOrThrow({ where: { id } });
  }

  /** Best effort: a hold left behind only makes less available, until the request's closing event releases it. */
  private async giveBack(request: Request, returnedBy: string | undefined, failure: string): Promise<void> {
    try {
      await this.stock.release(request, returnedBy);
    } catch (err) {
      this.logger?.warn({ err, requestId: request.id }, failure);
    }
  }

  private byClientKey({ requesterId, clientKey }: NewRequest) {
    return clientKey ? this.prisma.request.findUnique({ where: { requesterId_clientKey: { requesterId, clientKey } } }) : Promise.resolve(null);
  }
}
