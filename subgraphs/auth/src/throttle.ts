/**
 * Slows password guessing without locking the owner out. Failures count per
 * account and client (5 in 15 minutes refuse that pair), and per account and per
 * client address from clients the account has not signed in from before (10 and
 * 20): a guesser on another machine, or one trying many accounts, is stopped,
 * while the nurse at her usual workstation — behind the same NAT or not — still
 * signs in with her password. Registrations count per client address (each costs
 * a password hash), and so does every sign-in attempt of one account from one
 * client, whatever its outcome: each costs a hash (~0.3 s of a core), and a
 * client that signs the same account in over and over (a storm of correct
 * passwords took a core) is misbehaving — apps keep a session with the refresh
 * token. In memory: each auth replica counts its own.
 */
export interface ThrottleLimits {
  /** @default 5 failures of one account from one client */
  readonly perAccountAndClient?: number;
  /** @default 10 failures of one account from clients it has not signed in from */
  readonly perAccount: number;
  /** @default 20 failures from one client address, on accounts that have not signed in from it */
  readonly perAddress: number;
  /** @default 10 registrations per client address */
  readonly registrationsPerAddress?: number;
  /** @default 15 minutes */
  readonly windowMs: number;
  /** @default 10 sign-in attempts of one account from one client a minute */
  readonly signInsPerMinute?: number;
}

/** Past this many tracked keys, attempts outside the window are swept. */
const SWEEP_ABOVE = 10_000;

export const DEFAULT_THROTTLE: ThrottleLimits = { perAccountAndClient: 5, perAccount: 10, perAddress: 20, registrationsPerAddress: 10, windowMs: 15 * 60_000, signInsPerMinute: 10 };

/** Clients remembered per account as known (signed in from), at most this many pairs. */
const KNOWN_CLIENTS = 50_000;
/** How long a sign-in makes a client known for an account. */
const KNOWN_FOR_MS = 30 * 24 * 60 * 60_000;

/** Attempts per key within a sliding window. */
class SlidingWindow {
  private readonly attempts = new Map<string, number[]>();

  constructor(private readonly windowMs: number) {}

  /** Seconds until `key` is under `limit` again, or 0. */
  wait(key: string, limit: number, now: number): number {
    const recent = this.recent(key, now);
    return recent.length >= limit ? Math.ceil((recent[recent.length - limit]! + this.windowMs - now) / 1000) : 0;
  }

  record(key: string, now: number): void {
    // Guessing across many e-mails must not grow memory without bound.
    if (this.attempts.size > SWEEP_ABOVE) for (const known of [...this.attempts.keys()]) this.recent(known, now);
    this.attempts.set(key, [...this.recent(key, now), now]);
  }

  forget(key: string): void {
    this.attempts.delete(key);
  }

  private recent(key: string, now: number): number[] {
    const kept = (this.attempts.get(key) ?? []).filter((at) => at > now - this.windowMs);
    if (kept.length) this.attempts.set(key, kept);
    else this.attempts.delete(key);
    return kept;
  }
}

export class LoginThrottle {
  private readonly failures: SlidingWindow;
  private readonly signIns = new SlidingWindow(60_000);
  /** `account\nclient` → when the account last signed in from the client (oldest first). */
  private readonly known = new Map<string, number>();

  constructor(private readonly limits: ThrottleLimits = DEFAULT_THROTTLE) {
    this.failures = new SlidingWindow(limits.windowMs);
  }

  /** Seconds to wait before trying again, or 0 when an attempt may go ahead. */
  retryAfter(account: string, address: string, now = Date.now()): number {
    const pair = this.failures.wait(`pair:${account}\n${address}`, this.limits.perAccountAndClient ?? DEFAULT_THROTTLE.perAccountAndClient!, now);
    if (this.isKnown(account, address, now)) return pair; // the owner's usual client: only its own failures count
    return Math.max(pair, this.failures.wait(`account:${account}`, this.limits.perAccount, now), this.failures.wait(`address:${address}`, this.limits.perAddress, now));
  }

  /** Seconds before `account` may sign in from `address` again, or 0; counts this attempt when it may go ahead. */
  signInRetryAfter(account: string, address: string, now = Date.now()): number {
    const key = `${account}\n${address}`;
    const wait = this.signIns.wait(key, this.limits.signInsPerMinute ?? DEFAULT_THROTTLE.signInsPerMinute!, now);
    if (wait === 0) this.signIns.record(key, now);
    return wait;
  }

  recordFailure(account: string, address: string, now = Date.now()): void {
    this.failures.record(`pair:${account}\n${address}`, now);
    if (this.isKnown(account, address, now)) return; // a slip of the owner's is not a guess from elsewhere
    this.failures.record(`account:${account}`, now);
    this.failures.record(`address:${address}`, now);
  }

  /** Seconds before `address` may register again, or 0. */
  registrationRetryAfter(address: string, now = Date.now()): number {
    return this.failures.wait(`register:${address}`, this.limits.registrationsPerAddress ?? DEFAULT_THROTTLE.registrationsPerAddress!, now);
  }

  /** Counts a registration attempt, whatever its outcome. */
  recordRegistration(address: string, now = Date.now()): void {
    this.failures.record(`register:${address}`, now);
  }

  /** A correct password from `address`: its failures are forgotten, and it is a known client of the account. */
  recordSuccess(account: string, address: string, now = Date.now()): void {
    this.failures.forget(`pair:${account}\n${address}`);
    const key = `${account}\n${address}`;
    this.known.delete(key); // re-inserted last: the Map stays oldest first
    if (this.known.size >= KNOWN_CLIENTS) this.known.delete(this.known.keys().next().value!);
    this.known.set(key, now);
  }

  private isKnown(account: string, address: string, now: number): boolean {
    const at = this.known.get(`${account}\n${address}`);
    return at !== undefined && now - at < KNOWN_FOR_MS;
  }
}
