/**
 * How many operations one caller may send the gateway per second: a person or
 * service by their token's subject, an anonymous caller by address. Limits and
 * timeouts bound what one operation costs; this bounds how many one caller
 * makes, so a client in a loop cannot take the cores from everyone else. Past
 * it: TOO_MANY_REQUESTS (HTTP 429, `retryAfter`), answered before any parsing.
 * In memory, per gateway replica.
 */
import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';
import { tooManyRequests, withHttpStatus } from '@asky/shared';

export class CallerRate {
  private readonly limiter: RateLimiterMemory;

  constructor(perSecond: number) {
    this.limiter = new RateLimiterMemory({ points: perSecond, duration: 1 });
  }

  /** Counts one operation of `caller`; throws TOO_MANY_REQUESTS past the rate. */
  async take(caller: string): Promise<void> {
    try {
      await this.limiter.consume(caller);
    } catch (err) {
      if (!(err instanceof RateLimiterRes)) throw err;
      const wait = Math.max(1, Math.ceil(err.msBeforeNext / 1000));
      throw withHttpStatus(tooManyRequests(`Too many operations from this caller: try again in ${wait} s`, wait));
    }
  }
}
