import { badUserInput } from '@asky/shared';

/** Printable ASCII only: a look-alike letter of another script (Cyrillic а for Latin a) is refused, not stored as another person. */
const EMAIL = /^[!-?A-~]+@[!-?A-~]+\.[!-?A-~]+$/;

/**
 * The one form e-mails are stored and compared in: NFKC (fullwidth ａ is a),
 * without invisible characters (a zero-width space), trimmed, lower-case.
 */
export const normaliseEmail = (email: string): string =>
  email
    .normalize('NFKC')
    .replace(/\p{Default_Ignorable_Code_Point}/gu, '')
    .trim()
    .toLowerCase();

/**
 * A new account's e-mail, normalised; BAD_USER_INPUT unless it is printable
 * ASCII once normalised (an internationalised domain in its xn-- form), so two
 * accounts can never differ by a character that looks like another.
 */
export function validEmail(email: string): string {
  const normalised = normaliseEmail(email);
  if (!EMAIL.test(normalised) || normalised.length > 254) {
    throw badUserInput(
      'email is not a valid e-mail address (letters of the Latin alphabet, digits and punctuation; a domain in its xn-- form)',
      { argument: 'email' },
    );
  }
  return normalised;
}

/** A professional registration, trimmed: 1 to 40 characters, or null (none). */
export function validRegistration(registration: string | null | undefined): string | null {
  const trimmed = registration?.trim();
  if (!trimmed) return null;
  if (trimmed.length > 40)
    throw badUserInput('registration must have at most 40 characters', { argument: 'registration' });
  return trimmed;
}

export function validName(name: string): string {
  const trimmed = name.trim();
  if (!trimmed || trimmed.length > 100) throw badUserInput('name must have 1 to 100 characters', { argument: 'name' });
  return trimmed;
}

/** A CHARGE_NURSE's units: 1 to 100 characters each, at most 20, no repeats; other roles oversee none. */
export function validUnits(units: readonly string[], role: string): string[] {
  const trimmed = [...new Set(units.map((unit) => unit.trim()))];
  if (role !== 'CHARGE_NURSE' && trimmed.length)
    throw badUserInput('Only a CHARGE_NURSE oversees units', { argument: 'units' });
  if (trimmed.length > 20 || trimmed.some((unit) => !unit || unit.length > 100))
    throw badUserInput('units: at most 20, each 1 to 100 characters', { argument: 'units' });
  return trimmed;
}

/** NIST 800-63B / OWASP: length over composition rules; at most 128 so hashing stays bounded. */
export const PASSWORD_MIN_LENGTH = 12;
export const PASSWORD_MAX_LENGTH = 128;

export function checkPassword(password: string, email: string): void {
  const length = [...password].length;
  if (length < PASSWORD_MIN_LENGTH || length > PASSWORD_MAX_LENGTH) {
    throw badUserInput(`password must have ${PASSWORD_MIN_LENGTH} to ${PASSWORD_MAX_LENGTH} characters`, {
      argument: 'password',
    });
  }
  if (password.trim().toLowerCase() === normaliseEmail(email)) {
    throw badUserInput('password must not be the e-mail address', { argument: 'password' });
  }
}
