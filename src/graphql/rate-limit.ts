import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';
import { rateLimited } from '../errors';

/**
 * Per-client limit on rateAccuracy, in this process's memory: a fixed budget
 * of points per minute per client address. Several API processes each keep
 * their own budget (see README for a shared one).
 */
export class RatingRateLimiter {
  private readonly limiter: RateLimiterMemory;

  constructor(perMinute: number) {
    this.limiter = new RateLimiterMemory({ points: perMinute, duration: 60 });
  }

  /** Spends one point for `client`, or throws RATE_LIMITED with the seconds until a point frees up. */
  async consume(client: string): Promise<void> {
    try {
      await this.limiter.consume(client);
    } catch (rejection) {
      if (rejection instanceof RateLimiterRes) {
        throw rateLimited(Math.max(1, Math.ceil(rejection.msBeforeNext / 1000)));
      }
      throw rejection;
    }
  }
}
