/**
 * scrypt on threads of our own at a lower CPU priority (nice 5 on Linux), so
 * that a storm of sign-ins takes the cores only when serving does not need
 * them: libuv's pool runs at the priority of the rest of the process, and each
 * derivation holds a core for a few hundred ms. Workers start on first use, one
 * per derivation slot, and never keep the process alive.
 */
import { Worker } from 'node:worker_threads';
import type { ScryptOptions } from 'node:crypto';
import { LOWER_THREAD_PRIORITY_SOURCE } from './threadPriority';

/**
 * Nice value of hashing threads: about a third of a serving thread's share when
 * both want a core (lower, and sign-ins on a busy machine waited past the
 * derivation queue's bound).
 */
export const SCRYPT_NICE = 5;

// Plain JavaScript, evaluated: the same in sources run by tsx, in jest and in the built image.
const WORKER_SOURCE = `${LOWER_THREAD_PRIORITY_SOURCE}
const { parentPort } = require('node:worker_threads');
const { scryptSync } = require('node:crypto');
parentPort.on('message', ({ password, salt, keyLength, options }) => {
  try {
    parentPort.postMessage({ key: scryptSync(password, salt, keyLength, options) });
  } catch (err) {
    parentPort.postMessage({ error: String(err && err.message || err) });
  }
});`;

interface Answer {
  readonly key?: Uint8Array;
  readonly error?: string;
}

/** One thread running one derivation at a time (the caller's slots bound how many run). */
class ScryptThread {
  private worker?: Worker;

  derive(password: string, salt: Buffer, keyLength: number, options: ScryptOptions): Promise<Buffer> {
    const worker = (this.worker ??= this.start());
    return new Promise((resolve, reject) => {
      const onExit = (code: number) => reject(new Error(`the hashing thread exited (${code})`));
      worker.once('exit', onExit);
      worker.once('message', ({ key, error }: Answer) => {
        worker.off('exit', onExit);
        if (error || !key) reject(new Error(error ?? 'no key'));
        else resolve(Buffer.from(key.buffer, key.byteOffset, key.byteLength));
      });
      worker.ref(); // alive while it works
      worker.postMessage({ password, salt, keyLength, options });
    }).finally(() => worker.unref()) as Promise<Buffer>;
  }

  private start(): Worker {
    const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { nice: SCRYPT_NICE } });
    worker.unref();
    worker.on('error', () => undefined); // reported to the waiting call by 'exit'
    worker.on('exit', () => {
      if (this.worker === worker) this.worker = undefined; // the next derivation starts a new one
    });
    return worker;
  }
}

/** Threads for `concurrent` derivations at once; callers must not run more than that at a time. */
export class ScryptThreads {
  private readonly idle: ScryptThread[];

  constructor(concurrent: number) {
    this.idle = Array.from({ length: concurrent }, () => new ScryptThread());
  }

  async derive(password: string, salt: Buffer, keyLength: number, options: ScryptOptions): Promise<Buffer> {
    const thread = this.idle.pop();
    if (!thread) throw new Error('more derivations than hashing threads');
    try {
      return await thread.derive(password, salt, keyLength, options);
    } finally {
      this.idle.push(thread);
    }
  }
}
