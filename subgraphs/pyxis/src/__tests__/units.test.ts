import { amountsInOne, unitsOfDose } from '../units';

const MORPHINE = { content: '1 mL', strength: '10 mg/mL' };

describe('what one package unit holds', () => {
  it('is its content, and the drug in it when the strength is per that measure', () => {
    expect(amountsInOne(MORPHINE)).toEqual(
      new Map([
        ['mL', 1],
        ['mg', 10],
      ]),
    );
    expect(amountsInOne({ content: '0,4 mL', strength: '40 mg/0,4 mL' })).toEqual(
      new Map([
        ['mL', 0.4],
        ['mg', 40],
      ]),
    );
    expect(amountsInOne({ content: '2 mL', strength: '50 mcg/mL' })).toEqual(
      new Map([
        ['mL', 2],
        ['ug', 100],
      ]),
    );
    expect(amountsInOne({ content: '10 mL', strength: '5000 UI/mL' })).toEqual(new Map([['mL', 10]])); // UI is not a unit of the set
    expect(amountsInOne({ content: null, strength: '10 mg' })).toEqual(new Map());
  });

  it('turns a bedside waste into the fraction of units it is', () => {
    expect(unitsOfDose(MORPHINE, 8, 'mg')).toBeCloseTo(0.8);
    expect(unitsOfDose(MORPHINE, 0.5, 'ml')).toBeCloseTo(0.5);
    expect(() => unitsOfDose(MORPHINE, 8, 'g')).toThrow(
      expect.objectContaining({ extensions: { code: 'BAD_USER_INPUT', argument: 'unit' } }),
    );
    expect(() => unitsOfDose(MORPHINE, 0, 'mg')).toThrow(
      expect.objectContaining({ extensions: { code: 'BAD_USER_INPUT', argument: 'amount' } }),
    );
    expect(() => unitsOfDose({ content: null, strength: '10 mg' }, 5, 'mg')).toThrow(/whole units/);
  });
});
