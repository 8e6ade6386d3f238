import type { Config } from '../config';
import type { Metrics } from '../metrics';
import type { Store } from '../store/port';
import { Freshness } from './freshness';
import { RecordCache } from './records';
import { ResponseCache } from './responses';

export interface Caches {
  /** Whole responses of anonymous reads; null with RESPONSE_CACHE=false. */
  responseCache: ResponseCache | null;
  /** The records title pages read; null with RECORD_CACHE=false. */
  recordCache: RecordCache | null;
  /** The store every writer of the process must use: its writes invalidate both caches. */
  store: Store;
}

/**
 * The process's caches from its configuration, sharing one Freshness, so a
 * write is stamped once for both.
 */
export function openCaches(
  config: Pick<Config, 'responseCache' | 'recordCache'>,
  store: Store,
  metrics?: Pick<Metrics, 'responseCache' | 'recordCache'>,
): Caches {
  const { responseCache: responses, recordCache: records } = config;
  if (!responses && !records) return { responseCache: null, recordCache: null, store };
  const maxAgeMs = (seconds: number) => seconds * 1000;
  const freshness = new Freshness(
    maxAgeMs(Math.max(responses?.maxAgeSeconds ?? 0, records?.maxAgeSeconds ?? 0)),
  );
  return {
    responseCache:
      responses &&
      new ResponseCache(
        freshness,
        { maxAgeMs: maxAgeMs(responses.maxAgeSeconds), maxBytes: responses.maxBytes },
        metrics?.responseCache,
      ),
    recordCache:
      records &&
      new RecordCache(
        freshness,
        { maxAgeMs: maxAgeMs(records.maxAgeSeconds), maxBytes: records.maxBytes },
        metrics?.recordCache,
      ),
    store: freshness.invalidating(store),
  };
}
