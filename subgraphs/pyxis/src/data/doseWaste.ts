/**
 * Waste at the bedside: what was left of a dispensed unit and discarded (8 mg
 * of a 10 mg ampoule), against the completed request it was dispensed for. The
 * unit left the cabinet with the request, so the count does not change: the
 * register gets a WASTE of 0 units carrying the amount, who discarded it and
 * who witnessed it (a controlled medicine's needs a witness, at the bedside).
 */
import { badUserInput, conflict, useWitness, type WitnessCheck } from '@asky/shared';
import type { PyxisPrisma } from './client';
import type { StockMovement } from '../generated/prisma/client';
import { lockSlot, recordMovements } from './stockChanges';
import { heldChange } from './custody';
import { unitsOfDose } from '../units';

export interface DoseWasted {
  readonly requestId: string;
  readonly amount: number;
  readonly unit: string;
  readonly reason: string;
}

/** Records a bedside waste by `actorId`; the register's new line. */
export async function wasteDose(
  prisma: PyxisPrisma,
  witnesses: WitnessCheck,
  actorId: string,
  waste: DoseWasted,
  witnessToken: string | null | undefined,
): Promise<StockMovement> {
  const moves = await prisma.stockMovement.findMany({
    where: { requestId: waste.requestId, kind: { in: ['DISPENSE', 'WASTE'] } },
    orderBy: { at: 'asc' },
  });
  const dispensed = moves.filter((m) => m.kind === 'DISPENSE');
  const medicineId = dispensed[0]?.medicineId;
  if (!medicineId)
    throw conflict(
      'Nothing of a medicine was dispensed for this request (yet): a bedside waste is of what a completed request took',
    );
  const medicine = (await prisma.medicine.findUnique({ where: { id: medicineId } }))!;
  const units = unitsOfDose(medicine, waste.amount, waste.unit);
  const wastedBefore = moves
    .filter((m) => m.kind === 'WASTE' && m.doseAmount !== null)
    .reduce((sum, m) => sum + unitsOfDose(medicine, m.doseAmount!, m.doseUnit!), 0);
  const unitsDispensed = -dispensed.reduce((sum, m) => sum + heldChange(m), 0);
  if (wastedBefore + units > unitsDispensed + 1e-9)
    throw badUserInput(
      `More than was dispensed for this request (${unitsDispensed} ${medicine.unit}) would be wasted`,
      { argument: 'amount' },
    );
  const witnessed =
    medicine.controlled || witnessToken
      ? await witnesses.confirm(witnessToken, actorId, waste.requestId, { act: 'WASTE', named: true })
      : null;
  const from = dispensed.at(-1)!;
  return prisma.$transaction(async (tx) => {
    if (witnessed) await useWitness(tx, 'pyxis', witnessed);
    const slot = await lockSlot(tx, from.stockItemId);
    if (!slot) throw conflict('The slot it was dispensed from is gone');
    await recordMovements(tx, { ...slot, medicineId }, [{ lot: from.lot, expiresAt: null, delta: 0 }], {
      kind: 'WASTE',
      reason: `at the bedside, of request ${waste.requestId}: ${waste.reason}`,
      actorId,
      witnessId: witnessed?.witnessId ?? null,
      requestId: waste.requestId,
      doseAmount: waste.amount,
      doseUnit: waste.unit,
    });
    return (await tx.stockMovement.findFirst({
      where: { requestId: waste.requestId, kind: 'WASTE' },
      orderBy: [{ at: 'desc' }, { id: 'desc' }],
    }))!;
  });
}
