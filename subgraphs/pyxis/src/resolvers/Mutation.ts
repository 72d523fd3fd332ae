import { badUserInput, parseId } from '@asky/shared';
import type { MutationResolvers, MedicineInput, MaterialInput } from '../generated/graphql';
import * as valid from '../validation';
import { inTransit } from '../data/reservations';
import { dispensingUnit, packageContent } from '../units';

/**
 * A medicine's fields from its input. Optional fields left out of an update are
 * undefined (kept); sent as null they clear the value.
 */
const medicine = (input: MedicineInput) => {
  const unit = dispensingUnit(input.unit);
  return {
    name: valid.text(input.name, 'name'),
    activeIngredient: valid.text(input.activeIngredient, 'activeIngredient'),
    strength: valid.strength(input.strength),
    dosageForm: valid.text(input.dosageForm, 'dosageForm', 100),
    unit: unit.code,
    content: input.content === undefined ? undefined : packageContent(input.content, unit),
    controlled: input.controlled,
    atcCode: input.atcCode === undefined ? undefined : valid.atcCode(input.atcCode),
    barcode: input.barcode === undefined ? undefined : valid.optionalText(input.barcode, 'barcode', 64),
  };
};

const newMedicine = (input: MedicineInput) => {
  const fields = medicine(input);
  return {
    ...fields,
    content: fields.content ?? null,
    atcCode: fields.atcCode ?? null,
    barcode: fields.barcode ?? null,
  };
};

const material = (input: MaterialInput) => ({
  name: valid.text(input.name, 'name'),
  category: valid.text(input.category, 'category', 100),
  unit: dispensingUnit(input.unit).code,
});

const reasonOf = (reason: string | null | undefined) => valid.optionalText(reason, 'reason', 500);

const optionalDate = (value: string | null | undefined, argument: string) =>
  value ? valid.date(value, argument) : null;

/** A lot's expiry: a lot past it cannot go into a cabinet (it would be dispensed). */
function lotExpiry(value: string | null | undefined): Date | null {
  const expiresAt = optionalDate(value, 'expiresAt');
  if (expiresAt && expiresAt < valid.hospitalDay()) {
    throw badUserInput(`This lot expired on ${value}: it cannot be stocked`, { argument: 'expiresAt' });
  }
  return expiresAt;
}

