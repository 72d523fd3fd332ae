import { liveStream, mapStream } from '../live/stream';

/** A source the test pushes events into. */
function source() {
  let push: (n: number) => void = () => undefined;
  let stopped = false;
  return {
    listen: (p: (n: number) => void) => ((push = p), () => (stopped = true)),
    push: (n: number) => push(n),
    stopped: () => stopped,
  };
}

it('resolves a burst concurrently but delivers in arrival order, skipping what resolves to nothing', async () => {
  const events = source();
  const started: number[] = [];
  const release = new Map<number, (v: string | undefined) => void>();
  const stream = liveStream<number, string>({
    listen: events.listen,
    resolve: (n) => (started.push(n), new Promise((r) => release.set(n, r))),
    maxPending: 10,
    onDropped: () => undefined,
  });
  [1, 2, 3].forEach(events.push);
  expect(started).toEqual([1, 2, 3]); // all three started at once
  release.get(3)!('three');
  release.get(2)!(undefined); // not the subscriber's to see
  release.get(1)!('one');
  expect(await stream.next()).toEqual({ value: 'one', done: false });
  expect(await stream.next()).toEqual({ value: 'three', done: false });
});

it('drops a subscriber with more than maxPending events waiting', async () => {
  const events = source();
  const dropped = jest.fn();
  const stream = liveStream<number, number>({ listen: events.listen, resolve: () => new Promise(() => undefined), maxPending: 2, onDropped: dropped });
  [1, 2].forEach(events.push);
  expect(dropped).not.toHaveBeenCalled();
  events.push(3);
  expect(dropped).toHaveBeenCalledTimes(1);
  expect(events.stopped()).toBe(true);
  expect(await stream.next()).toEqual({ value: undefined, done: true });
});

it('mapStream maps each value and passes return() to the source while a next() waits', async () => {
  const events = source();
  const stream = liveStream<number, number>({ listen: events.listen, resolve: async (n) => n, maxPending: 5, onDropped: () => undefined });
  const doubled = mapStream(stream, (n) => n * 2);
  events.push(21);
  expect(await doubled.next()).toEqual({ value: 42, done: false });
  const waiting = doubled.next();
  await doubled.return!();
  expect(events.stopped()).toBe(true);
  expect(await waiting).toEqual({ value: undefined, done: true });
});
