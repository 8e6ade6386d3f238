import type { Config } from '../config';
import type { Metrics } from '../metrics';
import type { Store } from '../store/port';
import { Freshness } from './freshness';
import { ObservedStore } from './observed-store';
import { RecordCache } from './records';
import { ResponseCache } from './responses';

export interface Caches {
  /** Whole responses of anonymous reads; null with RESPONSE_CACHE=false. */
  responseCache: ResponseCache | null;
  /**
   * The store in front of the adapter, with the records title pages read
   * (none kept with RECORD_CACHE=false); null with both caches off.
   */
  recordCache: RecordCache | null;
  /** The store every reader and writer of the process must use: recordCache when there is one. */
  store: Store;
}

/**
 * How long the caches of this process keep what they read, on the embedded
 * store, at least: a minute.
 *
 * The rule, derived from the store kind (not a setting of its own): on the
 * embedded store this process makes every write, and every write invalidates
 * what it touched before it answers (freshness.ts, tags.ts), so a kept answer
 * or record is exact until invalidated; its lifetime only bounds how late a
 * TMDB score refresh (started by a read that missed) can come, and a record's
 * is counted from the last hit that found it current (records.ts). On MongoDB
 * other processes may write, which only the lifetime bounds: there the
 * configured RESPONSE_CACHE_MAX_AGE_SECONDS / RECORD_CACHE_MAX_AGE_SECONDS
 * (2 s by default) stay the bound. The public `Cache-Control: max-age` is
 * always RESPONSE_CACHE_MAX_AGE_SECONDS: a CDN hears of no invalidation.
 */
export const EMBEDDED_MIN_MAX_AGE_SECONDS = 60;

/** The lifetime a cache keeps entries in this process: `configured`, raised on the embedded store. */
export function inProcessMaxAgeSeconds(configured: number, storeKind: Store['kind']): number {
  return storeKind === 'sqlite' ? Math.max(configured, EMBEDDED_MIN_MAX_AGE_SECONDS) : configured;
}

/**
 * The process's store and caches, from its configuration and its adapter's
 * kind (inProcessMaxAgeSeconds): the one place the stack is composed, once at
 * start. The adapter is timed (ObservedStore), under the record cache
 * (RecordCache: kept records, reads noted for the response cache, writes
 * invalidating); both caches share one Freshness, so a write is stamped once
 * for both. With both caches off the store is only timed.
 */
export function openCaches(
  config: Pick<Config, 'responseCache' | 'recordCache'>,
  adapter: Store,
  metrics?: Pick<Metrics, 'responseCache' | 'recordCache' | 'storeCall'>,
): Caches {
  const observed = metrics ? new ObservedStore(adapter, metrics.storeCall) : adapter;
  const { responseCache: responses, recordCache: records } = config;
  if (!responses && !records) return { responseCache: null, recordCache: null, store: observed };
  const maxAgeMs = (seconds: number) => seconds * 1000;
  // Each ≤ the other's as configured (config.ts): raising both to the same floor keeps that.
  const kept = (seconds: number) => maxAgeMs(inProcessMaxAgeSeconds(seconds, adapter.kind));
  // This process makes every write: what is kept is exact until invalidated (renewed on hits).
  const exact = adapter.kind === 'sqlite';
  const freshness = new Freshness(
    Math.max(kept(responses?.maxAgeSeconds ?? 0), kept(records?.maxAgeSeconds ?? 0)),
  );
  const recordCache = new RecordCache(
    observed,
    freshness,
    records && {
      maxAgeMs: kept(records.maxAgeSeconds),
      maxBytes: records.maxBytes,
      exact,
    },
    metrics?.recordCache,
  );
  return {
    responseCache:
      responses &&
      new ResponseCache(
        freshness,
        {
          maxAgeMs: kept(responses.maxAgeSeconds),
          publicMaxAgeMs: maxAgeMs(responses.maxAgeSeconds),
          maxBytes: responses.maxBytes,
          exact,
        },
        metrics?.responseCache,
      ),
    recordCache,
    store: recordCache,
  };
}
