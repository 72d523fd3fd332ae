/**
 * The stock an accepted request holds at its dispenser, kept by pyxis and asked
 * for with this service's own token (`stock:reserve`; pyxis' fields for it are
 * not part of the public API). Pyxis' refusals (CONFLICT, with `available`) reach
 * the person accepting as they are.
 */
import { ErrorCode, type ServiceTokenClient } from '@asky/shared';
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import type { Request } from './generated/prisma/client';
import { HeldDocument, PickUpDocument, ReleaseDocument, ReserveDocument } from './generated/pyxisOperations';

export interface StockHolds {
  /** Holds the request's quantity at its dispenser for `actorId`'s acceptance; again for the same request: the same hold. */
  reserve(request: Request, actorId: string): Promise<void>;
  /** Gives back what the request holds; `returnedBy`: it was in transit, and who closed it put the item back (`witnessedBy` saw it). */
  release(request: Request, returnedBy?: string, witnessedBy?: string | null): Promise<void>;
  /** The request was picked up by `carrierId`: what it holds leaves the cabinet into her custody. */
  pickUp(request: Request, carrierId: string): Promise<void>;
  /** What the request holds now: reserved in the slots, and picked up (carried in transit). */
  held(requestId: string): Promise<Held>;
}

export interface Held {
  readonly reserved: number;
  readonly carried: number;
}

/** The requests that hold stock: a medicine or material at a dispenser, with a quantity. */
export const holdsStock = (request: Request): boolean =>
  request.kind !== 'ASSISTANCE' &&
  !!request.dispenserId &&
  !!request.quantity &&
  !!(request.medicineId ?? request.materialId);

export class PyxisStockHolds implements StockHolds {
  /** @param changed told of each dispenser whose availability this process changed (kept answers about it are stale) */
  constructor(
    private readonly pyxisUrl: string,
    private readonly serviceToken: ServiceTokenClient,
    private readonly changed: (dispenserId: string) => void = () => undefined,
  ) {}

  async reserve(request: Request, actorId: string): Promise<void> {
    const input = {
      requestId: request.id,
      dispenserId: request.dispenserId!,
      medicineId: request.medicineId,
      materialId: request.materialId,
      quantity: request.quantity!,
      actorId,
    };
    try {
      await this.serviceToken.query(this.pyxisUrl, 'pyxis stock reservation', ReserveDocument, { input }, [
        ErrorCode.CONFLICT,
      ]);
    } finally {
      this.changed(request.dispenserId!);
    }
  }

  release(request: Request, returnedBy?: string, witnessedBy?: string | null): Promise<void> {
    return this.changing(request, 'pyxis stock release', ReleaseDocument, {
      requestId: request.id,
      returnedBy: returnedBy ?? null,
      witnessedBy: witnessedBy ?? null,
    });
  }

  pickUp(request: Request, carrierId: string): Promise<void> {
    return this.changing(request, 'pyxis stock pick-up', PickUpDocument, {
      requestId: request.id,
      carriedBy: carrierId,
    });
  }

  /** A call that changes what the request's dispenser has available: kept answers about it are stale, whatever came of it. */
  private async changing<T, V extends Record<string, unknown>>(
    request: Request,
    what: string,
    document: TypedDocumentNode<T, V>,
    variables: V,
  ): Promise<void> {
    try {
      await this.serviceToken.query(this.pyxisUrl, what, document, variables);
    } finally {
      this.changed(request.dispenserId!);
    }
  }

  async held(requestId: string): Promise<Held> {
    const answer = await this.serviceToken.query(this.pyxisUrl, 'pyxis stock reservation', HeldDocument, { requestId });
    return { reserved: answer.stockReservation.quantity, carried: answer.stockReservation.carried };
  }
}
