import type {
  AccuracyAggregate,
  Catalog,
  CatalogReport,
  FactRecord,
  MediaType,
  RatingRecord,
  RatingTarget,
  RecommendationRecord,
  TitleRecord,
  TmdbSnapshot,
} from '../model';

/**
 * The store port: everything the GraphQL layer, the TMDB layer and the scripts
 * need from persistence. Reads are batched (one call for many keys, results in
 * key order) so per-request DataLoaders make a constant number of calls.
 *
 * Adapters: `sqlite/` (embedded, default) and `mongo/` (production). Both pass
 * test/contract/store.contract.test.ts; that suite is the spec of this interface.
 */
export interface Store {
  readonly kind: 'sqlite' | 'mongo';

  /** One entry per id, in id order; null where no title has that id. */
  titlesByIds(ids: readonly string[]): Promise<Array<TitleRecord | null>>;
  /** One entry per slug, in slug order; null where no title has that slug. */
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

  /** One aggregate per target key, in key order; a zero aggregate where nothing is rated. */
  aggregatesByTargets(targetKeys: readonly string[]): Promise<AccuracyAggregate[]>;
  /**
   * Inserts the voter's rating of the target, or replaces their earlier one, and
   * updates the target's aggregate by exactly the difference. Concurrent calls,
   * including same-voter ones, must leave one rating per (voter, target) and an
   * aggregate equal to a recomputation from the ratings once they settle (the
   * aggregate returned may include other writes in flight). The caller has
   * checked that the target exists.
   */
  upsertRating(write: RatingWrite, now: Date): Promise<RatingWriteResult>;
  /** One entry per id, in id order; null where no rating has that id. */
  ratingsByIds(ids: readonly string[]): Promise<Array<RatingRecord | null>>;
  /** One voter's rating of each target, in target order; null where they have not rated it. */
  ratingsOfVoter(
    voterId: string,
    targetKeys: readonly string[],
  ): Promise<Array<RatingRecord | null>>;
  /** Every rating of one target (tests and rebuilds; not for request paths). */
  ratingsByTarget(targetKey: string): Promise<RatingRecord[]>;
  /**
   * Recomputes every aggregate from the raw ratings and repairs drift unless
   * dryRun. Safe while ratings are being written: a concurrent rating is never
   * lost from a repaired aggregate.
   */
  rebuildAggregates(options?: { dryRun?: boolean }): Promise<RebuildReport>;

  /** Records the latest TMDB score of a title (last known value for restarts and outages). */
  saveTmdbSnapshot(titleId: string, snapshot: TmdbSnapshot): Promise<void>;

  /**
   * Writes curated content idempotently: titles and facts by id (slug, and
   * fact (title, category, position), must stay unique), recommendations by
   * (title, position). Never touches ratings or aggregates, and keeps a
   * title's existing TMDB snapshot (the catalog's is only a starting value).
   */
  upsertCatalog(catalog: Catalog): Promise<CatalogReport>;
  countTitles(): Promise<number>;

  /** Resolves when the backing database answers; rejects otherwise (readiness). */
  ping(): Promise<void>;
  close(): Promise<void>;
}

/** Thrown by adapters when the database cannot be reached; mapped to SERVICE_UNAVAILABLE. */
export class StoreUnavailableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StoreUnavailableError';
  }
}

export interface RatingWrite {
  target: RatingTarget;
  voterId: string;
  score: number;
  comment: string | null;
}

export interface RatingWriteResult {
  rating: RatingRecord;
  /** The target's aggregate including this write (read-your-writes). */
  aggregate: AccuracyAggregate;
  /** false when the voter's earlier rating of the target was replaced. */
  created: boolean;
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

export interface AggregateDrift {
  targetKey: string;
  stored: AccuracyAggregate;
  actual: AccuracyAggregate;
}

export interface RebuildReport {
  targets: number;
  ratings: number;
  /** Aggregates that differed from the raw ratings (and were repaired unless dryRun). */
  drift: AggregateDrift[];
}
