/**
 * Password hashing with Node's built-in scrypt, a memory-hard KDF, at OWASP's
 * recommended cost (N=2^17, r=8, p=1). Stored as `scrypt$N$r$p$salt$hash` (base64)
 * so the cost can be raised later without invalidating existing hashes.
 *
 * Each derivation takes 128 MiB for a few hundred ms, so a storm of logins or
 * registrations must not run them all at once (8 in parallel took auth from 200
 * to 716 MiB): at most two run at a time, a login's goes ahead of a new
 * password's, and past a bounded queue callers are told to retry.
 */
import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import { tooManyRequests } from './errors';

const COST = { N: 2 ** 17, r: 8, p: 1 } as const;
const KEY_LENGTH = 32;

/** Who waits for a derivation: checking a login comes before hashing a new password. */
export type DerivationPriority = 'login' | 'new-password';

/** A few derivations at a time, the rest in a bounded queue by priority. */
export class DerivationSlots {
  private running = 0;
  private readonly waiting: Record<DerivationPriority, (() => void)[]> = { login: [], 'new-password': [] };

  /**
   * @param concurrent derivations run at once @default 2
   * @param maxWaiting queued beyond those, before TOO_MANY_REQUESTS @default 64
   */
  constructor(
    private readonly concurrent = 2,
    private readonly maxWaiting = 64,
  ) {}

  async run<T>(priority: DerivationPriority, work: () => Promise<T>): Promise<T> {
    if (this.running < this.concurrent) {
      this.running++;
    } else {
      if (this.waiting.login.length + this.waiting['new-password'].length >= this.maxWaiting) {
        throw tooManyRequests('Too many sign-ins at this moment: try again in a few seconds', 2);
      }
      await new Promise<void>((resolve) => this.waiting[priority].push(resolve)); // handed a running slot
    }
    try {
      return await work();
    } finally {
      const next = this.waiting.login.shift() ?? this.waiting['new-password'].shift();
      if (next) next();
      else this.running--;
    }
  }
}

const slots = new DerivationSlots();

function derive(password: string, salt: Buffer, options: ScryptOptions, priority: DerivationPriority): Promise<Buffer> {
  const N = options.N ?? COST.N;
  const r = options.r ?? COST.r;
  // scrypt needs 128·N·r bytes; Node's default ceiling (32 MiB) is below OWASP's cost.
  const maxmem = 256 * N * r;
  return slots.run(priority, () => new Promise((resolve, reject) =>
    scrypt(password.normalize('NFKC'), salt, KEY_LENGTH, { ...options, maxmem }, (err, key) =>
      err ? reject(err) : resolve(key),
    ),
  ));
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
  const key = await derive(password, Buffer.from(salt, 'base64'), { N: Number(N), r: Number(r), p: Number(p) }, 'login');
  return key.length === expected.length && timingSafeEqual(key, expected);
}
