import { registerDays, type Register, type RegisterLine } from '../data/register';
import { heldChange } from '../data/custody';

const at = (iso: string) => new Date(iso);
/** A register line with only what the day sums read. */
const line = (kind: RegisterLine['kind'], iso: string, delta: number, carried = 0) =>
  ({ kind, at: at(iso), delta, carried }) as RegisterLine;

const register = (entries: RegisterLine[], openingBalance = 10): Register => ({
  medicineId: 'm',
  firstDay: '2026-12-06',
  lastDay: '2026-12-07',
  openingBalance,
  closingBalance: 0,
  entries,
});

describe("a register's days", () => {
  it("count units carried in transit as the hospital's: a pick-up changes no balance, the hand-over is what is dispensed", () => {
    const days = registerDays(
      register([
        line('RESTOCK', '2026-12-06T13:00:00Z', 5),
        line('PICK_UP', '2026-12-06T14:00:00Z', -2, 2),
        line('DISPENSE', '2026-12-06T14:20:00Z', 0, -2),
        line('PICK_UP', '2026-12-06T15:00:00Z', -3, 3),
        line('RETURN', '2026-12-06T15:30:00Z', 3, -3),
        line('WASTE', '2026-12-06T16:00:00Z', -1),
      ]),
      'America/Sao_Paulo',
    );
    expect(days).toEqual([
      { day: '2026-12-06', openingBalance: 10, closingBalance: 12, received: 5, dispensed: 2, removed: 1 },
    ]);
  });

  it("split at the hospital's midnight, each carrying on from the one before, units still carried overnight included", () => {
    const days = registerDays(
      register([line('PICK_UP', '2026-12-07T02:30:00Z', -2, 2), line('DISPENSE', '2026-12-07T03:10:00Z', 0, -2)]),
      'America/Sao_Paulo',
    );
    expect(days).toEqual([
      { day: '2026-12-06', openingBalance: 10, closingBalance: 10, received: 0, dispensed: 0, removed: 0 }, // 23:30 local: picked up, still the hospital's
      { day: '2026-12-07', openingBalance: 10, closingBalance: 8, received: 0, dispensed: 2, removed: 0 },
    ]);
  });

  it('change what the hospital holds by delta plus carried', () => {
    expect(heldChange({ delta: -2, carried: 2 })).toBe(0);
    expect(heldChange({ delta: 0, carried: -2 })).toBe(-2);
    expect(heldChange({ delta: -4, carried: 0 })).toBe(-4);
  });
});
