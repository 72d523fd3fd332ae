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

it('paces a burst: a few resolutions at a time, and a subscriber that reads gets every event in order', async () => {
  const events = source();
  const dropped = jest.fn();
  let running = 0;
  let most = 0;
  const stream = liveStream<number, number>({
    listen: events.listen,
    resolve: async (n) => {
      most = Math.max(most, ++running);
      await new Promise((r) => setImmediate(r));
      running--;
      return n;
    },
    maxPending: 10,
    onDropped: dropped,
  });
  for (let i = 0; i < 1_000; i++) events.push(i); // a backlog flushed at once
  const got: number[] = [];
  while (got.length < 1_000) got.push((await stream.next()).value as number);
  expect(got).toEqual(Array.from({ length: 1_000 }, (_, i) => i));
  expect(most).toBe(4);
  expect(dropped).not.toHaveBeenCalled();
});

it('drops a subscriber that stopped reading: more than maxPending payloads it has not taken', async () => {
  const events = source();
  const dropped = jest.fn();
  liveStream<number, number>({ listen: events.listen, resolve: async (n) => n, maxPending: 2, onDropped: dropped });
  [1, 2].forEach(events.push);
  await new Promise((r) => setImmediate(r));
  expect(dropped).not.toHaveBeenCalled();
  events.push(3);
  await new Promise((r) => setImmediate(r));
  expect(dropped).toHaveBeenCalledTimes(1);
  expect(events.stopped()).toBe(true);
});

it('drops a subscriber whose backlog passes maxBacklog', async () => {
  const events = source();
  const dropped = jest.fn();
  const stream = liveStream<number, number>({
    listen: events.listen,
    resolve: () => new Promise(() => undefined),
    maxPending: 2,
    maxBacklog: 5,
    concurrency: 1,
    onDropped: dropped,
  });
  for (let i = 0; i < 6; i++) events.push(i); // one resolving, five waiting
  expect(dropped).not.toHaveBeenCalled();
  events.push(6);
  expect(dropped).toHaveBeenCalledTimes(1);
  expect(await stream.next()).toEqual({ value: undefined, done: true });
});

it('mapStream maps each value and passes return() to the source while a next() waits', async () => {
  const events = source();
  const stream = liveStream<number, number>({
    listen: events.listen,
    resolve: async (n) => n,
    maxPending: 5,
    onDropped: () => undefined,
  });
  const doubled = mapStream(stream, (n) => n * 2);
  events.push(21);
  expect(await doubled.next()).toEqual({ value: 42, done: false });
  const waiting = doubled.next();
  await doubled.return!();
  expect(events.stopped()).toBe(true);
  expect(await waiting).toEqual({ value: undefined, done: true });
});
