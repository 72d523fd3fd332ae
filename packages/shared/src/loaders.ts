import DataLoader from 'dataloader';
import { isUuid } from './ids';

/**
 * A per-request loader that fetches many records by id in one query and hands
 * each caller its own (or null). Federation resolves `_entities` one
 * representation at a time; this turns N of them into one SQL query. Ids that
 * are not UUIDs resolve to null without reaching the database.
 */
export function createByIdLoader<T extends { id: string }>(
  fetchMany: (ids: string[]) => Promise<T[]>,
): DataLoader<string, T | null> {
  return new DataLoader<string, T | null>(async (ids) => {
    const valid = ids.filter(isUuid);
    const rows = valid.length ? await fetchMany(valid) : [];
    const found = new Map(rows.map((row) => [row.id, row]));
    return ids.map((id) => found.get(id) ?? null);
  });
}

/**
 * A per-request loader of the rows that belong to each key (e.g. the stock of
 * each medicine), fetched for all keys in one query.
 */
export function createGroupLoader<T>(
  fetchMany: (keys: string[]) => Promise<T[]>,
  keyOf: (row: T) => string | null,
): DataLoader<string, T[]> {
  return new DataLoader<string, T[]>(async (keys) => {
    const groups = new Map<string | null, T[]>(keys.map((k) => [k, []]));
    for (const row of await fetchMany([...keys])) groups.get(keyOf(row))?.push(row);
    return keys.map((k) => groups.get(k) ?? []);
  });
}
