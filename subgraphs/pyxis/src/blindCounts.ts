/**
 * Blind counts of controlled medicines: whoever counts stock without being the
 * pharmacy (a TECHNICIAN) is never shown what a controlled slot should hold —
 * not its quantity, lots, reservations or availability, not the quantity after
 * or the size of past movements, live or read — so her count is her own. The
 * pharmacy (PHARMACIST, ADMIN) sees every figure; other people do not count.
 */
import type { Viewer } from '@asky/shared';

/** Whether `viewer` counts stock blind. */
export const countsBlind = (viewer: Viewer | null): boolean => viewer?.kind === 'user' && viewer.role === 'TECHNICIAN';

/** The figure, or null when it would show a blind counter what a controlled medicine's slot holds. */
export async function figure<T>(
  value: T,
  viewer: Viewer | null,
  medicineId: string | null,
  isControlled: (medicineId: string) => Promise<boolean>,
): Promise<T | null> {
  if (!countsBlind(viewer) || !medicineId) return value;
  return (await isControlled(medicineId)) ? null : value;
}
