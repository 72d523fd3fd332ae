import { badUserInput } from './errors';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Whether `value` is a well-formed UUID, the form of every Asky id. */
export const isUuid = (value: string): boolean => UUID.test(value);

/** Returns `value` lower-cased, or throws BAD_USER_INPUT naming `argument`. */
export function parseId(value: string, argument = 'id'): string {
  if (!isUuid(value)) throw badUserInput(`${argument} is not a valid id`, { argument });
  return value.toLowerCase();
}
