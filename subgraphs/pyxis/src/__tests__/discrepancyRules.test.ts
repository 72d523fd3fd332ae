/** When a change of stock opens a discrepancy, over data: no database. */
import { discrepancyOf } from '../data/discrepancyRules';

describe('a blind count', () => {
  it('opens one when it finds fewer or more than the slot should hold, and none when it agrees', () => {
    expect(discrepancyOf({ kind: 'COUNT', expected: 10, counted: 8 })).toEqual({
      source: 'COUNT',
      expected: 10,
      counted: 8,
    });
    expect(discrepancyOf({ kind: 'COUNT', expected: 10, counted: 12 })).toEqual({
      source: 'COUNT',
      expected: 10,
      counted: 12,
    });
    expect(discrepancyOf({ kind: 'COUNT', expected: 10, counted: 10 })).toBeNull();
  });
});

describe('a correction', () => {
  it('down, of a controlled medicine, opens one: a loss nobody explained yet', () => {
    expect(discrepancyOf({ kind: 'ADJUST', controlled: true, expected: 10, delta: -2 })).toEqual({
      source: 'ADJUST',
      expected: 10,
      counted: 8,
    });
  });

  it('up, or of anything not controlled, opens none', () => {
    expect(discrepancyOf({ kind: 'ADJUST', controlled: true, expected: 10, delta: 3 })).toBeNull();
    expect(discrepancyOf({ kind: 'ADJUST', controlled: false, expected: 10, delta: -2 })).toBeNull();
  });
});

describe('a dispense', () => {
  it('that took more than the count said opens one, with what must have been there', () => {
    expect(discrepancyOf({ kind: 'DISPENSE', expected: 2, beyondCount: 3 })).toEqual({
      source: 'DISPENSE',
      expected: 2,
      counted: 5,
    });
    expect(discrepancyOf({ kind: 'DISPENSE', expected: 2, beyondCount: 0 })).toBeNull();
  });
});

describe('units of a request closed in transit', () => {
  it('of a controlled medicine, not seen coming back by a witness, open one', () => {
    expect(discrepancyOf({ kind: 'TRANSIT', controlled: true, witnessed: false, expected: 7, carriedBack: 2 })).toEqual(
      { source: 'TRANSIT', expected: 7, counted: 5 },
    );
  });

  it('witnessed, or of anything not controlled, open none', () => {
    expect(
      discrepancyOf({ kind: 'TRANSIT', controlled: true, witnessed: true, expected: 7, carriedBack: 2 }),
    ).toBeNull();
    expect(
      discrepancyOf({ kind: 'TRANSIT', controlled: false, witnessed: false, expected: 7, carriedBack: 2 }),
    ).toBeNull();
  });
});
