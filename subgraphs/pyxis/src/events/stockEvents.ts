/**
 * Stock events on `asky.events` (`stock.*`, asyncapi.json): every movement and
 * every discrepancy opened or resolved, written to pyxis' outbox in the
 * transaction of the change, so an event goes out if and only if the change
 * committed (the relay publishes it at least once; consumers de-duplicate by
 * eventId).
 */
import { randomUUID } from 'node:crypto';
import { outboxRow, ROUTING_KEYS, type StockDiscrepancyEvent, type StockMovementEvent } from '@asky/shared';
import type { PyxisTransaction } from '../data/client';
import type { StockDiscrepancy, StockItem, StockMovement } from '../generated/prisma/client';

type Slot = Pick<StockItem, 'id' | 'slot' | 'dispenserId' | 'medicineId' | 'materialId'>;

/** Each transaction's dispensers' units, read once however many slots and lots it moves (a dispense touches several). */
const unitsByTransaction = new WeakMap<PyxisTransaction, Map<string, Promise<string>>>();

function unitOf(tx: PyxisTransaction, dispenserId: string): Promise<string> {
  let units = unitsByTransaction.get(tx);
  if (!units) unitsByTransaction.set(tx, (units = new Map()));
  let unit = units.get(dispenserId);
  if (!unit)
    units.set(
      dispenserId,
      (unit = tx.dispenser
        .findUniqueOrThrow({ where: { id: dispenserId }, select: { unit: true } })
        .then((d) => d.unit)),
    );
  return unit;
}

async function place(tx: PyxisTransaction, slot: Slot, at: Date) {
  const unit = await unitOf(tx, slot.dispenserId);
  return {
    eventId: randomUUID(),
    occurredAt: at.toISOString(),
    slotId: slot.id,
    slot: slot.slot,
    dispenserId: slot.dispenserId,
    unit,
    medicineId: slot.medicineId,
    materialId: slot.materialId,
  };
}

/** Writes `event` to pyxis' outbox in `tx`, the transaction of the change it announces. */
const write = (tx: PyxisTransaction, event: StockMovementEvent | StockDiscrepancyEvent) =>
  tx.outboxEvent.create({ data: outboxRow(event) });

/** Announces the movements of one change of `slot`. */
export async function announceMovements(
  tx: PyxisTransaction,
  slot: Slot,
  movements: readonly StockMovement[],
): Promise<void> {
  if (movements.length === 0) return;
  const where = await place(tx, slot, movements[0]!.at);
  for (const m of movements) {
    await write(tx, {
      ...where,
      eventId: randomUUID(),
      occurredAt: m.at.toISOString(),
      type: ROUTING_KEYS.stockMovement,
      movementId: m.id,
      kind: m.kind,
      lot: m.lot,
      delta: m.delta,
      quantityAfter: m.quantityAfter,
      actorId: m.actorId,
      witnessId: m.witnessId,
      requestId: m.requestId,
      reason: m.reason,
    });
  }
}

/** Announces a discrepancy just opened or resolved. */
export async function announceDiscrepancy(tx: PyxisTransaction, slot: Slot, d: StockDiscrepancy): Promise<void> {
  const resolved = d.resolvedAt !== null;
  await write(tx, {
    ...(await place(tx, slot, d.resolvedAt ?? d.openedAt)),
    type: resolved ? ROUTING_KEYS.stockDiscrepancyResolved : ROUTING_KEYS.stockDiscrepancyOpened,
    discrepancyId: d.id,
    source: d.source,
    expected: d.expected,
    counted: d.counted,
    requestId: d.requestId,
    actorId: (resolved ? d.resolvedById : d.openedById)!,
    witnessId: resolved ? d.resolvedWitnessId : d.openedWitnessId,
    resolution: d.resolution,
  });
}
