import { badUserInput } from '@asky/shared';

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/** Trimmed and lower-case: the one form e-mails are stored and compared in. */
export const normaliseEmail = (email: string): string => email.trim().toLowerCase();

export function validEmail(email: string): string {
  const normalised = normaliseEmail(email);
  if (!EMAIL.test(normalised) || normalised.length > 254) throw badUserInput('email is not a valid e-mail address', { argument: 'email' });
  return normalised;
}

export function validName(name: string): string {
  const trimmed = name.trim();
  if (!trimmed || trimmed.length > 100) throw badUserInput('name must have 1 to 100 characters', { argument: 'name' });
  return trimmed;
}

/** A CHARGE_NURSE's units: 1 to 100 characters each, at most 20, no repeats; other roles oversee none. */
export function validUnits(units: readonly string[], role: string): string[] {
  const trimmed = [...new Set(units.map((unit) => unit.trim()))];
  if (role !== 'CHARGE_NURSE' && trimmed.length) throw badUserInput('Only a CHARGE_NURSE oversees units', { argument: 'units' });
  if (trimmed.length > 20 || trimmed.some((unit) => !unit || unit.length > 100)) throw badUserInput('units: at most 20, each 1 to 100 characters', { argument: 'units' });
  return trimmed;
}

/** NIST 800-63B / OWASP: length over composition rules; at most 128 so hashing stays bounded. */
export const PASSWORD_MIN_LENGTH = 12;
export const PASSWORD_MAX_LENGTH = 128;

export function checkPassword(password: string, email: string): void {
  const length = [...password].length;
  if (length < PASSWORD_MIN_LENGTH || length > PASSWORD_MAX_LENGTH) {
    throw badUserInput(`password must have ${PASSWORD_MIN_LENGTH} to ${PASSWORD_MAX_LENGTH} characters`, { argument: 'password' });
  }
  if (password.trim().toLowerCase() === normaliseEmail(email)) {
    throw badUserInput('password must not be the e-mail address', { argument: 'password' });
  }
}
