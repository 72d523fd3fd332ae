/** Holding stock for accepted requests, over data: no database. */
import { availableIn, splitReservation } from '../data/reservations';

const slot = (name: string, unexpired: number, reserved = 0) => ({ name, unexpired, reserved });

describe('what a slot can promise', () => {
  it('is its unexpired units less what is held, never below zero', () => {
    expect(availableIn(slot('A1', 5, 2))).toBe(3);
    expect(availableIn(slot('A1', 2, 5))).toBe(0);
  });
});

describe('a reservation', () => {
  it('is held from the slots in the order given (first expiry first), each giving what it can promise', () => {
    const split = splitReservation([slot('A1', 2, 1), slot('A2', 0), slot('A3', 10, 4)], 4);
    expect(split.map(({ slot: s, held }) => [s.name, held])).toEqual([
      ['A1', 1],
      ['A3', 3],
    ]);
  });

  it('is all or nothing: CONFLICT, with what is available, when the slots cannot promise it', () => {
    expect(() => splitReservation([slot('A1', 3, 1), slot('A2', 1)], 4)).toThrow(
      expect.objectContaining({ extensions: expect.objectContaining({ code: 'CONFLICT', available: 3 }) }),
    );
  });

  it('takes no more than asked, even from a full slot', () => {
    expect(splitReservation([slot('A1', 50)], 2)).toEqual([{ slot: slot('A1', 50), held: 2 }]);
  });
});
