/**
 * What pyxis needs to know of a request before it takes stock out, asked of the
 * request service with pyxis' own token (`requests:read`). A broker message only
 * says "look at request X": anyone who can publish on the broker could forge its
 * item, quantity and actor, so those come from the request service, which owns them.
 */
import { serviceUnavailable, type ServiceTokenClient } from '@asky/shared';
import { DispenseDocument } from '../generated/requestOperations';

/** The statuses that close a request, and so end what it holds of stock. */
export const CLOSING: readonly string[] = ['COMPLETED', 'CANCELLED', 'REJECTED'];

export interface RequestState {
  readonly requestId: string;
  readonly kind: 'MEDICINE' | 'MATERIAL' | 'ASSISTANCE';
  readonly status: string;
  readonly dispenserId: string | null;
  readonly medicineId: string | null;
  readonly materialId: string | null;
  readonly quantity: number | null;
  /** Who moved it to COMPLETED (the requester when the history names nobody). */
  readonly completedById: string;
  /** Who moved it to IN_TRANSIT last: she carries it. */
  readonly pickedUpById: string | null;
  /** Who witnessed its completion (controlled medicines). */
  readonly completedWitnessId: string | null;
  /** Why it was completed although the count said the dispenser could not give it. */
  readonly overrideReason: string | null;
  /** The status it was in before it closed (COMPLETED, CANCELLED or REJECTED), if it has closed. */
  readonly closedFrom: string | null;
  /** Who closed it (the requester when the history names nobody). */
  readonly closedById: string;
  /** Who saw what it carried come back, when it closed in transit. */
  readonly closedWitnessId: string | null;
}

export interface RequestSource {
  /** The request as the request service has it now; null when there is no such request. */
  request(requestId: string): Promise<RequestState | null>;
}

export class RemoteRequests implements RequestSource {
  /** @param requestUrl the request subgraph's GraphQL URL (a function: in one process it is known once request has started) */
  constructor(
    private readonly requestUrl: () => string | undefined,
    private readonly serviceToken: ServiceTokenClient,
  ) {}

  async request(requestId: string): Promise<RequestState | null> {
    const url = this.requestUrl();
    if (!url) throw serviceUnavailable('the request service has not started yet');
    const { request } = await this.serviceToken.query(url, 'the request service', DispenseDocument, { id: requestId });
    if (!request) return null;
    const closing = request.history.findLast(
      (entry) => entry.toStatus === request.status && CLOSING.includes(entry.toStatus),
    );
    const completion = request.history.findLast((entry) => entry.toStatus === 'COMPLETED');
    const pickUp = request.history.findLast((entry) => entry.toStatus === 'IN_TRANSIT');
    return {
      requestId: request.id,
      kind: request.kind,
      status: request.status,
      dispenserId: request.dispenser?.id ?? null,
      medicineId: request.medicine?.id ?? null,
      materialId: request.material?.id ?? null,
      quantity: request.quantity,
      completedById: completion?.changedBy?.id ?? request.requester.id,
      pickedUpById: pickUp ? (pickUp.changedBy?.id ?? request.requester.id) : null,
      completedWitnessId: completion?.witness?.id ?? null,
      overrideReason: completion?.overrideReason ?? null,
      closedFrom: closing?.fromStatus ?? null,
      closedById: closing?.changedBy?.id ?? request.requester.id,
      closedWitnessId: closing?.witness?.id ?? null,
    };
  }
}
