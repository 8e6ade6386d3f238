import type { FactRecord, MediaType, RecommendationRecord, TitleRecord } from '../../model';

/**
 * Catalog reads: what a title page needs. Batched (one call for many keys,
 * results in key order) so per-request DataLoaders make a constant number of calls.
 */
export interface CatalogReads {
  /** One entry per id, in id order; null where no title has that id. */
  titlesByIds(ids: readonly string[]): Promise<Array<TitleRecord | null>>;
  /**
   * One entry per slug, in slug order; null where no title has that slug. A
   * former slug (before a rename) resolves to its title too.
   */
  titlesBySlugs(slugs: readonly string[]): Promise<Array<TitleRecord | null>>;
  /**
   * One entry per TMDB identity (id and media type: TMDB numbers films and
   * series separately), in key order; null where no title has it.
   */
  titlesByTmdbIds(
    keys: ReadonlyArray<{ tmdbId: number; mediaType: MediaType }>,
  ): Promise<Array<TitleRecord | null>>;
  /** A page of titles in slug order, with the total matching the search. */
  listTitles(query: TitleListQuery): Promise<TitlePage>;
  /** For each title id, its facts ordered by category (BEHIND_THE_SCENES first) then position. */
  factsByTitleIds(titleIds: readonly string[]): Promise<FactRecord[][]>;
  /** One entry per id, in id order; null where no fact has that id. */
  factsByIds(ids: readonly string[]): Promise<Array<FactRecord | null>>;
  /** For each title id, its recommendations ordered by position. */
  recommendationsByTitleIds(titleIds: readonly string[]): Promise<RecommendationRecord[][]>;
  countTitles(): Promise<number>;
}

export interface TitleListQuery {
  /**
   * Substring of the name, matched literally (never as a pattern) after
   * Unicode normalisation (NFKC) and case folding on both sides.
   */
  search?: string | null;
  first: number;
  /** Exclusive lower bound on slug: titles are listed in slug order. */
  afterSlug?: string | null;
}

export interface TitlePage {
  titles: TitleRecord[];
  hasNextPage: boolean;
  totalCount: number;
}
