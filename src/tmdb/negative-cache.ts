import { LRUCache } from 'lru-cache';

/**
 * Process-wide memory of TMDB ids that just got an answer we cannot use (a
 * 404 for a wrong id, a malformed body). Asking again on every page view would
 * cost TMDB a request and us a log line each time for the same answer, so an
 * id is left alone for `ttlMs` and then asked once more.
 *
 * Expiry is computed from the injected clock, like ScoreCache, so tests move
 * time without sleeping; the LRU bound keeps a flood of bad ids from growing it.
 */
export class NegativeCache {
  /** Key -> time (ms since epoch) until which the id is not asked for. */
  private readonly until: LRUCache<string, number>;

  constructor(
    readonly ttlMs: number,
    private readonly now: () => number,
    maxEntries = 10_000,
  ) {
    this.until = new LRUCache<string, number>({ max: maxEntries });
  }

  /** Starts (or restarts) the period during which `key` is not asked for. */
  remember(key: string): void {
    if (this.ttlMs > 0) this.until.set(key, this.now() + this.ttlMs);
  }

  /** true while `key` is remembered; an expired entry is dropped so the next call goes out. */
  has(key: string): boolean {
    const until = this.until.get(key);
    if (until === undefined) return false;
    if (this.now() < until) return true;
    this.until.delete(key);
    return false;
  }

  /** A usable answer clears what we remembered about the id. */
  forget(key: string): void {
    this.until.delete(key);
  }
}
