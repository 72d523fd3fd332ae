import { hospitalLocalIso, hospitalToday, parseInstant } from '../hospitalTime';

describe("the hospital's clock", () => {
  it('reads a date or date-time without an offset as local time, and one with an offset as it says', () => {
    expect(parseInstant('2026-12-01', 'x', 'America/Sao_Paulo').toISOString()).toBe('2026-12-01T03:00:00.000Z');
    expect(parseInstant('2026-12-01T08:30', 'x', 'America/Sao_Paulo').toISOString()).toBe('2026-12-01T11:30:00.000Z');
    expect(parseInstant('2026-12-01T08:30:05.7', 'x', 'Europe/Lisbon').toISOString()).toBe('2026-12-01T08:30:05.700Z');
    // Summer time in Lisbon: one hour ahead of UTC.
    expect(parseInstant('2026-07-01T08:30', 'x', 'Europe/Lisbon').toISOString()).toBe('2026-07-01T07:30:00.000Z');
    expect(parseInstant('2026-12-01T08:30:00Z', 'x', 'America/Sao_Paulo').toISOString()).toBe(
      '2026-12-01T08:30:00.000Z',
    );
    expect(parseInstant('2026-12-01T08:30:00-03:00', 'x', 'Europe/Lisbon').toISOString()).toBe(
      '2026-12-01T11:30:00.000Z',
    );
  });

  it('refuses what is not a date that exists, as bad input', () => {
    for (const value of [
      '2026-02-30',
      '0000-01-01',
      '+275760-09-13T00:00:00Z',
      '2026-12-01T25:00',
      'yesterday',
      '2026-12-01T08:30+3',
    ]) {
      expect(() => parseInstant(value, 'createdAfter', 'America/Sao_Paulo')).toThrow(
        expect.objectContaining({
          extensions: expect.objectContaining({ code: 'BAD_USER_INPUT', argument: 'createdAfter' }),
        }),
      );
    }
  });

  it("turns the day at the hospital's midnight, not UTC's", () => {
    // 22:00 in São Paulo on 31 December is already 1 January in UTC.
    expect(hospitalToday(new Date('2027-01-01T01:00:00Z'), 'America/Sao_Paulo').toISOString()).toBe(
      '2026-12-31T00:00:00.000Z',
    );
    expect(hospitalToday(new Date('2027-01-01T03:00:00Z'), 'America/Sao_Paulo').toISOString()).toBe(
      '2027-01-01T00:00:00.000Z',
    );
  });
});

describe("the hospital's clock, as a book reads", () => {
  it('shows an instant in the hospital zone with its offset', () => {
    expect(hospitalLocalIso(new Date('2026-12-07T19:05:09.123Z'), 'America/Sao_Paulo')).toBe(
      '2026-12-07T16:05:09-03:00',
    );
    expect(hospitalLocalIso(new Date('2026-07-01T00:30:00Z'), 'Europe/Lisbon')).toBe('2026-07-01T01:30:00+01:00');
    expect(hospitalLocalIso(new Date('2026-07-01T00:30:00Z'), 'America/St_Johns')).toBe('2026-06-30T22:00:00-02:30');
  });
});
