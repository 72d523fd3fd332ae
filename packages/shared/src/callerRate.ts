/**
 * How much one caller may do per period: a person or service by their token's
 * subject, an anonymous caller by address. Limits and timeouts bound what one
 * operation costs; this bounds how many one caller makes (the gateway: 50
 * operations a second) or how much costly work they cause (pyxis: QR rendering a
 * minute), so a client in a loop cannot take the cores from everyone else. Past
 * it: TOO_MANY_REQUESTS with `retryAfter`. In memory, per replica.
 */
import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';
import { tooManyRequests } from './errors';

export class CallerRate {
  private readonly limiter: RateLimiterMemory;

  /**
   * @param points what one caller may spend per period
   * @param refusal what a refused caller is told, before "try again in N s"
   */
  constructor(
    points: number,
    private readonly refusal: string,
    durationSeconds = 1,
  ) {
    this.limiter = new RateLimiterMemory({ points, duration: durationSeconds });
  }

  /** Counts `points` (whole) of `caller`'s; throws TOO_MANY_REQUESTS past the rate. */
  async take(caller: string, points = 1): Promise<void> {
    try {
      await this.limiter.consume(caller, points);
    } catch (err) {
      if (!(err instanceof RateLimiterRes)) throw err;
      const wait = Math.max(1, Math.ceil(err.msBeforeNext / 1000));
      throw tooManyRequests(`${this.refusal}: try again in ${wait} s`, wait);
    }
  }
}
