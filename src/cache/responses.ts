import { LRUCache } from 'lru-cache';
import type { OperationName, ResponseCacheMetrics } from '../metrics';
import type { Freshness } from './freshness';
import type { RequestReads } from './request-reads';
import { responseEntryBytes } from './sizes';
import type { Tag } from './tags';

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
 * Memory is bounded by an LRU over what each entry really holds
 * (responseEntryBytes in sizes.ts): its own copy of the body, its key and header strings, and
 * the objects around them.
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
  /** The cache's clock when that request started, or when a hit last found it current (renews). */
  bornAt: number;
  tags: readonly Tag[];
  /** What its lifetime counts from: startedAt, or the last hit that found it current (renews). */
  keptSince: number;
  /** Kept a lifetime from each hit that finds it current: exact, and nothing live read. */
  renews: boolean;
}

export interface ResponseCacheOptions {
  /** How long an answer is kept and served in this process (index.ts: longer on the embedded store). */
  maxAgeMs: number;
  /**
   * The max-age CDNs and browsers get (RESPONSE_CACHE_MAX_AGE_SECONDS);
   * maxAgeMs unless given. Shorter than maxAgeMs only where this process sees
   * every write (the embedded store), so a kept answer is known current at
   * every hit: see ageSeconds.
   */
  publicMaxAgeMs?: number;
  maxBytes: number;
  /**
   * This process makes every write (the embedded store): a kept answer that
   * read nothing live (RequestReads.live: a TMDB score) is exact until a
   * write invalidates it, so a hit that finds it current keeps it maxAgeMs
   * from that hit. An answer with a live score still expires maxAgeMs after
   * it was computed: a read that then misses is what refreshes the score.
   */
  exact?: boolean;
}

export class ResponseCache {
  private readonly entries: LRUCache<string, CachedResponse>;

  constructor(
    /** What this process's writes changed (stamped by the store front, records.ts). */
    private readonly freshness: Freshness,
    private readonly options: ResponseCacheOptions,
    private readonly metrics?: ResponseCacheMetrics,
  ) {
    this.entries = new LRUCache<string, CachedResponse>({
      maxSize: options.maxBytes,
      sizeCalculation: (entry, key) => responseEntryBytes(key, entry),
    });
    metrics?.watchSize(() => ({ bytes: this.entries.calculatedSize, entries: this.entries.size }));
  }

  /** The max-age CDNs get (RESPONSE_CACHE_MAX_AGE_SECONDS). */
  get maxAgeSeconds(): number {
    return Math.floor(this.publicMaxAgeMs / 1000);
  }

  private get publicMaxAgeMs(): number {
    return this.options.publicMaxAgeMs ?? this.options.maxAgeMs;
  }

  /**
   * An answer's Age header, in whole seconds, for an answer computed from
   * data read at `startedAt`: the time since it was last known current.
   * Where answers are kept only as long as CDNs may keep them, that is since
   * it was computed. Where they are kept longer (the embedded store: every
   * write is this process's and invalidates what it touched), this process
   * knows a kept answer current whenever it serves it; it counts the answer
   * revalidated once per public max-age, so a CDN gets an Age within its
   * max-age (never an answer it would take as already stale) and keeps it
   * no longer than the public max-age past this process's last look.
   */
  ageSeconds(startedAt: number, now: number): number {
    let ms = Math.max(0, now - startedAt);
    if (this.options.maxAgeMs > this.publicMaxAgeMs) ms %= this.publicMaxAgeMs;
    return Math.floor(ms / 1000);
  }

  /**
   * The response for this key, if one is kept, within its lifetime (maxAgeMs
   * from keptSince), and nothing it read changed.
   */
  get(key: string, now = Date.now()): CachedResponse | undefined {
    const entry = this.entries.get(key);
    if (entry && now - entry.keptSince < this.options.maxAgeMs && this.unchanged(entry)) {
      if (entry.renews) {
        // Found current now: as good as computed now (every write would have invalidated it).
        entry.keptSince = now;
        entry.bornAt = this.freshness.now;
      }
      this.metrics?.lookup('hit');
      return entry;
    }
    if (entry) this.entries.delete(key);
    this.metrics?.lookup('miss');
    return undefined;
  }

  /**
   * Called when a request that may be kept starts: what the store notes its
   * reads into (request-reads.ts), with the clock its answer is checked against.
   */
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
      // The endpoint's body is Buffer.from(string): under 4 KiB, a slice of Node's shared 8 KiB
      // pool, which a kept slice would pin whole. The cache keeps its own copy, exactly its size.
      body: ownCopy(response.body),
      startedAt: reads.startedAt,
      bornAt: reads.bornAt,
      tags: [...reads.tags],
      keptSince: reads.startedAt,
      renews: this.options.exact === true && !reads.live,
    };
    if (now - entry.startedAt >= this.options.maxAgeMs || !this.unchanged(entry)) return;
    this.entries.set(key, entry);
  }

  private unchanged(entry: CachedResponse): boolean {
    return this.freshness.unchanged(entry.bornAt, entry.tags);
  }
}

/** The bytes in memory of their own, exactly as long: not a view of a larger (pooled) buffer. */
function ownCopy(body: Buffer): Buffer {
  const copy = Buffer.allocUnsafeSlow(body.length);
  body.copy(copy);
  return copy;
}