export const Mutation: MutationResolvers = {
  createMedicine: (_, { input }, ctx) => ctx.catalogueChanges().createMedicine(newMedicine(input)),
  updateMedicine: (_, { id, input, reason }, ctx) =>
    ctx.catalogueChanges().updateMedicine(parseId(id), medicine(input), reasonOf(reason)),
  createMaterial: (_, { input }, ctx) => ctx.catalogueChanges().createMaterial(material(input)),
  updateMaterial: (_, { id, input, reason }, ctx) =>
    ctx.catalogueChanges().updateMaterial(parseId(id), material(input), reasonOf(reason)),
  createAssistanceType: (_, { input }, { catalogue }) =>
    catalogue.createAssistanceType({
      code: valid.code(input.code, 'code', valid.ASSISTANCE_CODE),
      name: valid.text(input.name, 'name'),
      description: valid.optionalText(input.description, 'description', 500),
    }),
  createDispenser: (_, { input }, { dispensers }) =>
    dispensers.create({
      code: valid.code(input.code, 'code', valid.DISPENSER_CODE),
      name: valid.text(input.name, 'name'),
      unit: valid.text(input.unit, 'unit', 100),
      floor: valid.text(input.floor, 'floor', 50),
      room: valid.text(input.room, 'room', 50),
      status: input.status ?? 'ACTIVE',
    }),
  updateDispenser: (_, { id, input }, { dispensers }) =>
    dispensers.update(parseId(id), {
      name: input.name == null ? undefined : valid.text(input.name, 'name'),
      unit: input.unit == null ? undefined : valid.text(input.unit, 'unit', 100),
      floor: input.floor == null ? undefined : valid.text(input.floor, 'floor', 50),
      room: input.room == null ? undefined : valid.text(input.room, 'room', 50),
      status: input.status ?? undefined,
    }),
  retireDispenser: (_, { id }, { dispensers }) => dispensers.retire(parseId(id)),
  setDispenserAssistance: (_, { dispenserId, assistanceTypeIds }, { dispensers }) =>
    dispensers.setAssistance(
      parseId(dispenserId, 'dispenserId'),
      assistanceTypeIds.map((id) => parseId(id, 'assistanceTypeIds')),
    ),
  assignSlot: (_, { input, witnessToken }, ctx) => {
    if (!input.medicineId === !input.materialId)
      throw badUserInput('Give exactly one of medicineId and materialId', { argument: 'input' });
    const parLevel = valid.count(input.parLevel, 'parLevel', { min: 0 });
    if (input.medicineId && input.lot?.trim() && !input.expiresAt)
      throw badUserInput("A medicine's lot needs its expiry date", { argument: 'expiresAt' });
    return ctx.stockChanges().assign(
      {
        dispenserId: parseId(input.dispenserId, 'dispenserId'),
        slot: valid.code(input.slot, 'slot', /^[A-Z0-9][A-Z0-9-]{0,15}$/),
        medicineId: input.medicineId ? parseId(input.medicineId, 'medicineId') : null,
        materialId: input.materialId ? parseId(input.materialId, 'materialId') : null,
        parLevel,
        quantity: valid.count(input.quantity ?? 0, 'quantity', { min: 0 }),
        lot: valid.optionalText(input.lot, 'lot', 40),
        expiresAt: lotExpiry(input.expiresAt),
      },
      witnessToken,
    );
  },
  restock: (_, { slotId, quantity, lot, expiresAt, witnessToken }, ctx) => {
    const newLot = valid.optionalText(lot, 'lot', 40);
    if (!newLot && expiresAt)
      throw badUserInput('An expiry date belongs to a lot: give the lot too', { argument: 'lot' });
    return ctx
      .stockChanges()
      .restock(
        parseId(slotId, 'slotId'),
        valid.count(quantity, 'quantity', { min: 1 }),
        newLot ? { lot: newLot, expiresAt: lotExpiry(expiresAt) } : null,
        witnessToken,
      );
  },
  wasteStock: (_, { slotId, quantity, reason, lot, witnessToken }, ctx) =>
    ctx
      .stockChanges()
      .waste(
        parseId(slotId, 'slotId'),
        valid.count(quantity, 'quantity', { min: 1, max: 100_000 }),
        valid.text(reason, 'reason', 500),
        valid.optionalText(lot, 'lot', 40),
        witnessToken,
      ),
  wasteDose: (_, { requestId, amount, unit, reason, witnessToken }, ctx) =>
    ctx.wasteDose(
      {
        requestId: parseId(requestId, 'requestId'),
        amount,
        unit: valid.text(unit, 'unit', 20),
        reason: valid.text(reason, 'reason', 500),
      },
      witnessToken,
    ),
  countStock: (_, { slotId, counted, witnessToken }, ctx) =>
    ctx
      .stockChanges()
      .count(parseId(slotId, 'slotId'), valid.count(counted, 'counted', { min: 0, max: 100_000 }), witnessToken),
  resolveDiscrepancy: (_, { id, reason, witnessToken }, ctx) =>
    ctx.resolveDiscrepancy(parseId(id), valid.text(reason, 'reason', 500), witnessToken),
  reserveStock: (_, { input }, { reservations }) => {
    if (!input.medicineId === !input.materialId)
      throw badUserInput('Give exactly one of medicineId and materialId', { argument: 'input' });
    return reservations.reserve({
      requestId: parseId(input.requestId, 'requestId'),
      dispenserId: parseId(input.dispenserId, 'dispenserId'),
      item: input.medicineId
        ? { medicineId: parseId(input.medicineId, 'medicineId') }
        : { materialId: parseId(input.materialId!, 'materialId') },
      quantity: valid.count(input.quantity, 'quantity', { min: 1 }),
      actorId: parseId(input.actorId, 'actorId'),
    });
  },
  releaseStock: async (_, { requestId, returnedBy, returnWitnessedBy }, { reservations }) => {
    const id = parseId(requestId, 'requestId');
    const witnessId = returnWitnessedBy ? parseId(returnWitnessedBy, 'returnWitnessedBy') : null;
    await reservations.release(
      id,
      returnedBy ? { actorId: parseId(returnedBy, 'returnedBy'), why: inTransit(id), witnessId } : undefined,
    );
    return reservations.held(id);
  },
  pickUpStock: async (_, { requestId, carriedBy }, { reservations }) => {
    const id = parseId(requestId, 'requestId');
    await reservations.pickUp({ requestId: id, carrierId: parseId(carriedBy, 'carriedBy') });
    return reservations.held(id);
  },
  adjustStock: (_, { slotId, delta, reason, lot, witnessToken }, ctx) => {
    if (!Number.isInteger(delta) || delta === 0 || Math.abs(delta) > 100_000)
      throw badUserInput('delta must be a non-zero whole number', { argument: 'delta' });
    return ctx
      .stockChanges()
      .adjust(
        parseId(slotId, 'slotId'),
        delta,
        valid.text(reason, 'reason', 500),
        valid.optionalText(lot, 'lot', 40),
        witnessToken,
      );
  },
};
