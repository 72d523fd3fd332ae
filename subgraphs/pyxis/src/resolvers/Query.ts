import { badUserInput, connectionOf, parseId, parsePage } from '@asky/shared';
import { parseQrPayload } from '../qrCodes';
import { PACKAGE_UNITS, UCUM_UNITS } from '../units';
import type { Page } from '../data/search';
import { count, date as validDate, text, hospitalDay } from '../validation';

const DAY_MS = 864e5;
import type { QueryResolvers } from '../generated/graphql';

export const MAX_PAGE_SIZE = 500;

function page(
  search: string | null | undefined,
  first: number | null | undefined,
  after: string | null | undefined,
): Page {
  if (search && search.length > 100)
    throw badUserInput('search must have at most 100 characters', { argument: 'search' });
  return { search, ...parsePage(first, after, { fallback: 100, max: MAX_PAGE_SIZE }) };
}

export const Query: QueryResolvers = {
  medicines: (_, { search, first, after }, { catalogue }) => catalogue.medicines(page(search, first, after)),
  medicine: (_, { id }, { catalogue }) => catalogue.medicineById.load(parseId(id)),
  materials: (_, { search, first, after }, { catalogue }) => catalogue.materials(page(search, first, after)),
  medicinesConnection: (_, { search, first, after }, { catalogue }) =>
    connectionOf(page(search, first, after), (p) => catalogue.medicines({ search, ...p })),
  materialsConnection: (_, { search, first, after }, { catalogue }) =>
    connectionOf(page(search, first, after), (p) => catalogue.materials({ search, ...p })),
  material: (_, { id }, { catalogue }) => catalogue.materialById.load(parseId(id)),
  medicineByBarcode: (_, { barcode }, { catalogue }) => catalogue.medicineByBarcode(text(barcode, 'barcode', 64)),
  assistanceTypes: (_, __, { catalogue }) => catalogue.assistanceTypes(),
  dispensingUnits: () => [
    ...Object.entries(PACKAGE_UNITS).map(([code, name]) => ({ code, name, kind: 'PACKAGE' as const })),
    ...Object.entries(UCUM_UNITS).map(([code, name]) => ({ code, name, kind: 'MEASURE' as const })),
  ],
  dispensers: (_, { includeRetired }, { dispensers }) => dispensers.list(includeRetired ?? false),
  lowStock: (_, { unit }, { stock }) => stock.lowStock(unit),
  stockChange: (_, { eventId }, { stock }) => stock.recordedChange(eventId),
  lotDispenses: (_, { lot, medicineId, materialId, first }, { stock }) =>
    stock.lotDispenses(
      text(lot, 'lot', 100),
      {
        medicineId: medicineId ? parseId(medicineId, 'medicineId') : null,
        materialId: materialId ? parseId(materialId, 'materialId') : null,
      },
      count(first ?? 100, 'first', { min: 1, max: 1_000 }),
    ),
  stockInTransit: (_, { medicineId, dispenserId }, { stock }) =>
    stock.inTransit({
      medicineId: medicineId ? parseId(medicineId, 'medicineId') : null,
      dispenserId: dispenserId ? parseId(dispenserId, 'dispenserId') : null,
    }),
  expiringBefore: (_, { date, unit }, { stock }) => stock.expiringBefore(validDate(date, 'date'), unit),
  expiringLots: (_, { date, unit }, { stock }) => stock.expiringLots(validDate(date, 'date'), unit),
  discrepancies: (_, { open, unit, first }, { discrepancies }) =>
    discrepancies.list({ open, unit }, count(first ?? 100, 'first', { min: 1, max: 500 })),
  dispenser: (_, { id }, { dispensers }) => dispensers.byId.load(parseId(id)),
  controlledRegister: (_, { medicineId, from, to }, { stock }) => {
    const last = to ? validDate(to, 'to') : hospitalDay();
    const first = from ? validDate(from, 'from') : new Date(last.getTime() - 30 * DAY_MS);
    if (last.getTime() - first.getTime() > 365 * DAY_MS)
      throw badUserInput('A register window spans at most 366 days', { argument: 'from' });
    const day = (date: Date) => date.toISOString().slice(0, 10);
    return stock.register(parseId(medicineId, 'medicineId'), day(first), day(last));
  },
  stockReservation: (_, { requestId }, { reservations }) => reservations.held(parseId(requestId, 'requestId')),
  dispenserByQr: async (_, { payload }, { dispensers }) => {
    const scanned = parseQrPayload(payload);
    const dispenser = await dispensers.byId.load(scanned.id);
    // A payload whose code does not match its id was not printed by us.
    if (!dispenser || dispenser.code !== scanned.code)
      throw badUserInput('This QR code names no dispenser of this hospital', { argument: 'payload' });
    return dispenser;
  },
};
