import type { RateLimiterRes } from 'rate-limiter-flexible';

/** What every adapter answers about itself: which it is, whether it is up, and shutting down. */
export interface StoreLifecycle {
  readonly kind: 'sqlite' | 'mongo';
  /** Resolves when the backing database answers; rejects otherwise (readiness). */
  ping(): Promise<void>;
  close(): Promise<void>;
}

/**
 * A mechanism some adapters offer (MongoDB): rate-limiter-flexible counters
 * kept in the store's database, so every process on it spends one budget.
 * Which limits exist and their budgets are the API's policy, not the store's
 * (src/ratings/rate-limit.ts). A RateLimiterRes rejection means over the limit.
 */
export interface SharedRateLimitCounters {
  rateLimiter(options: { keyPrefix: string; points: number; durationSeconds: number }): {
    consume(key: string): Promise<RateLimiterRes>;
  };
}

/** Whether this store can keep counters shared by every process on its database. */
export function sharesRateLimitCounters<T extends object>(
  store: T,
): store is T & SharedRateLimitCounters {
  return typeof (store as Partial<SharedRateLimitCounters>).rateLimiter === 'function';
}
