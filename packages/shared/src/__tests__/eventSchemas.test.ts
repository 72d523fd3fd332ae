import { randomUUID } from 'node:crypto';
import { parseEvent } from '../eventSchemas';

const statusChanged = (overrides: Record<string, unknown> = {}) => ({
  eventId: randomUUID(),
  type: 'request.status_changed',
  occurredAt: '2026-12-07T10:00:00.000Z',
  requestId: randomUUID(),
  kind: 'MEDICINE',
  priority: 'STAT',
  status: 'ACCEPTED',
  previousStatus: 'PENDING',
  requesterId: randomUUID(),
  changedById: randomUUID(),
  dispenserId: randomUUID(),
  medicineId: randomUUID(),
  materialId: null,
  quantity: 2,
  unit: 'UTI Adulto',
  assigneeId: randomUUID(),
  ...overrides,
});

describe('events checked against their routing key', () => {
  it('take an event as the request service writes it, known fields only', () => {
    const event = statusChanged({ extra: 'ignored' });
    const parsed = parseEvent('request.status_changed', event);
    expect(parsed).toEqual({ event: Object.fromEntries(Object.entries(event).filter(([key]) => key !== 'extra')) });
  });

  it.each([
    ['a unit that is not text', { unit: 5 }],
    ['a kind that is a prototype key', { kind: '__proto__' }],
    ['a kind that is a method name', { kind: 'toString' }],
    ['a status this version does not know', { status: 'EXPLODED' }],
    ['an id that is not a UUID', { requestId: "1' OR '1'='1" }],
    ['a missing field', { assigneeId: undefined }],
    ['a time that is not ISO-8601', { occurredAt: 'yesterday' }],
  ])('refuse %s, saying why', (_what, overrides) => {
    expect(parseEvent('request.status_changed', statusChanged(overrides))).toEqual({ refused: expect.any(String) });
  });

  it('refuse a body whose type is not its routing key, an unknown routing key, and what is not an object', () => {
    expect(parseEvent('request.created', statusChanged())).toEqual({
      refused: expect.stringMatching(/request.status_changed sent as request.created/),
    });
    expect(parseEvent('constructor', statusChanged())).toEqual({ refused: expect.stringMatching(/no schema/) });
    for (const body of [null, 'text', 42, []])
      expect(parseEvent('request.status_changed', body)).toEqual({ refused: expect.any(String) });
  });

  it('never carry a prototype from the message into the event', () => {
    const parsed = parseEvent(
      'request.status_changed',
      JSON.parse(`{"__proto__": {"polluted": true}, ${JSON.stringify(statusChanged()).slice(1)}`),
    );
    expect('event' in parsed && Object.getPrototypeOf(parsed.event)).toBe(Object.prototype);
    expect(({} as { polluted?: boolean }).polluted).toBeUndefined();
  });

  it('take stock movements and escalations by their own schemas', () => {
    const movement = {
      eventId: randomUUID(),
      type: 'stock.movement',
      occurredAt: '2026-12-07T10:00:00.000Z',
      slotId: randomUUID(),
      slot: 'M01',
      dispenserId: randomUUID(),
      unit: 'UTI Adulto',
      medicineId: randomUUID(),
      materialId: null,
      movementId: randomUUID(),
      kind: 'WASTE',
      lot: 'L1',
      delta: -1,
      quantityAfter: 3,
      actorId: randomUUID(),
      witnessId: randomUUID(),
      requestId: null,
      reason: 'broken',
    };
    expect(parseEvent('stock.movement', movement)).toEqual({ event: movement });
    expect(parseEvent('stock.movement', { ...movement, delta: '-40' })).toEqual({ refused: expect.any(String) });
    const {
      previousStatus: _p,
      changedById: _c,
      medicineId: _m,
      materialId: _ma,
      quantity: _q,
      assigneeId: _a,
      ...facts
    } = statusChanged({ type: 'request.escalated', status: 'PENDING' });
    expect(parseEvent('request.escalated', { ...facts, level: 1, waitedSeconds: 130 })).toEqual({
      event: { ...facts, level: 1, waitedSeconds: 130 },
    });
  });
});
