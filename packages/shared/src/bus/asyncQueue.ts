import type { Subscription } from './types';

/** A subscription reading `queue`; closing runs `detach` (once), then ends the iteration. */
export function subscriptionOf<T>(queue: AsyncQueue<T>, detach: () => Promise<void>): Subscription & AsyncIterable<T> {
  let detached: Promise<void> | undefined;
  const close = () => (detached ??= detach().finally(() => queue.close()));
  return {
    [Symbol.asyncIterator]: () => {
      const iterator = queue[Symbol.asyncIterator]();
      return { next: () => iterator.next(), return: async () => (await close(), { value: undefined, done: true }) };
    },
    close,
  } as Subscription & AsyncIterable<T>;
}

/** A push-to-pull queue: producers push, one `for await` consumer pulls. */
export class AsyncQueue<T> implements AsyncIterable<T> {
  private readonly items: T[] = [];
  private waiting?: (result: IteratorResult<T>) => void;
  private closed = false;

  push(item: T): void {
    if (this.closed) return;
    if (this.waiting) {
      const resolve = this.waiting;
      this.waiting = undefined;
      resolve({ value: item, done: false });
    } else {
      this.items.push(item);
    }
  }

  close(): void {
    this.closed = true;
    this.waiting?.({ value: undefined, done: true });
    this.waiting = undefined;
  }

  [Symbol.asyncIterator](): AsyncIterator<T> {
    return {
      next: () => {
        if (this.items.length) return Promise.resolve({ value: this.items.shift()!, done: false });
        if (this.closed) return Promise.resolve({ value: undefined, done: true });
        return new Promise((resolve) => (this.waiting = resolve));
      },
      return: async () => {
        this.close();
        return { value: undefined, done: true };
      },
    };
  }
}
