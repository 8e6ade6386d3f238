import type {
  AccuracyAggregate,
  ChangeRecord,
  CommentModeration,
  CuratedTitle,
  FactRecord,
  MediaType,
  RatingRecord,
  RatingTarget,
  RecommendationRecord,
  TitleEditResult,
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

  /** Title aggregates (fields, slug history, facts, recommendations), in id order; null where none. */
  curatedTitlesByIds(ids: readonly string[]): Promise<Array<CuratedTitle | null>>;
  /**
   * Every editor write and import goes through here. Each edit reads one
   * title's aggregate (null: no such title yet) and returns the next one with
   * its change records (null: nothing to change, nothing is written). The
   * store writes each next aggregate and its change records atomically: a
   * change is never stored without its record, nor a record without its
   * change. `apply` must be pure: an adapter may run it again on fresher state
   * after a concurrent write to the same title. Whatever `apply` throws aborts
   * the batch with nothing written (every edit is applied to the current state
   * before the first write). Throws SlugTakenError when a slug (current or
   * former) already resolves to another title. Never touches ratings, and
   * keeps a TMDB snapshot saved meanwhile unless the edit changes it.
   *
   * Adapters: SQLite runs the batch in one transaction. MongoDB writes each
   * title as one atomic single-document update; see mongo-store.ts for what a
   * crash between two titles of a batch leaves.
   */
  editTitles(edits: readonly TitleEdit[]): Promise<TitleEditOutcome[]>;
  /**
   * Hides (or re-words the reason of) a rating's comment, with its change
   * record, atomically. `apply` returns null to change nothing. Null when no
   * rating has this id.
   */
  moderateRating(ratingId: string, apply: RatingModeration): Promise<RatingRecord | null>;
  /**
   * Ratings of one target that have a comment not hidden, newest first
   * (updatedAt, then id, descending), after the cursor; index-backed: a page
   * costs what it returns whatever the target's number of ratings.
   */
  commentsOf(targetKey: string, page: PageRequest): Promise<Page<RatingRecord>>;
  /** A title's change records (its fields, facts, recommendations, comments), newest first. */
  changesOfTitle(titleId: string, page: PageRequest): Promise<Page<ChangeRecord>>;
  /** One entry per id, in id order; null where no change record has that id. */
  changesByIds(ids: readonly string[]): Promise<Array<ChangeRecord | null>>;
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

/** One title's edit: see Store.editTitles. */
export interface TitleEdit {
  titleId: string;
  apply(current: CuratedTitle | null): TitleEditResult | null;
}

export interface TitleEditOutcome {
  /** The aggregate as stored after the batch (as it was when the edit changed nothing). */
  title: CuratedTitle | null;
  /** The change records stored with it (empty when nothing changed). */
  changes: ChangeRecord[];
}

/** Decides a comment's moderation from the rating as stored; see Store.moderateRating. */
export type RatingModeration = (
  current: RatingRecord,
) => { hidden: CommentModeration; change: ChangeRecord } | null;

/**
 * Keyset paging, newest first: `after` is the (time, id) of the last item of
 * the previous page, exclusive.
 */
export interface PageRequest {
  first: number;
  after?: { at: Date; id: string } | null;
}

export interface Page<T> {
  items: T[];
  hasNextPage: boolean;
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
