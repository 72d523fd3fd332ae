/**
 * A medicine or material request completes only if its dispenser can give what
 * it asks: completing 5 ampoules from a slot of 2 would leave three controlled
 * ampoules unaccounted for. What it can give is what the request carries (picked
 * up into custody) and holds (its reservation, from its acceptance) plus what is
 * still available there — never stock held for other accepted requests. Asked of pyxis at the moment of
 * completion (never a kept answer). An override completes it anyway, with a
 * reason (the item was there although the count said otherwise): pyxis then
 * opens a discrepancy for what the count lacked. Completing a controlled
 * medicine is witnessed by a second person, override or not.
 */
import { conflict } from '@asky/shared';
import type { Request } from './generated/prisma/client';
import type { Catalogue } from './catalogue';
import { holdsStock } from './stockHolds';

/** Whether completing `request` needs a witness: it is to take a controlled medicine out (only the actual move from IN_TRANSIT). */
export async function checkOnHandToComplete(
  request: Request | null | undefined,
  catalogue: Catalogue,
  override: boolean,
): Promise<{ controlled: boolean }> {
  // Only from IN_TRANSIT can it complete (the workflow answers any other move; a
  // COMPLETED one is a retry, answered as a no-op); ASSISTANCE takes nothing.
  if (!request || request.status !== 'IN_TRANSIT' || !holdsStock(request)) return { controlled: false };
  const [facts, held] = await Promise.all([
    catalogue.facts(
      { medicineId: request.medicineId, materialId: request.materialId, dispenserId: request.dispenserId },
      { fresh: true },
    ),
    catalogue.stock.held(request.id),
  ]);
  const item = (request.medicineId ?? request.materialId)!;
  // What it carries, and the unexpired stock less what other accepted requests hold (theirs: all that is held but this one's).
  const available =
    held.carried +
    Math.max(
      0,
      (facts.dispenser?.onHand.get(item) ?? 0) - ((facts.dispenser?.reserved.get(item) ?? 0) - held.reserved),
    );
  if (available < request.quantity! && !override) {
    throw conflict(
      `The dispenser can give ${available} of this item now (unexpired, not held for other requests), not the ${request.quantity} asked: correct the count, complete it as an override (overrideReason) if the item was there, or reject the request with a reason`,
      { available },
    );
  }
  return { controlled: facts.medicineControlled };
}
