/**
 * Slows password guessing: after `limit` failed logins within `windowMs` for one
 * account, or for one client address, further attempts are refused until the
 * oldest failure leaves the window. Registrations count per client address the
 * same way (each costs a password hash). In memory: each auth replica counts its own.
 */
export interface ThrottleLimits {
  /** @default 5 failures per account */
  readonly perAccount: number;
  /** @default 20 failures per client address */
  readonly perAddress: number;
  /** @default 10 registrations per client address */
  readonly registrationsPerAddress?: number;
  /** @default 15 minutes */
  readonly windowMs: number;
}

/** Past this many tracked keys, failures outside the window are swept. */
const SWEEP_ABOVE = 10_000;

export const DEFAULT_THROTTLE: ThrottleLimits = { perAccount: 5, perAddress: 20, registrationsPerAddress: 10, windowMs: 15 * 60_000 };

export class LoginThrottle {
  private readonly failures = new Map<string, number[]>();

  constructor(private readonly limits: ThrottleLimits = DEFAULT_THROTTLE) {}

  /** Seconds to wait before trying again, or 0 when an attempt may go ahead. */
  retryAfter(account: string, address: string, now = Date.now()): number {
    return Math.max(this.wait(`account:${account}`, this.limits.perAccount, now), this.wait(`address:${address}`, this.limits.perAddress, now));
  }

  recordFailure(account: string, address: string, now = Date.now()): void {
    this.record([`account:${account}`, `address:${address}`], now);
  }

  /** Seconds before `address` may register again, or 0. */
  registrationRetryAfter(address: string, now = Date.now()): number {
    return this.wait(`register:${address}`, this.limits.registrationsPerAddress ?? DEFAULT_THROTTLE.registrationsPerAddress!, now);
  }

  /** Counts a registration attempt, whatever its outcome. */
  recordRegistration(address: string, now = Date.now()): void {
    this.record([`register:${address}`], now);
  }

  private wait(key: string, limit: number, now: number): number {
    const recent = this.recent(key, now);
    return recent.length >= limit ? Math.ceil((recent[recent.length - limit]! + this.limits.windowMs - now) / 1000) : 0;
  }

  private record(keys: string[], now: number): void {
    // Guessing across many e-mails must not grow memory without bound.
    if (this.failures.size > SWEEP_ABOVE) for (const key of [...this.failures.keys()]) this.recent(key, now);
    for (const key of keys) this.failures.set(key, [...this.recent(key, now), now]);
  }

  recordSuccess(account: string): void {
    this.failures.delete(`account:${account}`);
  }

  private recent(key: string, now: number): number[] {
    const kept = (this.failures.get(key) ?? []).filter((at) => at > now - this.limits.windowMs);
    if (kept.length) this.failures.set(key, kept);
    else this.failures.delete(key);
    return kept;
  }
}
