import { badUserInput, hospitalToday } from '@asky/shared';

/** Trimmed, 1 to `max` characters. */
export function text(value: string, argument: string, max = 200): string {
  const trimmed = value.trim();
  if (!trimmed || trimmed.length > max)
    throw badUserInput(`${argument} must have 1 to ${max} characters`, { argument });
  return trimmed;
}

export const optionalText = (value: string | null | undefined, argument: string, max = 200) =>
  value == null || value.trim() === '' ? null : text(value, argument, max);

/** "500 mg", "10 mg/mL", "0,9%": a positive amount first. */
export function strength(value: string): string {
  const trimmed = text(value, 'strength', 50);
  const amount = /^(\d+(?:[.,]\d+)?)\s*\S/.exec(trimmed)?.[1];
  if (!amount || Number(amount.replace(',', '.')) <= 0) {
    throw badUserInput('strength must start with a positive amount and a unit, e.g. "500 mg"', {
      argument: 'strength',
    });
  }
  return trimmed;
}

/** WHO ATC code, e.g. N02BE01. */
export function atcCode(value: string | null | undefined): string | null {
  const code = optionalText(value, 'atcCode', 7)?.toUpperCase() ?? null;
  if (code && !/^[A-Z]\d{2}[A-Z]{2}\d{2}$/.test(code))
    throw badUserInput('atcCode must look like N02BE01', { argument: 'atcCode' });
  return code;
}

/** Codes people type and print: upper case, e.g. UTI-2-A or STUCK_DRAWER. */
export function code(value: string, argument: string, pattern: RegExp): string {
  const normalised = value.trim().toUpperCase();
  if (!pattern.test(normalised)) throw badUserInput(`${argument} "${value}" is not a valid code`, { argument });
  return normalised;
}

export const DISPENSER_CODE = /^[A-Z0-9][A-Z0-9-]{1,19}$/;
export const ASSISTANCE_CODE = /^[A-Z][A-Z0-9_]{1,39}$/;

/** Today in the hospital (`HOSPITAL_TIME_ZONE`), as a Postgres `date`: a lot is good through its expiry day there. */
export const hospitalDay = (): Date => hospitalToday();

/** A calendar date, YYYY-MM-DD. */
export function date(value: string, argument: string): Date {
  const parsed = /^\d{4}-\d{2}-\d{2}$/.test(value) ? new Date(`${value}T00:00:00Z`) : new Date(NaN);
  if (Number.isNaN(parsed.getTime()) || parsed.toISOString().slice(0, 10) !== value || parsed.getUTCFullYear() < 1900) {
    throw badUserInput(`${argument} must be a date as YYYY-MM-DD (years 1900 to 9999)`, { argument });
  }
  return parsed;
}

export function count(value: number, argument: string, { min, max = 100_000 }: { min: number; max?: number }): number {
  if (!Number.isInteger(value) || value < min || value > max)
    throw badUserInput(`${argument} must be a whole number from ${min} to ${max}`, { argument });
  return value;
}
