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
