/**
 * Changes to requests. Each writes the request, its history entry and the outbox
 * event announcing it in one transaction: no change without its event, no event
 * without its change.
 */
import { randomUUID } from 'node:crypto';
import { badUserInput, conflict, forbidden, notFound, useWitness, type Witnessed } from '@asky/shared';
import type { RequestPrisma } from './client';
import type { Request, RequestStatus } from '../generated/prisma/client';
import { addToOutbox, requestEvent } from '../events';
import { checkTransition } from '../workflow';
import { holdsStock, type StockHolds } from '../stockHolds';
import type { RequestScope } from '../visibility';
import type { Logger, Viewer } from '@asky/shared';

type Person = Extract<Viewer, { kind: 'user' }>;

/** A request as the requester asked for it, validated. */
export type NewRequest = Pick<
  Request,
  | 'kind'
  | 'priority'
  | 'requesterId'
  | 'medicineId'
  | 'materialId'
  | 'assistanceTypeId'
  | 'dispenserId'
  | 'quantity'
  | 'note'
  | 'clientKey'
  | 'unit'
  | 'patientIdentifier'
  | 'patientBed'
  | 'encounterId'
  | 'orderId'
>;

/** What a completion records beyond who made it: its witness (controlled medicines) and why it overrode the count. */
export interface Custody {
  readonly overrideReason: string | null;
  /** The package barcode scanned at the move, checked already. */
  readonly scannedBarcode: string | null;
  /** The witness's confirmation (controlled medicines), checked already: recorded as used in the move's own transaction (it covers one act). */
  readonly witnessed: Witnessed | null;
}
const NO_CUSTODY: Custody = { witnessed: null, overrideReason: null, scannedBarcode: null };

/** How long an acceptance may take to reserve its stock before another may take over (longer than a peer call may last). */
const ACCEPTANCE_LEASE_MS = 30_000;

