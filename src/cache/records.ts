import { LRUCache } from 'lru-cache';
import type { RecordCacheMetrics } from '../metrics';
import type { Store } from '../store/port';
import type { Freshness } from './freshness';
import { recordEntryBytes } from './sizes';
import { STORE_EFFECTS, type Tag } from './tags';

/**
 * The records a title page reads, kept in memory per key: titles by id and by
 * slug, a title's facts and recommendations, a rated target's aggregate. A
 * query that misses the response cache (another shape, other variables, an
 * editor's request, RESPONSE_CACHE=false) still runs all of GraphQL, but
 * reads these from memory instead of the store.
 *
 * Freshness is the response cache's (freshness.ts): a write through this
 * process's store port makes the records it changed unreadable before it
 * answers, so a rating is in the next read's aggregate; a write by another
 * process sharing MongoDB is seen within `maxAgeMs`, counted from when the
 * record was read. Memory is bounded by an LRU over what each record really
 * takes (recordEntryBytes in sizes.ts: a measured multiple of its JSON size).
 * A lookup that found nothing is not kept: unknown ids, which any client can
 * send, would push out the records pages read.
 *
 * Answers are shared by every request that reads them, so they are frozen:
 * a resolver that changed one would throw instead of changing other
 * requests' data.
 */
export interface RecordCacheOptions {
  maxAgeMs: number;
  /** Bytes of the records kept, as they take in memory (recordEntryBytes in sizes.ts). */
  maxBytes: number;
}

/** The port methods whose answers are kept: one key in, one answer out, by position. */
const CACHED_METHODS = [
  'titlesByIds',
  'titlesBySlugs',
  'factsByTitleIds',
  'recommendationsByTitleIds',
  'aggregatesByTargets',
] as const;
export type CachedMethod = (typeof CACHED_METHODS)[number];

/** What the cache holds, current, for one key of a cached method; undefined when it holds nothing. */
export type RecordPeek = (method: CachedMethod, key: string) => unknown;

/**
 * Hears each record given from memory: when it was read from the store, and
 * what it is (its tags), so that a response built from it expires by its
 * data and is dropped by the writes that change it (RequestReads in
 * responses.ts). The store-reading path also tags through the response
 * cache's recording store; a record given by peeking goes through no store.
 */
export type Served = (readAt: number, tags: readonly Tag[]) => void;
type KeyedRead = (keys: readonly string[]) => Promise<unknown[]>;

interface Entry {
  answer: unknown;
  tags: readonly Tag[];
  /** The freshness clock when the read started. */
  bornAt: number;
  /** When the read started (Date.now()). */
  readAt: number;
}

export class RecordCache {
  private readonly entries: LRUCache<string, Entry>;
  private hits = 0;
  private misses = 0;

  constructor(
    private readonly freshness: Freshness,
    private readonly options: RecordCacheOptions,
    metrics?: RecordCacheMetrics,
  ) {
    this.entries = new LRUCache<string, Entry>({
      maxSize: options.maxBytes,
      // Measured once per miss.
      sizeCalculation: (entry, key) => recordEntryBytes(key, entry.answer),
    });
    metrics?.watch(() => ({ hits: this.hits, misses: this.misses, entries: this.entries.size }));
  }

  /** What the kept records take in memory, as counted against maxBytes (sizes.ts). */
  get bytes(): number {
    return this.entries.calculatedSize;
  }

  /**
   * The store with the cached methods answered from memory where current and
   * the other keys read from `store` in one call. `served` hears each answer
   * given from memory.
   */
  reading(store: Store, served?: Served): Store {
    return new Proxy(store, {
      get: (target, property, receiver) => {
        const value: unknown = Reflect.get(target, property, receiver);
        if (typeof value !== 'function' || !isCachedMethod(property)) return value;
        const read = (keys: readonly string[]) =>
          (value as KeyedRead).call(target, keys) as Promise<unknown[]>;
        return (keys: readonly string[]) => this.read(property, keys, read, served);
      },
    });
  }

  /**
   * Lookups of single keys without the store, answered at once: what lets a
   * request's loaders give a kept record synchronously (src/graphql/loaders.ts),
   * so the resolvers reading it need no promise. `served` as for reading().
   */
  peeking(served?: Served): RecordPeek {
    return (method, key) => this.serve(method, key, Date.now(), served)?.answer;
  }

  /** The current entry of one key, counted as a hit and told to `served`; undefined when none. */
  private serve(
    method: CachedMethod,
    key: string,
    now: number,
    served: Served | undefined,
  ): Entry | undefined {
    const entry = this.current(`${method}\n${key}`, now);
    if (!entry) return undefined;
    this.hits += 1;
    served?.(entry.readAt, entry.tags);
    return entry;
  }

  private async read(
    method: CachedMethod,
    keys: readonly string[],
    readFromStore: KeyedRead,
    served: Served | undefined,
  ): Promise<unknown[]> {
    const now = Date.now();
    const answers: unknown[] = new Array(keys.length);
    const missing: string[] = [];
    const missingAt: number[] = [];
    keys.forEach((key, i) => {
      const entry = this.serve(method, key, now, served);
      if (entry) {
        answers[i] = entry.answer;
      } else {
        missing.push(key);
        missingAt.push(i);
      }
    });
    this.misses += missing.length;
    if (missing.length === 0) return answers;

    const bornAt = this.freshness.now;
    const loaded = await readFromStore(missing);
    const tagsOf = (STORE_EFFECTS[method] as { reads(args: unknown[], answer: unknown): Tag[] })
      .reads;
    loaded.forEach((answer, j) => {
      const key = missing[j];
      answers[missingAt[j]] = answer;
      if (answer === null) return;
      const tags = tagsOf([[key]], [answer]);
      // A write to it that ran while it was read: the next read goes to the store again.
      if (!this.freshness.unchanged(bornAt, tags)) return;
      this.entries.set(`${method}\n${key}`, {
        answer: deepFreeze(answer),
        tags,
        bornAt,
        readAt: now,
      });
    });
    return answers;
  }

  private current(key: string, now: number): Entry | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    if (
      now - entry.readAt < this.options.maxAgeMs &&
      this.freshness.unchanged(entry.bornAt, entry.tags)
    ) {
      return entry;
    }
    this.entries.delete(key);
    return undefined;
  }
}

function isCachedMethod(property: string | symbol): property is CachedMethod {
  return (CACHED_METHODS as readonly unknown[]).includes(property);
}

function deepFreeze<T>(value: T): T {
  if (value === null || typeof value !== 'object' || Object.isFrozen(value)) return value;
  for (const inner of Object.values(value)) deepFreeze(inner);
  return Object.freeze(value);
}
