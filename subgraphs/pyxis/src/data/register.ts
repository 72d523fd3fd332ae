/**
 * A medicine's register (the controlled-substance book pharmacies keep): every
 * movement of it in every cabinet over some of the hospital's days, in order, with the running balance across the
 * hospital (every cabinet plus what is carried in transit: a movement changes it
 * by delta + carried), who acted, who witnessed and for which request. The balance starts
 * from the sum of every movement before the window, so a window's first line
 * carries on from the last one before it.
 */
import { stringify } from 'csv-stringify/sync';
import { badUserInput, hospitalLocalIso, hospitalTimeZone, notFound, parseInstant } from '@asky/shared';
import type { PyxisPrisma } from './client';
import { heldChange } from './custody';
import type { Dispenser, StockItem, StockMovement } from '../generated/prisma/client';

/** A window holds at most this many movements: a longer register is read in narrower windows. */
export const MAX_REGISTER_ENTRIES = 10_000;

export type RegisterLine = StockMovement & { stockItem: StockItem & { dispenser: Dispenser }; balance: number };

export interface Register {
  readonly medicineId: string;
  /** First and last day, YYYY-MM-DD, both included: the hospital's days. */
  readonly firstDay: string;
  readonly lastDay: string;
  readonly openingBalance: number;
  readonly closingBalance: number;
  readonly entries: readonly RegisterLine[];
}

/** The register over the hospital's days `firstDay` to `lastDay` (YYYY-MM-DD, both included). */
export async function readRegister(
  prisma: PyxisPrisma,
  medicineId: string,
  firstDay: string,
  lastDay: string,
): Promise<Register> {
  const from = parseInstant(firstDay, 'from');
  const to = parseInstant(new Date(Date.parse(`${lastDay}T00:00:00Z`) + 864e5).toISOString().slice(0, 10), 'to'); // the next day's local midnight
  if (!(from < to)) throw badUserInput('from must not be after to', { argument: 'from' });
  if (!(await prisma.medicine.findUnique({ where: { id: medicineId }, select: { id: true } })))
    throw notFound('No medicine has this id');
  const [before, movements] = await Promise.all([
    prisma.stockMovement.aggregate({ where: { medicineId, at: { lt: from } }, _sum: { delta: true, carried: true } }),
    prisma.stockMovement.findMany({
      where: { medicineId, at: { gte: from, lt: to } },
      include: { stockItem: { include: { dispenser: true } } },
      orderBy: [{ at: 'asc' }, { id: 'asc' }],
      take: MAX_REGISTER_ENTRIES + 1,
    }),
  ]);
  if (movements.length > MAX_REGISTER_ENTRIES)
    throw badUserInput(`More than ${MAX_REGISTER_ENTRIES} movements in this window: narrow it`, { argument: 'from' });
  const openingBalance = (before._sum.delta ?? 0) + (before._sum.carried ?? 0);
  let balance = openingBalance;
  const entries = movements.map((movement) => ({ ...movement, balance: (balance += heldChange(movement)) }));
  return { medicineId, firstDay, lastDay, openingBalance, closingBalance: balance, entries };
}

/** One of the hospital's days of a register. */
export interface RegisterDayTotals {
  readonly day: string;
  readonly openingBalance: number;
  readonly closingBalance: number;
  readonly received: number;
  readonly dispensed: number;
  readonly removed: number;
}

/** The register's days with movements, in order: each carries on from the one before. */
export function registerDays(register: Register, timeZone = hospitalTimeZone()): RegisterDayTotals[] {
  const days: { -readonly [K in keyof RegisterDayTotals]: RegisterDayTotals[K] }[] = [];
  let balance = register.openingBalance;
  for (const entry of register.entries) {
    const day = hospitalLocalIso(entry.at, timeZone).slice(0, 10);
    let current = days.at(-1);
    if (current?.day !== day)
      days.push(
        (current = { day, openingBalance: balance, closingBalance: balance, received: 0, dispensed: 0, removed: 0 }),
      );
    const change = heldChange(entry);
    balance += change;
    current.closingBalance = balance;
    if (change > 0) current.received += change;
    else if (entry.kind === 'DISPENSE') current.dispensed -= change;
    else current.removed -= change;
  }
  return days;
}

const CSV_COLUMNS = [
  'at',
  'kind',
  'dispenser',
  'slot',
  'lot',
  'delta',
  'balance',
  'actorId',
  'witnessId',
  'requestId',
  'reason',
  'doseAmount',
  'doseUnit',
  'carried',
];

/** RFC 4180 CSV with a header line; text that a spreadsheet would run as a formula is quoted out of it. */
export function registerCsv(register: Register): string {
  const rows = register.entries.map((e) => [
    e.at.toISOString(),
    e.kind,
    e.stockItem.dispenser.code,
    e.stockItem.slot,
    e.lot,
    e.delta,
    e.balance,
    e.actorId,
    e.witnessId,
    e.requestId,
    e.reason,
    e.doseAmount,
    e.doseUnit,
    e.carried,
  ]);
  return stringify(rows, { header: true, columns: CSV_COLUMNS, escape_formulas: true, record_delimiter: 'windows' });
}
