/**
 * A medicine or material request completes only if its dispenser holds what it
 * gives: completing 5 ampoules from a slot of 2 would leave three controlled
 * ampoules unaccounted for. Asked of pyxis at the moment of completion (never a
 * kept answer). Overrides (with a reason and a witness) are not built yet: the
 * pharmacist corrects the count or rejects the request with a reason.
 */
import { conflict } from '@asky/shared';
import type { Request } from './generated/prisma/client';
import type { Catalogue } from './catalogue';

export async function checkOnHandToComplete(request: Request | null | undefined, catalogue: Catalogue): Promise<void> {
  // Only from IN_TRANSIT can it complete (the workflow answers any other move; a
  // COMPLETED one is a retry, answered as a no-op); ASSISTANCE takes nothing.
  if (!request || request.status !== 'IN_TRANSIT' || request.kind === 'ASSISTANCE' || !request.dispenserId || !request.quantity) return;
  const item = request.medicineId ?? request.materialId;
  if (!item) return;
  const facts = await catalogue.facts({ medicineId: request.medicineId, materialId: request.materialId, dispenserId: request.dispenserId }, { fresh: true });
  const available = facts.dispenser?.onHand.get(item) ?? 0;
  if (available < request.quantity) {
    throw conflict(
      `The dispenser holds ${available} of this item now (unexpired), not the ${request.quantity} asked: correct the count, or reject the request with a reason`,
      { available },
    );
  }
}