/** What must match for a retried createRequest (same clientKey) to be the same request. */
const SAME_REQUEST_FIELDS = [
  'kind',
  'priority',
  'medicineId',
  'materialId',
  'assistanceTypeId',
  'dispenserId',
  'quantity',
  'note',
  'patientIdentifier',
  'patientBed',
  'encounterId',
  'orderId',
] as const;

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
   * Creates a request with its first history entry and its outbox event, in one
   * transaction; with a client key this requester already used, returns that
   * request instead.
   */
  async create(data: NewRequest): Promise<Request> {
    const at = new Date();
    const request: Request = {
      ...data,
      id: randomUUID(),
      status: 'PENDING',
      assigneeId: null,
      feedback: null,
      receivedById: null,
      receivedAt: null,
      escalationLevel: 0,
      escalatedAt: null,
      acceptingId: null,
      acceptingById: null,
      acceptingUntil: null,
      createdAt: at,
      updatedAt: at,
    };
    const inserted = await this.prisma.$transaction(async (tx) => {
      // ON CONFLICT DO NOTHING: a key used before (or raced in twice) inserts nothing.
      const { count } = await tx.request.createMany({ data: [request], skipDuplicates: true });
      if (count === 0) return false;
      await tx.statusHistory.create({
        data: { requestId: request.id, toStatus: 'PENDING', changedById: data.requesterId, note: data.note, at },
      });
      await addToOutbox(tx, requestEvent(request, null, data.requesterId, this.correlationId));
      return true;
    });
    if (inserted) {
      this.committed();
      return request;
    }
    // The key was used before (or raced in twice): the request it made is the answer —
    // if it is the same request. A key reused for another body is a client bug that
    // would silently drop the new request (another drug, another quantity).
    const existing = await this.byClientKey(data);
    if (!existing) throw new Error('createRequest inserted nothing and found no request with its client key');
    const differs = SAME_REQUEST_FIELDS.filter((field) => existing[field] !== data[field]);
    if (differs.length)
      throw conflict(
        `This clientKey was already used for a different request (${differs.join(', ')}): use a new key for a new request`,
      );
    return existing;
  }

  /**
   * Moves a request to `to`; concurrent moves of one request: exactly one wins.
   * Asking again for the move the caller made last (a retry after an answer was
   * lost, e.g. SERVICE_UNAVAILABLE after the commit) answers the request as it
   * is, with no new history entry or event. Accepting a medicine or material
   * request holds its quantity at its dispenser first (see `acceptHolding`);
   * cancelling or rejecting one releases it once committed (in transit: the item
   * is back, a RETURN movement); picking one up (IN_TRANSIT) takes its units
   * out of the cabinet into the carrier's custody. If pyxis cannot be told now,
   * the event it consumes does it. No call to another service is made while a
   * transaction or a row lock is held.
   */
  async transition(
    id: string,
    to: RequestStatus,
    viewer: Person,
    note: string | null,
    custody: Custody = NO_CUSTODY,
  ): Promise<Request> {
    if (to === 'ACCEPTED') {
      const current = await this.prisma.request.findFirst({ where: { ...this.scope, id } });
      if (current && current.status !== to && holdsStock(current))
        return this.acceptHolding(current, viewer, note, custody);
    }
    const { request, changed, from } = await this.move(id, to, viewer, note, custody);
    if (changed && (to === 'CANCELLED' || to === 'REJECTED') && holdsStock(request)) {
      const returned =
        from === 'IN_TRANSIT' ? { by: viewer.id, witnessedBy: custody.witnessed?.witnessId ?? null } : undefined;
      await this.tellPyxis(
        request,
        (stock) => stock.release(request, returned?.by, returned?.witnessedBy),
        "a closed request's stock hold could not be given back now: the event pyxis consumes will",
      );
    }
    if (changed && to === 'IN_TRANSIT' && holdsStock(request)) {
      // Until pyxis is told, the units count as in the cabinet.
      await this.tellPyxis(
        request,
        (stock) => stock.pickUp(request, viewer.id),
        'a picked-up request could not be taken into custody now: the event pyxis consumes will',
      );
    }
    return request;
  }

  /**
   * Accepts a request that holds stock: (1) leases the acceptance on the request
   * row (only this acceptance may commit while the lease lives: a second
   * pharmacist gets CONFLICT at once; the same person retrying takes it over), (2) asks pyxis for the hold with no lock
   * held (pyxis refuses with CONFLICT and `available` when it cannot), (3)
   * commits the move. When (3) fails, the hold is given back unless the request
   * may now need it (see `undoAcceptance`).
   */
  private async acceptHolding(
    current: Request,
    viewer: Person,
    note: string | null,
    custody: Custody,
  ): Promise<Request> {
    checkTransition(current, 'ACCEPTED', viewer, note); // refused moves reserve nothing
    const acceptance = { id: randomUUID(), until: new Date(Date.now() + ACCEPTANCE_LEASE_MS) };
    const now = new Date();
    const leased = await this.prisma.request.updateMany({
      // A retry by the same person takes over her own lease: her earlier attempt failed, or is superseded.
      where: {
        id: current.id,
        status: current.status,
        OR: [{ acceptingId: null }, { acceptingUntil: { lt: now } }, { acceptingById: viewer.id }],
      },
      data: { acceptingId: acceptance.id, acceptingById: viewer.id, acceptingUntil: acceptance.until },
    });
    if (leased.count === 0)
      throw conflict('The request changed meanwhile, or someone else is accepting it now: reload it and try again');
    try {
      await this.stock.reserve(current, viewer.id);
    } catch (err) {
      await this.endLease(current.id, acceptance.id);
      throw err;
    }
    try {
      return (await this.move(current.id, 'ACCEPTED', viewer, note, custody, acceptance.id)).request;
    } catch (err) {
      await this.undoAcceptance(current, acceptance.id);
      throw err;
    }
  }

  /**
   * After an acceptance whose move failed: gives the hold back when the request
   * is still PENDING under no other live acceptance, or closed. When the outcome
   * cannot be read (the database is away: the move may have committed), the hold
   * stays — stock held too long is safe, a request accepted with nothing held is
   * not; a retried acceptance reuses it and the request's closing releases it.
   */
  private async undoAcceptance(request: Request, acceptanceId: string): Promise<void> {
    try {
      const now = await this.prisma.request.findUnique({
        where: { id: request.id },
        select: { status: true, acceptingId: true, acceptingUntil: true },
      });
      const othersLease =
        !!now?.acceptingId &&
        now.acceptingId !== acceptanceId &&
        !!now.acceptingUntil &&
        now.acceptingUntil > new Date();
      const needsHold =
        !now || (now.status === 'PENDING' ? othersLease : !['CANCELLED', 'REJECTED'].includes(now.status));
      await this.endLease(request.id, acceptanceId);
      if (!needsHold)
        await this.tellPyxis(
          request,
          (stock) => stock.release(request),
          'an acceptance did not commit and its stock hold could not be given back: it stays until the request closes',
        );
    } catch (err) {
      this.logger?.warn(
        { err, requestId: request.id },
        'an acceptance failed with its outcome unknown: its stock hold stays until the request is accepted again or closes',
      );
    }
  }

  private async endLease(requestId: string, acceptanceId: string): Promise<void> {
    await this.prisma.request
      .updateMany({
        where: { id: requestId, acceptingId: acceptanceId },
        data: { acceptingId: null, acceptingById: null, acceptingUntil: null },
      })
      .catch((err: unknown) => {
        this.logger?.warn({ err, requestId }, 'an acceptance lease could not be ended: it lapses by itself');
      });
  }

  /** The move itself, in one transaction with its history entry and event; `acceptanceId`: only under that acceptance's lease. */
  private async move(
    id: string,
    to: RequestStatus,
    viewer: Person,
    note: string | null,
    custody: Custody,
    acceptanceId?: string,
  ) {
    let changed = true;
    let from: RequestStatus | undefined;
    const request = await this.prisma.$transaction(async (tx) => {
      const current = await tx.request.findFirst({ where: { ...this.scope, id } });
      if (!current) throw notFound('No such request');
      if (current.status === to) {
        const last = await tx.statusHistory.findFirst({
          where: { requestId: id },
          orderBy: { at: 'desc' },
          select: { toStatus: true, changedById: true },
        });
        if (last?.toStatus === to && last.changedById === viewer.id) {
          changed = false;
          return current;
        }
      }
      checkTransition(current, to, viewer, note);
      from = current.status;
      const byStaff = viewer.id !== current.requesterId;
      const updated = await tx.request.updateMany({
        where: { id, status: current.status, ...(acceptanceId ? { acceptingId: acceptanceId } : {}) },
        data: {
          status: to,
          ...(to === 'ACCEPTED'
            ? { assigneeId: viewer.id, acceptingId: null, acceptingById: null, acceptingUntil: null }
            : {}),
          ...(byStaff && note ? { feedback: note } : {}),
        },
      });
      if (updated.count === 0) throw conflict('The request changed meanwhile: reload it and try again');
      const { witnessed, ...recorded } = custody;
      if (witnessed) await useWitness(tx, 'request', witnessed);
      const witnessId = witnessed?.witnessId ?? null;
      const moved = await tx.request.findUniqueOrThrow({ where: { id } });
      await tx.statusHistory.create({
        data: {
          requestId: id,
          fromStatus: current.status,
          toStatus: to,
          changedById: viewer.id,
          note,
          witnessId,
          ...recorded,
        },
      });
      await addToOutbox(tx, requestEvent(moved, current.status, viewer.id, this.correlationId));
      return moved;
    });
    if (changed) this.committed();
    return { request, changed, from };
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
    if (request.status !== 'COMPLETED')
      throw conflict(`The request is ${request.status}: receipt is confirmed once it completed`);
    if (request.receivedAt) return request;
    await this.prisma.request.updateMany({
      where: { id, receivedAt: null },
      data: { receivedById: viewer.id, receivedAt: new Date() },
    });
    return this.prisma.request.findUniqueOrThrow({ where: { id } });
  }

  /**
   * Tells pyxis of a stock change the request's move made, best effort: `failure`
   * is logged when it cannot be told now (the event it consumes tells it later).
   */
  private async tellPyxis(
    request: Request,
    call: (stock: StockHolds) => Promise<void>,
    failure: string,
  ): Promise<void> {
    try {
      await call(this.stock);
    } catch (err) {
      this.logger?.warn({ err, requestId: request.id }, failure);
    }
  }

  private byClientKey({ requesterId, clientKey }: NewRequest) {
    return clientKey
      ? this.prisma.request.findUnique({ where: { requesterId_clientKey: { requesterId, clientKey } } })
      : Promise.resolve(null);
  }
}
