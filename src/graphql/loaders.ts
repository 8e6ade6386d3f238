import DataLoader from 'dataloader';
import type { Store } from '../store/port';
import type { TmdbScoreLoader } from '../tmdb';
import type { AccuracyAggregate, FactRecord, RecommendationRecord, TitleRecord } from '../model';

/**
 * Per-request loaders over the store port. One loader per batch read: fields
 * at the same depth of a query collapse into one store call, so the number of
 * calls depends on the query's shape, not on how many titles it returns.
 * They live for one request, so a write in a mutation is never hidden by a
 * cache from another request.
 */
export interface Loaders {
  titleById: DataLoader<string, TitleRecord | null>;
  titleBySlug: DataLoader<string, TitleRecord | null>;
  factsByTitleId: DataLoader<string, FactRecord[]>;
  factById: DataLoader<string, FactRecord | null>;
  recommendationsByTitleId: DataLoader<string, RecommendationRecord[]>;
  aggregateByTarget: DataLoader<string, AccuracyAggregate>;
  tmdbScore: TmdbScoreLoader;
}

export function createLoaders(store: Store, tmdbScore: TmdbScoreLoader): Loaders {
  const titleById = new DataLoader<string, TitleRecord | null>((ids) => store.titlesByIds(ids));
  const titleBySlug = new DataLoader<string, TitleRecord | null>(async (slugs) => {
    const titles = await store.titlesBySlugs(slugs);
    // A title found by slug is also known by id: later id lookups cost nothing.
    for (const title of titles) if (title) titleById.prime(title.id, title);
    return titles;
  });
  return {
    titleById,
    titleBySlug,
    factsByTitleId: new DataLoader((ids) => store.factsByTitleIds(ids)),
    factById: new DataLoader((ids) => store.factsByIds(ids)),
    recommendationsByTitleId: new DataLoader((ids) => store.recommendationsByTitleIds(ids)),
    aggregateByTarget: new DataLoader((keys) => store.aggregatesByTargets(keys)),
    tmdbScore,
  };
}
