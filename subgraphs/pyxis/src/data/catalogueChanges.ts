/**
 * Writes to the catalogue, as a pharmacy's formulary committee expects them:
 * each in one transaction with its audit row (who, when, why, each field before
 * and after), and refused when it would make stock or custody lie — a medicine
 * no longer controlled without an ADMIN and a reason, a unit changed under stock
 * counted in the old unit, a second record of the same product.
 */
import { badUserInput, conflict, expectingClientErrors, forbidden, notFound, type Role } from '@asky/shared';
import { Prisma } from '../generated/prisma/client';
import type { Material, Medicine } from '../generated/prisma/client';
import type { PyxisPrisma } from './client';
import { foldedSql } from './search';

type Tx = Prisma.TransactionClient;

export type MedicineFields = Omit<Medicine, 'id' | 'createdAt' | 'updatedAt'>;
export type MaterialFields = Omit<Material, 'id' | 'createdAt' | 'updatedAt'>;

export interface FieldChange {
  readonly field: string;
  readonly before: string | null;
  readonly after: string | null;
}

const asText = (value: unknown): string | null => (value === null || value === undefined ? null : String(value));

/** The fields of `patch` whose value differs from `current` (all of them on creation). */
function diff<T extends object>(current: T | null, patch: Partial<T>): FieldChange[] {
  return (Object.keys(patch) as (keyof T & string)[])
    .filter((field) => patch[field] !== undefined && asText(patch[field]) !== asText(current?.[field]))
    .map((field) => ({ field, before: asText(current?.[field]), after: asText(patch[field]) }));
}

/** Whether a slot of any dispenser (retired ones included) holds the item: its counts are in its unit. */
async function isStocked(tx: Tx, item: { medicineId: string } | { materialId: string }) {
  return (await tx.stockItem.count({ where: item, take: 1 })) > 0;
}

export class CatalogueChanges {
  constructor(
    private readonly prisma: PyxisPrisma,
    /** Who makes the changes. */
    private readonly actor: { readonly id: string; readonly role: Role },
  ) {}

  createMedicine(data: MedicineFields) {
    return this.prisma.$transaction(async (tx) => {
      await this.refuseDuplicateMedicine(tx, data, null);
      const created = await expectingClientErrors(tx.medicine.create({ data }), {
        duplicate: 'Another medicine has this barcode',
      });
      await this.record(tx, { medicineId: created.id }, diff(null, data), null);
      return created;
    });
  }

  /** Changes the fields given (undefined: kept). */
  updateMedicine(id: string, patch: Partial<MedicineFields>, reason: string | null) {
    return this.prisma.$transaction(async (tx) => {
      // Writes to one medicine queue behind each other, so the checks below see the record they change.
      const [current] = await tx.$queryRaw<
        Medicine[]
      >`SELECT * FROM pyxis."Medicine" WHERE id = ${id}::uuid FOR UPDATE`;
      if (!current) throw notFound('No medicine has this id');
      const changes = diff(current, patch);
      if (!changes.length) return current;
      const changed = new Set(changes.map((c) => c.field));
      if (current.controlled && patch.controlled === false) {
        if (this.actor.role !== 'ADMIN') throw forbidden('Only an ADMIN can make a controlled medicine uncontrolled');
        if (!reason) throw badUserInput('Making a medicine uncontrolled needs a reason', { argument: 'reason' });
      }
      if ((changed.has('unit') || changed.has('content')) && (await isStocked(tx, { medicineId: id }))) {
        throw conflict(
          `Dispensers count this medicine in ${current.unit}${current.content ? ` of ${current.content}` : ''}: empty and unassign its slots before changing its unit or content`,
        );
      }
      if (['activeIngredient', 'strength', 'dosageForm'].some((field) => changed.has(field))) {
        await this.refuseDuplicateMedicine(tx, { ...current, ...patch }, id);
      }
      const updated = await expectingClientErrors(tx.medicine.update({ where: { id }, data: patch }), {
        duplicate: 'Another medicine has this barcode',
      });
      await this.record(tx, { medicineId: id }, changes, reason);
      return updated;
    });
  }

  createMaterial(data: MaterialFields) {
    return this.prisma.$transaction(async (tx) => {
      const created = await tx.material.create({ data });
      await this.record(tx, { materialId: created.id }, diff(null, data), null);
      return created;
    });
  }

  updateMaterial(id: string, patch: Partial<MaterialFields>, reason: string | null) {
    return this.prisma.$transaction(async (tx) => {
      const [current] = await tx.$queryRaw<
        Material[]
      >`SELECT * FROM pyxis."Material" WHERE id = ${id}::uuid FOR UPDATE`;
      if (!current) throw notFound('No material has this id');
      const changes = diff(current, patch);
      if (!changes.length) return current;
      if (changes.some((c) => c.field === 'unit') && (await isStocked(tx, { materialId: id }))) {
        throw conflict(
          `Dispensers count this material in ${current.unit}: empty and unassign its slots before changing its unit`,
        );
      }
      const updated = await tx.material.update({ where: { id }, data: patch });
      await this.record(tx, { materialId: id }, changes, reason);
      return updated;
    });
  }

  /**
   * One product, one record: the same active ingredient, strength and dosage form
   * (ignoring case, accents and spacing) under two names would split its stock and
   * its controlled register. Serialised by an advisory lock, so two creations
   * racing cannot both pass.
   */
  private async refuseDuplicateMedicine(
    tx: Tx,
    m: Pick<MedicineFields, 'activeIngredient' | 'strength' | 'dosageForm'>,
    exceptId: string | null,
  ) {
    await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext('pyxis.medicine_identity'))`;
    const [same] = await tx.$queryRaw<{ id: string; name: string }[]>`
      SELECT id, name FROM pyxis."Medicine"
      WHERE ${foldedSql(Prisma.sql`"activeIngredient"`)} = ${foldedSql(Prisma.sql`${m.activeIngredient}::text`)}
        AND ${foldedSql(Prisma.sql`strength`)} = ${foldedSql(Prisma.sql`${m.strength}::text`)}
        AND ${foldedSql(Prisma.sql`"dosageForm"`)} = ${foldedSql(Prisma.sql`${m.dosageForm}::text`)}
        AND (${exceptId}::uuid IS NULL OR id <> ${exceptId}::uuid)
      LIMIT 1`;
    if (same)
      throw conflict(`"${same.name}" is already this product (${m.activeIngredient} ${m.strength}, ${m.dosageForm})`, {
        medicineId: same.id,
      });
  }

  private record(
    tx: Tx,
    item: { medicineId: string } | { materialId: string },
    fields: FieldChange[],
    reason: string | null,
  ) {
    return tx.catalogueChange.create({
      data: { ...item, actorId: this.actor.id, reason, fields: fields as unknown as Prisma.InputJsonValue },
    });
  }
}
