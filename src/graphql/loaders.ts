import DataLoader from 'dataloader';
import type { CachedMethod, RecordPeek } from '../cache/records';
import type { Store } from '../store/port';
import type { TmdbScoreLoader } from '../tmdb';
import type {
  AccuracyAggregate,
  FactRecord,
  MediaType,
  RatingRecord,
  RecommendationRecord,
  TitleRecord,
} from '../model';

/** A title's identity on TMDB: what a federation key by tmdbId and mediaType names. */
export interface TmdbIdentity {
  tmdbId: number;
  mediaType: MediaType;
}

/** A voter's rating of one target: what viewerRating asks for. */
export interface ViewerRatingKey {
  voterId: string;
  targetKey: string;
}

/**
 * Per-request loaders over the store port. One loader per batch read: fields
 * at the same depth of a query collapse into one store call, so the number of
 * calls depends on the query's shape, not on how many titles it returns.
 * They live for one request, so a write in a mutation is never hidden by a
 * cache from another request. The record cache's records are given at once
 * (RecordLoader).
 */
export interface Loaders {
  titleById: RecordLoader<TitleRecord | null>;
  titleBySlug: RecordLoader<TitleRecord | null>;
  titleByTmdb: DataLoader<TmdbIdentity, TitleRecord | null, string>;
  factsByTitleId: RecordLoader<FactRecord[]>;
  factById: DataLoader<string, FactRecord | null>;
  recommendationsByTitleId: RecordLoader<RecommendationRecord[]>;
  aggregateByTarget: RecordLoader<AccuracyAggregate>;
  ratingById: DataLoader<string, RatingRecord | null>;
  viewerRating: DataLoader<ViewerRatingKey, RatingRecord | null, string>;
  tmdbScore: TmdbScoreLoader;
}

/**
 * A loader of records the record cache keeps (src/cache/records.ts).
 * `loadNow` gives a record the cache holds at once, not a promise, so a
 * resolver reading it can answer synchronously (see whenLoaded): on a title page
 * from memory, the promises and batches of some thirty loads cost more than
 * the lookups. The first answer for a key is primed, so the rest of the
 * request gets that same record, as DataLoader's own memo would give it.
 */
export class RecordLoader<V> extends DataLoader<string, V> {
  private readonly memo: Map<string, Promise<V>>;

  constructor(
    batch: DataLoader.BatchLoadFn<string, V>,
    private readonly peek: ((key: string) => V | undefined) | null,
    /** Hears every record given, from the cache or the store (a title by slug is also known by id). */
    private readonly given?: (value: V) => void,
  ) {
    const memo = new Map<string, Promise<V>>();
    super(
      given
        ? async (keys) => {
            const values = await batch(keys);
            for (let i = 0; i < values.length; i += 1) {
              const value = values[i];
              if (!(value instanceof Error)) given(value);
            }
            return values;
          }
        : batch,
      { cacheMap: memo },
    );
    this.memo = memo;
  }

  /** The record at once when the cache holds it and this request has not asked for it; else load(key). */
  loadNow(key: string): V | Promise<V> {
    if (this.peek && !this.memo.has(key)) {
      const kept = this.peek(key);
      if (kept !== undefined) {
        this.prime(key, kept);
        this.given?.(kept);
        return kept;
      }
    }
    return this.load(key);
  }
}

/** `use(value)` at once for a value, after it for a promise: a resolver stays synchronous when its data is. */
export function whenLoaded<T, R>(value: T | Promise<T>, use: (value: T) => R): R | Promise<R> {
  return value instanceof Promise ? value.then(use) : use(value);
}

/**
 * The request's loaders over `store`; `peek` (null: none) answers what the
 * record cache holds without the store (RecordCache.peeking).
 */
export function createLoaders(
  store: Store,
  tmdbScore: TmdbScoreLoader,
  peek: RecordPeek | null = null,
): Loaders {
  const peekOf = <V>(method: CachedMethod) =>
    peek && ((key: string) => peek(method, key) as V | undefined);
  const titleById = new RecordLoader<TitleRecord | null>(
    (ids) => store.titlesByIds(ids),
    peekOf('titlesByIds'),
  );
  const titleBySlug = new RecordLoader<TitleRecord | null>(
    (slugs) => store.titlesBySlugs(slugs),
    peekOf('titlesBySlugs'),
    // A title found by slug is also known by id: later id lookups cost nothing.
    (title) => {
      if (title) titleById.prime(title.id, title);
    },
  );
  return {
    titleById,
    titleBySlug,
    titleByTmdb: new DataLoader(
      async (keys) => {
        const titles = await store.titlesByTmdbIds(keys);
        for (const title of titles) if (title) titleById.prime(title.id, title);
        return titles;
      },
      { cacheKeyFn: ({ tmdbId, mediaType }) => `${mediaType}:${tmdbId}` },
    ),
    factsByTitleId: new RecordLoader(
      (ids) => store.factsByTitleIds(ids),
      peekOf('factsByTitleIds'),
    ),
    factById: new DataLoader((ids) => store.factsByIds(ids)),
    recommendationsByTitleId: new RecordLoader(
      (ids) => store.recommendationsByTitleIds(ids),
      peekOf('recommendationsByTitleIds'),
    ),
    aggregateByTarget: new RecordLoader(
      (keys) => store.aggregatesByTargets(keys),
      peekOf('aggregatesByTargets'),
    ),
    ratingById: new DataLoader((ids) => store.ratingsByIds(ids)),
    viewerRating: new DataLoader(viewerRatings(store), {
      cacheKeyFn: ({ voterId, targetKey }) => `${voterId} ${targetKey}`,
    }),
    tmdbScore,
  };
}

/**
 * One store call per voter in the batch: a page asks for one voter's ratings
 * of the title and all its facts, which is one call.
 */
function viewerRatings(store: Store) {
  return async (keys: readonly ViewerRatingKey[]): Promise<Array<RatingRecord | null>> => {
    const byVoter = new Map<string, string[]>();
    for (const { voterId, targetKey } of keys) {
      byVoter.set(voterId, [...(byVoter.get(voterId) ?? []), targetKey]);
    }
    const found = new Map<string, RatingRecord>();
    await Promise.all(
      [...byVoter].map(async ([voterId, targetKeys]) => {
        const ratings = await store.ratingsOfVoter(voterId, targetKeys);
        for (const rating of ratings)
          if (rating) found.set(`${voterId} ${rating.targetKey}`, rating);
      }),
    );
    return keys.map(({ voterId, targetKey }) => found.get(`${voterId} ${targetKey}`) ?? null);
  };
}
