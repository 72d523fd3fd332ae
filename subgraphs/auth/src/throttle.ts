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
 * token. Failures, registrations and known clients are kept in a store shared by
 * every auth replica (Postgres: `PrismaThrottleStore`); the sign-in rate, which only
 * bounds one replica's hashing, in memory.
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

export const DEFAULT_THROTTLE: ThrottleLimits = {
  perAccountAndClient: 5,
  perAccount: 10,
  perAddress: 20,
  registrationsPerAddress: 10,
  windowMs: 15 * 60_000,
  signInsPerMinute: 10,
};

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

  private recent(key: string, now: number): number[] {
    const kept = (this.attempts.get(key) ?? []).filter((at) => at > now - this.windowMs);
    if (kept.length) this.attempts.set(key, kept);
    else this.attempts.delete(key);
    return kept;
  }
}

/** Where throttling events and known clients are kept. Times are ms since the epoch. */
export interface ThrottleStore {
  /** Times of the newest `limit` events of `key` after `since`, oldest first. */
  recent(key: string, since: number, limit: number): Promise<number[]>;
  /** One event under each key; events of those keys older than `before` may go. */
  record(keys: readonly string[], at: number, before: number): Promise<void>;
  forget(key: string): Promise<void>;
  /** When `account` last signed in from `client`, if it did. */
  lastSignIn(account: string, client: string): Promise<number | undefined>;
  markSignIn(account: string, client: string, at: number): Promise<void>;
}

/** A store in this process only (unit tests, one replica). */
export class MemoryThrottleStore implements ThrottleStore {
  private readonly events = new Map<string, number[]>();
  /** `account\nclient` → last sign-in, oldest first. */
  private readonly known = new Map<string, number>();

  async recent(key: string, since: number, limit: number): Promise<number[]> {
    return (this.events.get(key) ?? []).filter((at) => at > since).slice(-limit);
  }

  async record(keys: readonly string[], at: number, before: number): Promise<void> {
    // Guessing across many e-mails must not grow memory without bound.
    if (this.events.size > SWEEP_ABOVE)
      for (const [key, times] of this.events) if (times.every((t) => t <= before)) this.events.delete(key);
    for (const key of keys) this.events.set(key, [...(this.events.get(key) ?? []).filter((t) => t > before), at]);
  }

  async forget(key: string): Promise<void> {
    this.events.delete(key);
  }

  async lastSignIn(account: string, client: string): Promise<number | undefined> {
    return this.known.get(`${account}\n${client}`);
  }

  async markSignIn(account: string, client: string, at: number): Promise<void> {
    const key = `${account}\n${client}`;
    this.known.delete(key); // re-inserted last: the Map stays oldest first
    if (this.known.size >= KNOWN_CLIENTS) this.known.delete(this.known.keys().next().value!);
    this.known.set(key, at);
  }
}

export class LoginThrottle {
  private readonly signIns = new SlidingWindow(60_000);

  constructor(
    private readonly limits: ThrottleLimits = DEFAULT_THROTTLE,
    private readonly store: ThrottleStore = new MemoryThrottleStore(),
  ) {}

  /** Seconds to wait before trying again, or 0 when an attempt may go ahead. */
  async retryAfter(account: string, address: string, now = Date.now()): Promise<number> {
    const pair = await this.wait(
      `pair:${account}\n${address}`,
      this.limits.perAccountAndClient ?? DEFAULT_THROTTLE.perAccountAndClient!,
      now,
    );
    if (await this.isKnown(account, address, now)) return pair; // the owner's usual client: only its own failures count
    const [byAccount, byAddress] = await Promise.all([
      this.wait(`account:${account}`, this.limits.perAccount, now),
      this.wait(`address:${address}`, this.limits.perAddress, now),
    ]);
    return Math.max(pair, byAccount, byAddress);
  }

  /** Seconds before `account` may sign in from `address` again, or 0; counts this attempt when it may go ahead. */
  signInRetryAfter(account: string, address: string, now = Date.now()): number {
    const key = `${account}\n${address}`;
    const wait = this.signIns.wait(key, this.limits.signInsPerMinute ?? DEFAULT_THROTTLE.signInsPerMinute!, now);
    if (wait === 0) this.signIns.record(key, now);
    return wait;
  }

  async recordFailure(account: string, address: string, now = Date.now()): Promise<void> {
    const pair = `pair:${account}\n${address}`;
    // A slip of the owner's at her usual client is not a guess from elsewhere.
    const keys = (await this.isKnown(account, address, now))
      ? [pair]
      : [pair, `account:${account}`, `address:${address}`];
    await this.store.record(keys, now, now - this.limits.windowMs);
  }

  /**
   * Counts a registration attempt from `address`, whatever its outcome, and says
   * how many seconds to wait when it is past the limit (0: go ahead). Counted
   * first, then checked: of any number at once, at most the limit go ahead.
   */
  async takeRegistration(address: string, now = Date.now()): Promise<number> {
    const key = `register:${address}`;
    const limit = this.limits.registrationsPerAddress ?? DEFAULT_THROTTLE.registrationsPerAddress!;
    await this.store.record([key], now, now - this.limits.windowMs);
    const recent = await this.store.recent(key, now - this.limits.windowMs, limit + 1);
    return recent.length > limit ? Math.max(1, Math.ceil((recent[0]! + this.limits.windowMs - now) / 1000)) : 0;
  }

  /** A correct password from `address`: its failures are forgotten, and it is a known client of the account. */
  async recordSuccess(account: string, address: string, now = Date.now()): Promise<void> {
    await this.store.forget(`pair:${account}\n${address}`);
    await this.store.markSignIn(account, address, now);
  }

  private async wait(key: string, limit: number, now: number): Promise<number> {
    const recent = await this.store.recent(key, now - this.limits.windowMs, limit);
    return recent.length >= limit ? Math.ceil((recent[0]! + this.limits.windowMs - now) / 1000) : 0;
  }

  private async isKnown(account: string, address: string, now: number): Promise<boolean> {
    const at = await this.store.lastSignIn(account, address);
    return at !== undefined && now - at < KNOWN_FOR_MS;
  }
}
