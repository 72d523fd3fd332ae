import type { RefreshTokenRepository } from '../data/refreshTokens';
import type { UserRepository } from '../data/users';
import { SessionService } from '../sessions';
import { LoginThrottle, MemoryThrottleStore, type ThrottleStore } from '../throttle';
import type { TokenIssuer } from '../tokens';

const limits = { perAccountAndClient: 3, perAccount: 4, perAddress: 5, windowMs: 60_000 };

describe('LoginThrottle', () => {
  it('refuses one client after its failures on an account, and says how long to wait; other clients are not refused', async () => {
    const throttle = new LoginThrottle(limits);
    for (let i = 0; i < 3; i++) {
      expect(await throttle.retryAfter('ana', '10.0.0.1', 1_000 * i)).toBe(0);
      await throttle.recordFailure('ana', '10.0.0.1', 1_000 * i);
    }
    expect(await throttle.retryAfter('ana', '10.0.0.1', 3_000)).toBe(57); // the first failure leaves the window at 60 s
    expect(await throttle.retryAfter('ana', '10.0.0.9', 3_000)).toBe(0); // the same account elsewhere
    expect(await throttle.retryAfter('bruno', '10.0.0.1', 3_000)).toBe(0); // other accounts are not affected
  });

  it('forgets failures once they leave the window', async () => {
    const throttle = new LoginThrottle(limits);
    for (let i = 0; i < 3; i++) await throttle.recordFailure('ana', '10.0.0.1', 0);
    expect(await throttle.retryAfter('ana', '10.0.0.1', 59_999)).toBeGreaterThan(0);
    expect(await throttle.retryAfter('ana', '10.0.0.1', 60_001)).toBe(0);
  });

  it('stops a guesser rotating clients on one account, but not the owner at her known client', async () => {
    const throttle = new LoginThrottle(limits);
    await throttle.recordSuccess('ana', '10.0.0.1', 0); // her workstation
    for (let i = 0; i < 4; i++) await throttle.recordFailure('ana', `192.0.2.${i}`, 1_000);
    expect(await throttle.retryAfter('ana', '192.0.2.99', 2_000)).toBeGreaterThan(0); // any new client is refused
    expect(await throttle.retryAfter('ana', '10.0.0.1', 2_000)).toBe(0); // she still signs in
  });

  it('stops one address guessing many accounts, but not the accounts that sign in from it', async () => {
    const throttle = new LoginThrottle(limits);
    await throttle.recordSuccess('bruno', '10.0.0.2', 0); // a colleague behind the same NAT
    for (let i = 0; i < 5; i++) await throttle.recordFailure(`user${i}`, '10.0.0.2', 1_000);
    expect(await throttle.retryAfter('someone-else', '10.0.0.2', 2_000)).toBeGreaterThan(0);
    expect(await throttle.retryAfter('someone-else', '10.0.0.3', 2_000)).toBe(0);
    expect(await throttle.retryAfter('bruno', '10.0.0.2', 2_000)).toBe(0);
  });

  it("clears a client's failures on an account after a successful login", async () => {
    const throttle = new LoginThrottle(limits);
    for (let i = 0; i < 2; i++) await throttle.recordFailure('ana', '10.0.0.1', 0);
    await throttle.recordSuccess('ana', '10.0.0.1', 0);
    await throttle.recordFailure('ana', '10.0.0.1', 0);
    expect(await throttle.retryAfter('ana', '10.0.0.1', 1)).toBe(0);
  });

  it('counts registrations per client address, whatever their outcome, at most the limit at once', async () => {
    const throttle = new LoginThrottle({ ...limits, registrationsPerAddress: 2 });
    expect(await throttle.takeRegistration('10.0.0.4', 0)).toBe(0);
    expect(await throttle.takeRegistration('10.0.0.4', 1_000)).toBe(0);
    expect(await throttle.takeRegistration('10.0.0.4', 2_000)).toBe(58); // the first leaves the window at 60 s
    expect(await throttle.takeRegistration('10.0.0.5', 2_000)).toBe(0);
    expect(await throttle.retryAfter('ana', '10.0.0.4', 2_000)).toBe(0); // logins are counted apart
    const burst = new LoginThrottle({ ...limits, registrationsPerAddress: 3 });
    const waits = await Promise.all(Array.from({ length: 10 }, () => burst.takeRegistration('10.0.0.6', 5_000)));
    expect(waits.filter((w) => w === 0).length).toBeLessThanOrEqual(3);
  });

  it('counts every sign-in of one account from one client, right password or not, per minute', async () => {
    const throttle = new LoginThrottle({ ...limits, signInsPerMinute: 3 });
    for (let i = 0; i < 3; i++) expect(throttle.signInRetryAfter('ana', '10.0.0.6', i * 1_000)).toBe(0);
    expect(throttle.signInRetryAfter('ana', '10.0.0.6', 10_000)).toBe(50); // the first leaves the minute at 60 s
    expect(throttle.signInRetryAfter('ana', '10.0.0.7', 10_000)).toBe(0); // her other workstation
    expect(throttle.signInRetryAfter('bruno', '10.0.0.6', 10_000)).toBe(0); // a colleague at the same one
    expect(throttle.signInRetryAfter('ana', '10.0.0.6', 60_001)).toBe(0);
    expect(throttle.signInRetryAfter('ana', '10.0.0.6', 60_002)).toBeGreaterThan(0); // refused attempts were not counted, accepted ones are
  });
});

describe('SessionService.login under a sign-in storm', () => {
  it('refuses past the sign-in rate before asking the shared store (no database round trip per refusal)', async () => {
    const store = new MemoryThrottleStore();
    let storeCalls = 0;
    const counted: ThrottleStore = {
      recent: (...args) => (storeCalls++, store.recent(...args)),
      record: (...args) => (storeCalls++, store.record(...args)),
      forget: (...args) => (storeCalls++, store.forget(...args)),
      lastSignIn: (...args) => (storeCalls++, store.lastSignIn(...args)),
      markSignIn: (...args) => (storeCalls++, store.markSignIn(...args)),
    };
    const throttle = new LoginThrottle({ ...limits, signInsPerMinute: 2 }, counted);
    const users = { findByEmail: async () => undefined } as unknown as UserRepository; // every attempt fails: no account
    const sessions = new SessionService(users, {} as RefreshTokenRepository, {} as TokenIssuer, throttle, false);
    for (let i = 0; i < 2; i++)
      await expect(sessions.login('ana@asky.local', 'guess', '10.0.0.8')).rejects.toMatchObject({
        extensions: { code: 'UNAUTHENTICATED' },
      });
    const before = storeCalls;
    await expect(sessions.login('ana@asky.local', 'guess', '10.0.0.8')).rejects.toMatchObject({
      extensions: { code: 'TOO_MANY_REQUESTS' },
    });
    expect(storeCalls).toBe(before);
  }, 30_000);
});
