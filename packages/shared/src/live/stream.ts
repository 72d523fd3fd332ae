/**
 * One subscriber's stream. Events it wants queue up and are resolved a few at a
 * time (`concurrency`), delivered in arrival order; events that resolve to
 * nothing are skipped. A burst — the backlog flushed after a broker outage — is
 * paced, not started all at once, so a subscriber that reads keeps up. It is
 * dropped only when it really stopped reading (more than `maxPending` resolved
 * payloads it has not taken), or when its backlog passes `maxBacklog`.
 */
export interface StreamOptions<E, P> {
  /** Starts listening; returns the function that stops. */
  listen(push: (event: E) => void): () => void;
  resolve(event: E): Promise<P | undefined>;
  /** Resolved payloads the reader has not taken, past which it has stopped reading. */
  readonly maxPending: number;
  /** Events not yet resolved, past which the subscriber is too far behind to catch up. @default 10_000 */
  readonly maxBacklog?: number;
  /** Events resolved at once. @default 4 */
  readonly concurrency?: number;
  onDropped(): void;
}

export function liveStream<E, P>(options: StreamOptions<E, P>): AsyncIterableIterator<P> {
  const concurrency = options.concurrency ?? 4;
  const maxBacklog = options.maxBacklog ?? 10_000;
  const backlog: E[] = [];
  const resolving: Promise<P | undefined>[] = [];
  const ready: P[] = [];
  let waiting: ((result: IteratorResult<P>) => void) | undefined;
  let done = false;
  let pumping = false;
  const deliver = (payload: P) => {
    if (waiting) {
      const resolve = waiting;
      waiting = undefined;
      resolve({ value: payload, done: false });
    } else {
      ready.push(payload);
    }
  };
  const finish = () => {
    done = true;
    stop();
    backlog.length = 0;
    waiting?.({ value: undefined, done: true });
    waiting = undefined;
  };
  const drop = () => {
    finish();
    options.onDropped();
  };
  /** Starts resolving queued events while fewer than `concurrency` are. */
  const fill = () => {
    while (resolving.length < concurrency && backlog.length)
      resolving.push(options.resolve(backlog.shift()!).catch(() => undefined));
  };
  /** Delivers each resolution in order as the oldest settles, keeping the pipeline full. */
  const pump = async () => {
    if (pumping) return;
    pumping = true;
    while (!done && (resolving.length || backlog.length)) {
      fill();
      const payload = await resolving[0]; // still counted as running until it settles
      void resolving.shift(); // the settled one, awaited above
      if (done) break;
      if (payload === undefined) continue;
      deliver(payload);
      if (ready.length > options.maxPending) drop();
    }
    pumping = false;
  };
  const stop = options.listen((event) => {
    if (done) return;
    if (backlog.length >= maxBacklog) return drop();
    backlog.push(event);
    fill();
    void pump();
  });
  const iterator: AsyncIterableIterator<P> = {
    next: () => {
      if (ready.length) return Promise.resolve({ value: ready.shift()!, done: false });
      if (done) return Promise.resolve({ value: undefined, done: true });
      return new Promise((resolve) => (waiting = resolve));
    },
    return: async () => {
      finish();
      return { value: undefined, done: true };
    },
    [Symbol.asyncIterator]: () => iterator,
  };
  return iterator;
}

/** `source` with each value mapped; `return()` reaches the source even while a `next()` waits. */
export function mapStream<T, U>(source: AsyncIterableIterator<T>, map: (value: T) => U): AsyncIterableIterator<U> {
  const iterator: AsyncIterableIterator<U> = {
    next: async () => {
      const result = await source.next();
      return result.done ? { value: undefined, done: true } : { value: map(result.value), done: false };
    },
    return: async () => {
      await source.return?.();
      return { value: undefined, done: true };
    },
    [Symbol.asyncIterator]: () => iterator,
  };
  return iterator;
}
