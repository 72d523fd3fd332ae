/**
 * The hospital's clock: dates and times people type without an offset
 * ("2026-12-01", "2026-12-01T08:00") are the hospital's local time, and "today"
 * (an expiry day, a register window) is the hospital's calendar day — not UTC,
 * which in São Paulo turns at 21:00. `HOSPITAL_TIME_ZONE` (IANA name)
 * @default America/Sao_Paulo
 */
import { COMMON_ENV, readEnv } from './config';
import { badUserInput } from './errors';

export const DEFAULT_TIME_ZONE = 'America/Sao_Paulo';

let zone: string | undefined;

/** The hospital's time zone, read once from `HOSPITAL_TIME_ZONE` (an unknown zone stops the start). */
export function hospitalTimeZone(): string {
  if (zone) return zone;
  const named = readEnv({ HOSPITAL_TIME_ZONE: COMMON_ENV.HOSPITAL_TIME_ZONE }).HOSPITAL_TIME_ZONE ?? DEFAULT_TIME_ZONE;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: named });
  } catch {
    throw new Error(`HOSPITAL_TIME_ZONE must be an IANA time zone such as ${DEFAULT_TIME_ZONE}, not "${named}"`);
  }
  return (zone = named);
}

/** One formatter per zone: making one costs far more than formatting with it (it showed in every stock read's profile). */
const formatters = new Map<string, Intl.DateTimeFormat>();

/** The wall-clock fields of `at` in `timeZone`. */
function wallClock(at: Date, timeZone: string): number[] {
  let format = formatters.get(timeZone);
  if (!format)
    formatters.set(
      timeZone,
      (format = new Intl.DateTimeFormat('en-US', {
        timeZone,
        hourCycle: 'h23',
        year: 'numeric',
        month: '2-digit',
        day: '2-digit',
        hour: '2-digit',
        minute: '2-digit',
        second: '2-digit',
      })),
    );
  const parts = format.formatToParts(at);
  const field = (type: string) => Number(parts.find((p) => p.type === type)!.value);
  return [field('year'), field('month'), field('day'), field('hour'), field('minute'), field('second')];
}

/** How far `timeZone` is ahead of UTC at `at`, in ms. */
function offsetAt(at: Date, timeZone: string): number {
  const [y, mo, d, h, mi, s] = wallClock(at, timeZone);
  return Date.UTC(y!, mo! - 1, d!, h!, mi!, s!) - Math.floor(at.getTime() / 1000) * 1000;
}

const pad = (n: number, width = 2) => String(Math.abs(n)).padStart(width, '0');

/** `at` as the hospital's clock shows it, ISO-8601 with its offset ("2026-12-07T16:05:00-03:00"): how a book kept on paper reads. */
export function hospitalLocalIso(at: Date, timeZone = hospitalTimeZone()): string {
  const [y, mo, d, h, mi, s] = wallClock(at, timeZone);
  const offsetMinutes = Math.round(offsetAt(at, timeZone) / 60_000);
  const sign = offsetMinutes < 0 ? '-' : '+';
  return `${y}-${pad(mo!)}-${pad(d!)}T${pad(h!)}:${pad(mi!)}:${pad(s!)}${sign}${pad(Math.trunc(offsetMinutes / 60))}:${pad(offsetMinutes % 60)}`;
}

/** Today's calendar day in the hospital, as the UTC midnight Postgres `date` columns hold. */
export function hospitalToday(now = new Date(), timeZone = hospitalTimeZone()): Date {
  const [y, mo, d] = wallClock(now, timeZone);
  return new Date(Date.UTC(y!, mo! - 1, d!));
}

const LOCAL = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,3}))?)?)?$/;

/**
 * An instant from ISO-8601: with an offset (or Z) as it says; without one, the
 * hospital's local time (a date alone: its local midnight). BAD_USER_INPUT for
 * anything else, or a date that does not exist.
 */
export function parseInstant(value: string, argument: string, timeZone = hospitalTimeZone()): Date {
  const local = LOCAL.exec(value);
  if (!local) {
    const at = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/.test(value)
      ? new Date(value)
      : new Date(NaN);
    if (Number.isNaN(at.getTime()))
      throw badUserInput(
        `${argument} must be an ISO-8601 date or date-time (without an offset: the hospital's time, ${timeZone})`,
        { argument },
      );
    return at;
  }
  const [y, mo, d, h = 0, mi = 0, s = 0] = local
    .slice(1, 7)
    .map((part) => (part === undefined ? undefined : Number(part)));
  const ms = local[7] ? Number(local[7].padEnd(3, '0')) : 0;
  const wall = Date.UTC(y!, mo! - 1, d!, h, mi, s, ms);
  const asTyped = new Date(wall);
  if (
    y! < 1900 ||
    asTyped.getUTCFullYear() !== y ||
    asTyped.getUTCMonth() !== mo! - 1 ||
    asTyped.getUTCDate() !== d ||
    h > 23 ||
    mi > 59 ||
    s > 59
  ) {
    throw badUserInput(`${argument} is not a date that exists (years 1900 to 9999)`, { argument });
  }
  // The instant whose local wall clock reads `wall` (checked again across a DST change).
  let at = wall - offsetAt(new Date(wall), timeZone);
  at = wall - offsetAt(new Date(at), timeZone);
  return new Date(at);
}
