import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';
import type { Logger } from '../logger';
import { RateLimitedError, StoreUnavailableError } from '../model';
import { sharesRateLimitCounters, type Store } from '../store/port';

/**
 * Where the counters live: rate-limiter-flexible's consume(), which resolves
 * when a point was spent and rejects with a RateLimiterRes when the budget is
 * used up. In memory for the embedded store; in MongoDB with MONGODB_URI, so
 * that every API process behind one proxy spends one budget (openRatingLimitCounters).
 */
export interface RateLimitCounters {
  consume(key: string): Promise<RateLimiterRes>;
}

/**
 * The counters of the per-client rating limit (RATINGS_RATE_LIMIT_PER_MINUTE):
 * in the store's database when it can share counters (MongoDB), so all API
 * processes on the database share one budget; in this process's memory for the
 * embedded store, which one process owns anyway. Takes the store as opened
 * (not wrapped): its own capabilities decide.
 */
export function openRatingLimitCounters(store: Store, perMinute: number): RateLimitCounters {
  const window = { points: perMinute, durationSeconds: 60 };
  if (sharesRateLimitCounters(store)) return store.rateLimiter({ keyPrefix: 'rating', ...window });
  return new RateLimiterMemory({ points: window.points, duration: window.durationSeconds });
}

/**
 * Per-client limit on rateAccuracy: a fixed budget of points per minute per
 * client address. Fails closed: when the counters cannot be read, the rating is
 * refused (SERVICE_UNAVAILABLE), never let through unlimited.
 */
export class RatingRateLimiter {
  constructor(
    private readonly counters: RateLimitCounters,
    private readonly logger: Logger,
  ) {}

  /** Spends one point for `client`, or throws RATE_LIMITED with the seconds until a point frees up. */
  async consume(client: string): Promise<void> {
    try {
      await this.counters.consume(client);
    } catch (rejection) {
      if (rejection instanceof RateLimiterRes) {
        throw new RateLimitedError(Math.max(1, Math.ceil(rejection.msBeforeNext / 1000)));
      }
      if (rejection instanceof StoreUnavailableError) throw rejection;
      // Not an outage: the counters' store answered with an error. Refuse, and say why once here.
      this.logger.error({ err: rejection }, 'rating rate limit could not be checked');
      throw new StoreUnavailableError('The rating rate limit could not be checked', {
        cause: rejection,
      });
    }
  }
}
