import { LRUCache } from 'lru-cache';
import type { OperationName, ResponseCacheMetrics } from '../metrics';
import type { Store } from '../store/port';
import type { Freshness } from './freshness';
import { effectOf, type Tag } from './tags';

/**
 * Whole GraphQL responses of anonymous reads, kept in memory and answered
 * again byte for byte (src/http/graphql-endpoint.ts serves them).
 *
 * Freshness has two bounds:
 * - writes through this process's store port (ratings, editor writes,
 *   imports, TMDB snapshots) make the responses that read what they changed
 *   unreadable before the write returns (tags.ts), so the next read here
 *   sees them; on the embedded store this process owns the data, so that is
 *   every write;
 * - every response expires `maxAgeMs` after the request that computed it
 *   started, which bounds how long a write by another process sharing MongoDB
 *   (or a TMDB score turning stale) can go unseen.
 * Memory is bounded by an LRU over the bytes kept.
 *
 * A response computed while a write to something it read was running is
 * never kept: each request notes the freshness clock (freshness.ts) when it
 * starts, and a response is kept (and served) only while none of its tags
 * has been invalidated since.
 */
export interface CachedResponse {
  status: number;
  /** Every header as sent but the request id (Node adds Date), flat: [name, value, ...]. */
  headers: readonly string[];
  body: Buffer;
  /** What the log and metrics call it (observe-operations.ts). */
  operation: OperationName;
  /** When the request that computed it started (Date.now()). */
  startedAt: number;
  /** The cache's clock when that request started. */
  bornAt: number;
  tags: readonly Tag[];
}

/** What one request read, from its start: its tags are collected as it runs. */
export interface RequestReads {
  readonly bornAt: number;
  /**
   * When its request started, or earlier: when the oldest record it was
   * given was read (records.ts), so that its response expires by its data.
   */
  startedAt: number;
  readonly tags: Set<Tag>;
}

export interface ResponseCacheOptions {
  maxAgeMs: number;
  maxBytes: number;
}

export class ResponseCache {
  private readonly entries: LRUCache<string, CachedResponse>;

  constructor(
    /** What this process's writes changed (its invalidating() store), shared with the record cache. */
    private readonly freshness: Freshness,
    private readonly options: ResponseCacheOptions,
    private readonly metrics?: ResponseCacheMetrics,
  ) {
    this.entries = new LRUCache<string, CachedResponse>({
      maxSize: options.maxBytes,
      sizeCalculation: (entry, key) => entry.body.length + key.length + headerBytes(entry),
    });
    metrics?.watchSize(() => ({ bytes: this.entries.calculatedSize, entries: this.entries.size }));
  }

  /** How long a response may be served after its request started; also the max-age CDNs get. */
  get maxAgeSeconds(): number {
    return Math.floor(this.options.maxAgeMs / 1000);
  }

  /** The response for this key, if one is kept, younger than maxAgeMs, and nothing it read changed. */
  get(key: string, now = Date.now()): CachedResponse | undefined {
    const entry = this.entries.get(key);
    if (entry && now - entry.startedAt < this.options.maxAgeMs && this.unchanged(entry)) {
      this.metrics?.lookup('hit');
      return entry;
    }
    if (entry) this.entries.delete(key);
    this.metrics?.lookup('miss');
    return undefined;
  }

  /** Called when a request starts; the store it reads through records into it (recording()). */
  begin(now = Date.now()): RequestReads {
    return { bornAt: this.freshness.now, startedAt: now, tags: new Set() };
  }

  /**
   * Keeps a response, unless something it read was written since its request
   * started, or it is already too old to serve.
   */
  set(
    key: string,
    reads: RequestReads,
    response: Pick<CachedResponse, 'status' | 'headers' | 'body' | 'operation'>,
    now = Date.now(),
  ): void {
    const entry: CachedResponse = {
      ...response,
      startedAt: reads.startedAt,
      bornAt: reads.bornAt,
      tags: [...reads.tags],
    };
    if (now - entry.startedAt >= this.options.maxAgeMs || !this.unchanged(entry)) return;
    this.entries.set(key, entry);
  }

  /** The store with every read tagging `reads` with what it answered. */
  recording(store: Store, reads: RequestReads): Store {
    return new Proxy(store, {
      get(target, property, receiver) {
        const value: unknown = Reflect.get(target, property, receiver);
        const effect = effectOf(property);
        if (typeof value !== 'function' || !effect || effect === 'none' || !('reads' in effect)) {
          return value;
        }
        return async (...args: unknown[]) => {
          const answer = await value.apply(target, args);
          for (const tag of effect.reads(args, answer)) reads.tags.add(tag);
          return answer;
        };
      },
    });
  }

  private unchanged(entry: CachedResponse): boolean {
    return this.freshness.unchanged(entry.bornAt, entry.tags);
  }
}

function headerBytes(entry: CachedResponse): number {
  return entry.headers.reduce((bytes, part) => bytes + part.length, 0);
}
