import { LRUCache } from 'lru-cache';
import type { OperationName, ResponseCacheMetrics } from '../metrics';
import type { Store } from '../store/port';
import { effectOf, EVERYTHING, type Tag } from './tags';

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
 * never kept: each request notes the cache's clock when it starts, each
 * invalidation moves the clock and stamps its tags, and a response is kept
 * (and served) only while none of its tags has been stamped since its start.
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
  readonly startedAt: number;
  readonly tags: Set<Tag>;
}

export interface ResponseCacheOptions {
  maxAgeMs: number;
  maxBytes: number;
}

/** Invalidation stamps kept before old ones (older than maxAgeMs, so irrelevant) are pruned. */
const STAMPS_BEFORE_PRUNING = 10_000;

export class ResponseCache {
  private readonly entries: LRUCache<string, CachedResponse>;
  /** Moves with every invalidation. */
  private clock = 0;
  /** Per tag, the clock and time of its last invalidation. */
  private readonly stamps = new Map<Tag, { clock: number; at: number }>();
  /** The clock of the last invalidation of everything. */
  private everythingStamp = 0;

  constructor(
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
    return { bornAt: this.clock, startedAt: now, tags: new Set() };
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

  /** Makes every response that read one of `tags` unreadable (EVERYTHING: all of them). */
  invalidate(tags: Iterable<Tag> | typeof EVERYTHING, now = Date.now()): void {
    this.clock += 1;
    if (tags === EVERYTHING) {
      this.everythingStamp = this.clock;
      this.entries.clear();
      return;
    }
    for (const tag of tags) this.stamps.set(tag, { clock: this.clock, at: now });
    if (this.stamps.size > STAMPS_BEFORE_PRUNING) this.prune(now);
  }

  /**
   * The store with every write invalidating what it changed once it has run
   * (also when it failed: part of it may be written), before its caller
   * answers. Wrap the store every writer of this process uses.
   */
  invalidating(store: Store): Store {
    return new Proxy(store, {
      get: (target, property, receiver) => {
        const value: unknown = Reflect.get(target, property, receiver);
        const effect = effectOf(property);
        if (typeof value !== 'function' || !effect || effect === 'none' || !('writes' in effect)) {
          return value;
        }
        return async (...args: unknown[]) => {
          let answer;
          try {
            answer = await value.apply(target, args);
            return answer;
          } finally {
            this.invalidate(effect.writes(args, answer));
          }
        };
      },
    });
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
    if (this.everythingStamp > entry.bornAt) return false;
    for (const tag of entry.tags) {
      const stamp = this.stamps.get(tag);
      if (stamp && stamp.clock > entry.bornAt) return false;
    }
    return true;
  }

  /** Drops stamps older than maxAgeMs: every response or request they could concern is too old. */
  private prune(now: number): void {
    for (const [tag, stamp] of this.stamps) {
      if (now - stamp.at > this.options.maxAgeMs) this.stamps.delete(tag);
    }
  }
}

function headerBytes(entry: CachedResponse): number {
  return entry.headers.reduce((bytes, part) => bytes + part.length, 0);
}

/**
 * The process's response cache from its configuration (null when off), and the
 * store every writer must use: the cache's invalidating() wrapper of `store`.
 */
export function openResponseCache(
  config: { maxAgeSeconds: number; maxBytes: number } | null,
  store: Store,
  metrics?: ResponseCacheMetrics,
): { responseCache: ResponseCache | null; store: Store } {
  if (!config) return { responseCache: null, store };
  const responseCache = new ResponseCache(
    { maxAgeMs: config.maxAgeSeconds * 1000, maxBytes: config.maxBytes },
    metrics,
  );
  return { responseCache, store: responseCache.invalidating(store) };
}
