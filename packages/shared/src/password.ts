/**
 * Password hashing with Node's built-in scrypt, a memory-hard KDF, at OWASP's
 * recommended cost (N=2^17, r=8, p=1). Stored as `scrypt$N$r$p$salt$hash` (base64)
 * so the cost can be raised later without invalidating existing hashes.
 *
 * Each derivation takes 128 MiB for a few hundred ms, so a storm of logins or
 * registrations must not run them all at once (memory grows with each one in
 * parallel, and a real login waits behind the storm): one fewer than
 * the cores run at a time (one at least, two at most), a login's goes ahead of a
 * new password's, and callers who would wait too long are told to retry. They run
 * on threads of lower CPU priority (`ScryptThreads`): serving comes first.
 */
import { randomBytes, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { tooManyRequests } from './errors';
import { ScryptThreads } from './scryptThreads';

const COST = { N: 2 ** 17, r: 8, p: 1 } as const;
const KEY_LENGTH = 32;

/** Who waits for a derivation: checking a login comes before hashing a new password. */
export type DerivationPriority = 'login' | 'new-password';

/**
 * A few derivations at a time, the rest in a queue by priority. A caller who
 * would wait longer than `maxWaitMs` (by the queue ahead of it and how long
 * derivations take now) is told at once to retry, rather than left to time out
 * at the gateway; so is one past `maxWaiting`.
 */
export class DerivationSlots {
  private running = 0;
  private readonly waiting: Record<DerivationPriority, (() => void)[]> = { login: [], 'new-password': [] };
  /** How long a derivation takes lately (moving average), in ms. */
  private typicalMs = 300;

  /**
   * @param concurrent derivations run at once @default 2
   * @param maxWaiting queued beyond those, before TOO_MANY_REQUESTS @default 64
   * @param maxWaitMs the longest expected wait before TOO_MANY_REQUESTS @default 4000
   */
  constructor(
    private readonly concurrent = 2,
    private readonly maxWaiting = 64,
    private readonly maxWaitMs = 4_000,
  ) {}

  /**
   * Queues for a slot; gives up with TOO_MANY_REQUESTS past twice the bound (logins
   * arriving later go ahead of new passwords, so the estimate can be passed).
   */
  private wait(priority: DerivationPriority): Promise<void> {
    const queue = this.waiting[priority];
    return new Promise<void>((resolve, reject) => {
      const handed = () => {
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(() => {
        queue.splice(queue.indexOf(handed), 1);
        reject(
          tooManyRequests(
            'Too many sign-ins at this moment: try again in a few seconds',
            Math.ceil(this.maxWaitMs / 1000),
          ),
        );
      }, 2 * this.maxWaitMs);
      queue.push(handed);
    });
  }

  async run<T>(priority: DerivationPriority, work: () => Promise<T>): Promise<T> {
    if (this.running < this.concurrent) {
      this.running++;
    } else {
      const ahead =
        priority === 'login'
          ? this.waiting.login.length
          : this.waiting.login.length + this.waiting['new-password'].length;
      const expectedWaitMs = Math.ceil((ahead + 1) / this.concurrent) * this.typicalMs;
      if (
        this.waiting.login.length + this.waiting['new-password'].length >= this.maxWaiting ||
        expectedWaitMs > this.maxWaitMs
      ) {
        throw tooManyRequests(
          'Too many sign-ins at this moment: try again in a few seconds',
          Math.max(1, Math.ceil(expectedWaitMs / 1000)),
        );
      }
      await this.wait(priority); // handed a running slot
    }
    const started = performance.now();
    try {
      return await work();
    } finally {
      this.typicalMs = 0.8 * this.typicalMs + 0.2 * (performance.now() - started);
      const next = this.waiting.login.shift() ?? this.waiting['new-password'].shift();
      if (next) next();
      else this.running--;
    }
  }
}

/** One core's worth on a two-core machine: hashing must leave room for serving. */
const CONCURRENT = Math.min(2, Math.max(1, availableParallelism() - 1));
const slots = new DerivationSlots(CONCURRENT);
const threads = new ScryptThreads(CONCURRENT);

function derive(password: string, salt: Buffer, options: ScryptOptions, priority: DerivationPriority): Promise<Buffer> {
  const N = options.N ?? COST.N;
  const r = options.r ?? COST.r;
  // scrypt needs 128·N·r bytes; Node's default ceiling (32 MiB) is below OWASP's cost.
  const maxmem = 256 * N * r;
  return slots.run(priority, () =>
    threads.derive(password.normalize('NFKC'), salt, KEY_LENGTH, { ...options, maxmem }),
  );
}

/** Hashes a password with a fresh random salt. */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await derive(password, salt, COST, 'new-password');
  return ['scrypt', COST.N, COST.r, COST.p, salt.toString('base64'), key.toString('base64')].join('$');
}

/** Whether `password` matches `stored`; false for any malformed stored value. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [scheme, N, r, p, salt, hash] = stored.split('$');
  if (scheme !== 'scrypt' || !salt || !hash) return false;
  const expected = Buffer.from(hash, 'base64');
  const key = await derive(
    password,
    Buffer.from(salt, 'base64'),
    { N: Number(N), r: Number(r), p: Number(p) },
    'login',
  );
  return key.length === expected.length && timingSafeEqual(key, expected);
}
