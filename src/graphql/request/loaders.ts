import DataLoader from 'dataloader';
import type { Store } from '../../store/port';
import type { TmdbScoreLoader } from '../../tmdb';
import type {
  AccuracyAggregate,
  FactRecord,
  FactReview,
  MediaType,
  RatingRecord,
  RecommendationRecord,
  ReportRecord,
  TitleRecord,
} from '../../model';

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
 * Their memo lives for one request: a record read twice in a request is the
 * same record. Across requests, what the store gives may come from the
 * process's record cache (src/cache/records.ts), which every write through
 * the store invalidates before it answers, so a write is seen by the next
 * request.
 */
export interface Loaders {
  titleById: DataLoader<string, TitleRecord | null>;
  titleBySlug: DataLoader<string, TitleRecord | null>;
  titleByTmdb: DataLoader<TmdbIdentity, TitleRecord | null, string>;
  factsByTitleId: DataLoader<string, FactRecord[]>;
  factById: DataLoader<string, FactRecord | null>;
  recommendationsByTitleId: DataLoader<string, RecommendationRecord[]>;
  aggregateByTarget: DataLoader<string, AccuracyAggregate>;
  ratingById: DataLoader<string, RatingRecord | null>;
  viewerRating: DataLoader<ViewerRatingKey, RatingRecord | null, string>;
  /** Fact.review: every fact of a page in one call. */
  reviewByFactId: DataLoader<string, FactReview>;
  /** A queue page's open reports (editors only), one call per page. */
  openReportsByFactId: DataLoader<string, ReportRecord[]>;
  tmdbScore: TmdbScoreLoader;
}

/** The request's loaders over `store` (the process's store, built once: src/cache/index.ts). */
export function createLoaders(store: Store, tmdbScore: TmdbScoreLoader): Loaders {
  const titleById = new DataLoader<string, TitleRecord | null>((ids) => store.titlesByIds(ids));
  /** A title found otherwise is also known by id: later id lookups cost nothing. */
  const knownById = (titles: ReadonlyArray<TitleRecord | null>) => {
    for (const title of titles) if (title) titleById.prime(title.id, title);
    return titles;
  };
  return {
    titleById,
    titleBySlug: new DataLoader(async (slugs) => knownById(await store.titlesBySlugs(slugs))),
    titleByTmdb: new DataLoader(async (keys) => knownById(await store.titlesByTmdbIds(keys)), {
      cacheKeyFn: ({ tmdbId, mediaType }) => `${mediaType}:${tmdbId}`,
    }),
    factsByTitleId: new DataLoader((ids) => store.factsByTitleIds(ids)),
    factById: new DataLoader((ids) => store.factsByIds(ids)),
    recommendationsByTitleId: new DataLoader((ids) => store.recommendationsByTitleIds(ids)),
    aggregateByTarget: new DataLoader((keys) => store.aggregatesByTargets(keys)),
    ratingById: new DataLoader((ids) => store.ratingsByIds(ids)),
    viewerRating: new DataLoader(viewerRatings(store), {
      cacheKeyFn: ({ voterId, targetKey }) => `${voterId} ${targetKey}`,
    }),
    reviewByFactId: new DataLoader((ids) => store.reviewsOfFacts(ids)),
    openReportsByFactId: new DataLoader((ids) => store.openReportsOfFacts(ids)),
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
