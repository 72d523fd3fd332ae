/**
 * The units quantities are counted in: a closed set, so "ampoule", "ampola" and
 * "mL" never coexist for one thing. Package units are what a cabinet holds one
 * of (an ampoule, a tablet); measures are UCUM codes (a quantity drawn from a
 * multi-dose container). A package's content is a UCUM amount ("2 mL"), so a
 * strength per mL tells how much drug one ampoule holds.
 */
import { badUserInput } from '@asky/shared';

export const PACKAGE_UNITS: Readonly<Record<string, string>> = {
  ampoule: 'Ampola',
  vial: 'Frasco-ampola',
  bottle: 'Frasco',
  bag: 'Bolsa',
  syringe: 'Seringa preenchida',
  pen: 'Caneta',
  cartridge: 'Refil',
  tablet: 'Comprimido',
  capsule: 'Cápsula',
  sachet: 'Sachê',
  suppository: 'Supositório',
  patch: 'Adesivo',
  tube: 'Bisnaga',
  inhaler: 'Inalador',
  unit: 'Unidade',
  pair: 'Par',
  pack: 'Pacote',
  box: 'Caixa',
  roll: 'Rolo',
  kit: 'Kit',
};

/** UCUM codes (case-sensitive, as UCUM writes them) and their names. */
export const UCUM_UNITS: Readonly<Record<string, string>> = {
  mL: 'Mililitro',
  L: 'Litro',
  ug: 'Micrograma',
  mg: 'Miligrama',
  g: 'Grama',
  cm: 'Centímetro',
  m: 'Metro',
  '[iU]': 'Unidade internacional',
};

/** The canonical code for a unit as typed: package units in lower case, UCUM codes as UCUM writes them. */
function canonical(value: string): { code: string; kind: 'PACKAGE' | 'MEASURE' } | undefined {
  const typed = value.trim();
  if (PACKAGE_UNITS[typed.toLowerCase()]) return { code: typed.toLowerCase(), kind: 'PACKAGE' };
  const ucum = Object.keys(UCUM_UNITS).find(
    (code) => code.toLowerCase() === typed.toLowerCase() || (code === 'ug' && /^(mcg|µg)$/i.test(typed)),
  );
  return ucum ? { code: ucum, kind: 'MEASURE' } : undefined;
}

/** A dispensing unit of the closed set, or BAD_USER_INPUT naming the set. */
export function dispensingUnit(value: string, argument = 'unit'): { code: string; kind: 'PACKAGE' | 'MEASURE' } {
  const unit = canonical(value);
  if (!unit) {
    throw badUserInput(
      `${argument} must be a package unit (${Object.keys(PACKAGE_UNITS).join(', ')}) or a UCUM code (${Object.keys(UCUM_UNITS).join(', ')}): see dispensingUnits`,
      { argument },
    );
  }
  return unit;
}

/** What one package holds, e.g. "2 mL": a positive amount and a UCUM code; only for package units. */
export function packageContent(value: string | null | undefined, unit: { kind: 'PACKAGE' | 'MEASURE' }): string | null {
  if (value == null || value.trim() === '') return null;
  if (unit.kind === 'MEASURE')
    throw badUserInput('content is for package units (an ampoule of 2 mL), not for a measure', { argument: 'content' });
  const match = /^(\d+(?:[.,]\d+)?)\s*(\S+)$/.exec(value.trim());
  const amount = match ? Number(match[1]!.replace(',', '.')) : NaN;
  const code = match && canonical(match[2]!);
  if (!(amount > 0) || code?.kind !== 'MEASURE') {
    throw badUserInput(
      `content must be a positive amount and a UCUM code, e.g. "2 mL" (${Object.keys(UCUM_UNITS).join(', ')})`,
      { argument: 'content' },
    );
  }
  return `${match![1]} ${code.code}`;
}

const amount = (text: string) => Number(text.replace(',', '.'));

/**
 * What one package unit of a medicine holds, in each unit it can be told in: its
 * content ("1 mL"), and the drug in it when the strength is per that measure
 * ("10 mg/mL" × 1 mL = 10 mg). Empty when the medicine says neither.
 */
export function amountsInOne(medicine: {
  readonly content: string | null;
  readonly strength: string;
}): Map<string, number> {
  const inOne = new Map<string, number>();
  const content = /^(\d+(?:[.,]\d+)?)\s*(\S+)$/.exec(medicine.content?.trim() ?? '');
  const volumeUnit = content && canonical(content[2]!);
  if (!content || volumeUnit?.kind !== 'MEASURE') return inOne;
  const volume = amount(content[1]!);
  inOne.set(volumeUnit.code, volume);
  const strength = /^(\d+(?:[.,]\d+)?)\s*([^\s/]+)\s*\/\s*(\d+(?:[.,]\d+)?)?\s*(\S+)$/.exec(medicine.strength.trim());
  const drugUnit = strength && canonical(strength[2]!);
  if (strength && drugUnit?.kind === 'MEASURE' && canonical(strength[4]!)?.code === volumeUnit.code) {
    inOne.set(drugUnit.code, (amount(strength[1]!) * volume) / (strength[3] ? amount(strength[3]) : 1));
  }
  return inOne;
}

/**
 * How many package units `quantity` of `unit` is (0.8 for 8 mg of a 10 mg
 * ampoule); BAD_USER_INPUT when the medicine cannot be measured in that unit.
 */
export function unitsOfDose(
  medicine: { readonly content: string | null; readonly strength: string },
  quantity: number,
  unit: string,
): number {
  const inOne = amountsInOne(medicine);
  const code = canonical(unit)?.code;
  const perUnit = code ? inOne.get(code) : undefined;
  if (!perUnit) {
    const allowed = [...inOne.keys()];
    throw badUserInput(
      allowed.length
        ? `unit must be one this medicine is measured in: ${allowed.join(' or ')}`
        : 'This medicine says neither its content nor a strength per measure: waste whole units (wasteStock)',
      { argument: 'unit' },
    );
  }
  if (!(quantity > 0) || !Number.isFinite(quantity))
    throw badUserInput('amount must be positive', { argument: 'amount' });
  return quantity / perUnit;
}
