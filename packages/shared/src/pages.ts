import { badUserInput } from './errors';
import { parseId } from './ids';

/** A validated page request: how many, after which id. */
export interface PageArgs {
  readonly first: number;
  /** The id of the last item of the previous page. */
  readonly after: string | null;
}

/** Validates `first` (1…max, `fallback` when absent) and the `after` cursor; BAD_USER_INPUT otherwise. */
export function parsePage(
  first: number | null | undefined,
  after: string | null | undefined,
  { fallback, max }: { fallback: number; max: number },
): PageArgs {
  const size = first ?? fallback;
  if (!Number.isInteger(size) || size < 1 || size > max) {
    throw badUserInput(`first must be between 1 and ${max}`, { argument: 'first' });
  }
  return { first: size, after: after ? parseId(after, 'after') : null };
}

/** Relay's page information (`PageInfo` in the schemas). */
export interface PageInfo {
  readonly hasNextPage: boolean;
  readonly hasPreviousPage: boolean;
  readonly startCursor: string | null;
  readonly endCursor: string | null;
}

/** A Relay connection: the page's items as edges, each with its cursor. */
export interface Connection<T> {
  readonly edges: { readonly cursor: string; readonly node: T }[];
  readonly pageInfo: PageInfo;
}

/**
 * The page `page` asks for, read with `read` (the list field's own query), as a
 * connection. One more item than asked is read to know whether another page
 * follows. A cursor is the item's id, so the list fields' `after` takes it too.
 */
export async function connectionOf<T extends { readonly id: string }>(
  page: PageArgs,
  read: (page: PageArgs) => Promise<T[]>,
): Promise<Connection<T>> {
  const rows = await read({ ...page, first: page.first + 1 });
  const edges = rows.slice(0, page.first).map((node) => ({ cursor: node.id, node }));
  return {
    edges,
    pageInfo: {
      hasNextPage: rows.length > page.first,
      // Paging forward, a page after a cursor has one before it (the cursor's item).
      hasPreviousPage: page.after !== null,
      startCursor: edges[0]?.cursor ?? null,
      endCursor: edges.at(-1)?.cursor ?? null,
    },
  };
}
