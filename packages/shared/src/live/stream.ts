/**
 * One subscriber's stream: each event it wants starts resolving at once (a burst
 * resolves concurrently) and is delivered in arrival order; events that resolve
 * to nothing are skipped; more than `maxPending` waiting means the subscriber
 * cannot keep up, and it is dropped.
 */
export interface StreamOptions<E, P> {
  /** Starts listening; returns the function that stops. */
  listen(push: (event: E) => void): () => void;
  resolve(event: E): Promise<P | undefined>;
  readonly maxPending: number;
  onDropped(): void;
}

export function liveStream<E, P>(options: StreamOptions<E, P>): AsyncIterableIterator<P> {
  const ready: P[] = [];
  let waiting: ((result: IteratorResult<P>) => void) | undefined;
  let pending = 0;
  let done = false;
  let chain = Promise.resolve();
  const deliver = (payload: P) => {
    if (done) return;
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
    waiting?.({ value: undefined, done: true });
    waiting = undefined;
  };
  const stop = options.listen((event) => {
    if (done) return;
    if (++pending > options.maxPending) {
      finish();
      options.onDropped();
      return;
    }
    const resolving = options.resolve(event).catch(() => undefined);
    chain = chain
      .then(() => resolving)
      .then((payload) => {
        if (payload !== undefined) deliver(payload);
      })
      .catch(() => undefined)
      .finally(() => pending--);
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
