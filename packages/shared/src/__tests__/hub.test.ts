/**
 * The live hub on the in-process bus: one bad listener or one bad message never
 * ends delivery for the others, and a hub whose consumer ended says so (the
 * gateway's readiness fails on it).
 */
import { randomUUID } from 'node:crypto';
import { InMemoryBus } from '../bus';
import { createLogger } from '../logger';
import { LiveHub, REQUEST_EVENTS, type RequestChangeEvent } from '../live';
import type { Subscription } from '../bus';

const created = () => ({
  eventId: randomUUID(),
  type: 'request.created',
  occurredAt: new Date().toISOString(),
  requestId: randomUUID(),
  kind: 'MEDICINE',
  priority: 'STAT',
  status: 'PENDING',
  previousStatus: null,
  requesterId: randomUUID(),
  changedById: null,
  dispenserId: null,
  medicineId: null,
  materialId: null,
  quantity: 1,
  unit: 'UTI Adulto',
  assigneeId: null,
});

const logger = createLogger('test', 'silent');

describe('the live hub', () => {
  it('tells every other listener of each event when one listener throws, and skips messages that do not match their schema', async () => {
    const bus = new InMemoryBus();
    const hub = new LiveHub<RequestChangeEvent>(bus, logger, REQUEST_EVENTS);
    await hub.start();
    const heard: string[] = [];
    let done: () => void = () => undefined;
    const both = new Promise<void>((resolve) => (done = resolve));
    hub.listen(() => {
      throw new TypeError('toLowerCase is not a function');
    });
    hub.listen((event) => {
      heard.push(event.eventId);
      if (heard.length === 2) done();
    });
    const [first, second] = [created(), created()];
    await bus.publish('request.created', first, first.eventId);
    await bus.publish('request.created', { ...created(), kind: '__proto__' }, randomUUID());
    await bus.publish('request.created', second, second.eventId);
    await both;
    expect(heard).toEqual([first.eventId, second.eventId]);
    expect(hub.healthy()).toBe(true);
    await hub.stop();
    expect(hub.healthy()).toBe(true); // stopped on purpose
    await bus.close();
  });

  it('is no longer healthy once its consumer ended without being stopped', async () => {
    let fail: (err: Error) => void = () => undefined;
    const failing: Subscription = {
      close: async () => undefined,
      [Symbol.asyncIterator]: () => ({ next: () => new Promise((_, reject) => (fail = reject)) }),
    };
    const bus = Object.assign(new InMemoryBus(), { broadcast: async () => failing });
    const hub = new LiveHub<RequestChangeEvent>(bus, logger, REQUEST_EVENTS);
    await hub.start();
    expect(hub.healthy()).toBe(true);
    fail(new Error('channel closed'));
    for (let i = 0; i < 100 && hub.healthy(); i++) await new Promise((r) => setTimeout(r, 5));
    expect(hub.healthy()).toBe(false);
  });
});
