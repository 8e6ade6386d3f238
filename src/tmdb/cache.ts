import { LRUCache } from 'lru-cache';
import type { MediaType } from '../model';
import type { TmdbVotes } from './types';

/** A score as fetched from TMDB, with the time we fetched it. */
export interface CachedScore extends TmdbVotes {
  fetchedAt: Date;
}

export interface CacheLookup {
  score: CachedScore;
  /** true while the score is younger than the TTL. */
  fresh: boolean;
}

/** One cache identity per TMDB title: a TV show and a movie may share a numeric id. */
export function scoreKey(mediaType: MediaType, tmdbId: number): string {
  return `${mediaType}:${tmdbId}`;
}

/**
 * Process-wide LRU of TMDB scores with a freshness TTL. Entries past the TTL
 * are kept (and returned as not fresh) rather than dropped: serving a slightly
 * old score at once and refreshing it in the background beats making a page
 * wait. The LRU bound, not the TTL, is what evicts.
 *
 * Freshness is computed here from the injected clock rather than by
 * lru-cache's TTL, which keeps stale-while-revalidate explicit and lets tests
 * move time without sleeping.
 */
export class ScoreCache {
  private readonly entries: LRUCache<string, CachedScore>;

  constructor(
    private readonly ttlMs: number,
    private readonly now: () => number,
    maxEntries = 10_000,
  ) {
    this.entries = new LRUCache<string, CachedScore>({ max: maxEntries });
  }

  /** The cached score and whether it is still fresh; undefined when we never fetched it. */
  get(key: string): CacheLookup | undefined {
    const score = this.entries.get(key);
    if (!score) return undefined;
    return { score, fresh: this.now() - score.fetchedAt.getTime() < this.ttlMs };
  }

  set(key: string, score: CachedScore): void {
    this.entries.set(key, score);
  }
}
