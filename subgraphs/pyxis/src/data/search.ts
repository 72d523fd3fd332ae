/**
 * Case- and accent-insensitive catalogue search ("dipirona sodica" finds
 * "Dipirona sódica"), keyset-paginated by name. Accents are folded with
 * translate() rather than the unaccent extension, which embedded PGlite lacks;
 * lower() runs after it because the cluster's ctype may be C (ASCII only).
 */
import type { PageArgs } from '@asky/shared';
import { Prisma } from '../generated/prisma/client';
import type { PyxisPrisma } from './client';

const ACCENTED = 'áàâãäåāéèêëēíìîïóòôõöøúùûüçñ';
const PLAIN = 'aaaaaaaeeeeeiiiioooooouuuucn';
const FROM = ACCENTED + ACCENTED.toUpperCase();
const TO = PLAIN + PLAIN;

/** The same folding in JavaScript, for what the user typed. */
export const foldText = (text: string): string =>
  [...text]
    .map((c) => (FROM.includes(c) ? TO[FROM.indexOf(c)] : c))
    .join('')
    .toLowerCase();

/** `text` (an SQL expression) folded the same way, spaces collapsed: for comparing what people typed. */
export const foldedSql = (text: Prisma.Sql) =>
  Prisma.sql`regexp_replace(lower(translate(trim(${text}), ${FROM}, ${TO})), '\\s+', ' ', 'g')`;

/** One page of a search: what was typed, and which page. */
export interface Page extends PageArgs {
  readonly search?: string | null;
}

/** Where to search: a catalogue table of the pyxis schema and the columns that match. */
const TABLES = {
  Medicine: Prisma.sql`concat_ws(' ', name, "activeIngredient")`,
  Material: Prisma.sql`concat_ws(' ', name, category)`,
} as const;

/** Ids of one page of `table`, in name order. */
export async function searchPage(
  prisma: PyxisPrisma,
  table: keyof typeof TABLES,
  { search, first, after }: Page,
): Promise<string[]> {
  const from = Prisma.raw(`pyxis."${table}"`);
  const text = search?.trim();
  const matches = text
    ? Prisma.sql`lower(translate(${TABLES[table]}, ${FROM}, ${TO})) LIKE ${`%${foldText(text).replace(/[\\%_]/g, '\\$&')}%`}`
    : Prisma.sql`TRUE`;
  const afterCursor = after
    ? Prisma.sql`(name, id) > (SELECT name, id FROM ${from} WHERE id = ${after}::uuid)`
    : Prisma.sql`TRUE`;
  const rows = await prisma.$queryRaw<{ id: string }[]>`
    SELECT id::text FROM ${from} WHERE ${matches} AND ${afterCursor} ORDER BY name, id LIMIT ${first}`;
  return rows.map((row) => row.id);
}
