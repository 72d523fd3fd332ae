/** First expiry first, over data: no database. */
import { fefoTakings, firstExpiryFirst, isExpired, unexpiredIn } from '../data/lots';

const day = (iso: string) => new Date(`${iso}T00:00:00.000Z`);
const lot = (name: string, quantity: number, expiresAt: string | null, receivedAt = '2026-01-01') => ({
  name,
  quantity,
  expiresAt: expiresAt ? day(expiresAt) : null,
  receivedAt: day(receivedAt),
});
const TODAY = day('2026-12-08');

describe('a lot', () => {
  it('is expired only after its expiry day; a lot without one never is', () => {
    expect(isExpired(lot('a', 1, '2026-12-07'), TODAY)).toBe(true);
    expect(isExpired(lot('a', 1, '2026-12-08'), TODAY)).toBe(false);
    expect(isExpired(lot('a', 1, null), TODAY)).toBe(false);
  });

  it("counts a slot's dispensable units: its unexpired lots'", () => {
    expect(unexpiredIn([lot('a', 3, '2026-12-01'), lot('b', 4, '2027-01-01'), lot('c', 5, null)], TODAY)).toBe(9);
  });
});

describe('first expiry first', () => {
  it('orders by expiry, lots without one last, the oldest received first among equals', () => {
    const lots = [
      lot('none', 1, null),
      lot('late', 1, '2027-06-01'),
      lot('soon-new', 1, '2027-01-01', '2026-11-01'),
      lot('soon-old', 1, '2027-01-01', '2026-10-01'),
    ];
    expect([...lots].sort(firstExpiryFirst).map((l) => l.name)).toEqual(['soon-old', 'soon-new', 'late', 'none']);
  });

  it('takes from the first-expiring lots first, across lots, up to what is asked', () => {
    const lots = [lot('late', 10, '2027-06-01'), lot('soon', 3, '2027-01-01'), lot('empty', 0, '2026-12-31')];
    expect(fefoTakings(lots, 5).map(({ lot: l, taken }) => [l.name, taken])).toEqual([
      ['soon', 3],
      ['late', 2],
    ]);
  });

  it('takes what there is when the lots hold less than asked, and nothing when nothing is asked', () => {
    const lots = [lot('a', 2, '2027-01-01'), lot('b', 1, null)];
    expect(fefoTakings(lots, 10).reduce((sum, t) => sum + t.taken, 0)).toBe(3);
    expect(fefoTakings(lots, 0)).toEqual([]);
  });

  it('leaves the lots it was given as they were', () => {
    const lots = [lot('late', 1, '2027-06-01'), lot('soon', 1, '2027-01-01')];
    fefoTakings(lots, 2);
    expect(lots.map((l) => l.name)).toEqual(['late', 'soon']);
  });
});
