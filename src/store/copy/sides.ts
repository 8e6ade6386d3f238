import type {
  AccuracyAggregate,
  ChangeRecord,
  CuratedTitle,
  FactReview,
  RatingRecord,
  ReportRecord,
  ReviewResolution,
} from '../../model';
import type { ReviewRecords } from '../port';

/**
 * What store:copy reads from and writes to each store, as the model's
 * records: both adapters' storage forms map to these (sqlite-side.ts,
 * sqlite-target.ts, mongo-side.ts), so a copy in any direction is
 * read -> records -> write.
 *
 * Every kind of record each store keeps, and how it is moved:
 *
 * | record                 | embedded (SQLite)                      | MongoDB                                   | moved as            |
 * | ---------------------- | -------------------------------------- | ----------------------------------------- | ------------------- |
 * | title + revision       | titles                                 | titles (the document)                     | copied (titles)     |
 * | slug history           | title_slugs                            | titles.slugs                              | copied (titles)     |
 * | facts + verification   | facts                                  | titles.facts                              | copied (titles)     |
 * | Watch Next             | recommendations                        | titles.recommendations                    | copied (titles)     |
 * | TMDB snapshot          | titles.tmdb_* columns                  | titles.tmdbSnapshot                       | copied (titles)     |
 * | ratings, comments,     | ratings (+ hidden_reason, hidden_at)   | ratings (+ hidden)                        | copied (ratings)    |
 * |   moderation           |                                        |                                           |                     |
 * | audit trail            | changes                                | changes + titles.pendingChanges +         | copied (changes)    |
 * |                        |                                        |   ratings.pendingChange +                 |                     |
 * |                        |                                        |   fact_reviews.pendingTransition.change   |                     |
 * |                        |                                        |   (not yet flushed)                       |                     |
 * | reports                | reports                                | reports (+ openKey, version, markers)     | copied (reports)    |
 * | review resolutions     | review_resolutions                     | review_resolutions + fact_reviews.        | copied (review      |
 * |                        |                                        |   pendingTransition.resolution            |   resolutions)      |
 * | fact reviews (status,  | fact_reviews                           | fact_reviews (+ rev, tallied,             | copied (fact        |
 * |   outcome, dates, id,  |                                        |   pendingTransition)                      |   reviews)          |
 * |   ratings at review)   |                                        |                                           |                     |
 * | report tallies         | fact_reviews (open_reports ...)        | fact_reviews.reports                      | DERIVED: from the   |
 * |                        |                                        |                                           |   OPEN reports      |
 * | queue rank             | fact_reviews.queued, priority          | fact_reviews.queued, priority, figures    | DERIVED: re-ranked  |
 * | queue threshold        | review_settings                        | settings                                  | not copied (config) |
 * | aggregates             | aggregates                             | aggregates                                | DERIVED: rebuilt    |
 * | title count            | title_stats (triggers)                 | -                                         | DERIVED: triggers   |
 * | search index           | titles_fts (triggers), titles.name_norm| titles.nameKey, titles.nameTrigrams       | DERIVED: on write   |
 * | TMDB identity key      | unique index on tmdb_id, media_type    | titles.tmdbKey                            | DERIVED: on write   |
 * | write bookkeeping      | write_probe (always empty)             | titles.version, ratings.moderationVersion | not copied (fresh)  |
 * | rate-limit counters    | - (process memory)                     | rate_limits (expire within a minute)      | not copied          |
 * | first document model   | -                                      | facts, recommendations (legacy)           | refused: upgrade    |
 *
 * Reports, resolutions and fact reviews are written through the target
 * store's own ReviewStore.putReviewRecords, which derives each fact's tally
 * from its OPEN reports and ranks it with the target's threshold (the
 * default on a new store; a server started with another one re-ranks every
 * fact); the rebuild of the aggregates then re-ranks the rated facts. A
 * fact review that keeps nothing of its own (reviewRecordOf: only rated or
 * reported) is not a record: the target makes its own. A transition a
 * crash left unfinished on a MongoDB source (pendingTransition: its change
 * and resolution are copied, its reports not closed yet) is copied as it
 * stands; any server on the source finishes it within seconds, so copy
 * from a source that has run since.
 *
 * Rating ids: MongoDB keeps any id; the embedded store's are integers. An
 * embedded id ("42") stays the same both ways; a MongoDB-native id (24 hex
 * characters) becomes a new integer in an embedded target, and the audit
 * records that name that rating (hidden comments) follow it. Ratings are
 * therefore keyed by their natural key (target, voter) in the final check.
 */
export interface StoreReader {
  /** What the messages call it: the data directory, or the URI without credentials. */
  readonly description: string;
  /** Counts of what it holds, by kind (for refusals and progress totals). */
  contents(): Promise<Contents>;
  /** Every title with its slug history, facts (page order), recommendations and TMDB snapshot. */
  titles(batchSize: number): AsyncIterable<CuratedTitle[]>;
  ratings(batchSize: number): AsyncIterable<RatingRecord[]>;
  /** The audit trail; a record may come twice (MongoDB's pending copies), ids make it one. */
  changes(batchSize: number): AsyncIterable<ChangeRecord[]>;
  /** Every report, in id order. */
  reports(batchSize: number): AsyncIterable<ReportRecord[]>;
  /** Every resolution; one may come twice (MongoDB's pending copies), ids make it one. */
  resolutions(batchSize: number): AsyncIterable<ReviewResolution[]>;
  /** Every fact's review as kept, with its stored tally (derived), in fact id order. */
  factReviews(batchSize: number): AsyncIterable<StoredReview[]>;
  /** The stored aggregates (derived). */
  aggregates(batchSize: number): AsyncIterable<AccuracyAggregate[]>;
  /** (target key, voter) of each rating id that exists. */
  ratingKeysByIds(ids: readonly string[]): Promise<Map<string, RatingKey>>;
  close(): Promise<void>;
}

export interface RatingKey {
  targetKey: string;
  voterId: string;
}

/** A fact's review as a store keeps it: the record and the derived tally. */
export interface StoredReview {
  factId: string;
  titleId: string;
  review: FactReview;
}

export interface Contents {
  titles: number;
  ratings: number;
  changes: number;
  reports: number;
  resolutions: number;
  /** Review rows or documents, those of facts only rated or reported included. */
  factReviews: number;
  aggregates: number;
  /** Anything else of the store's that makes it non-empty (e.g. legacy MongoDB collections). */
  other: number;
}

/** What a copy's target keeps to know its own partial copy (see copy.ts). */
export interface ProgressMarker {
  /** The source's identity (sourceIdentity in locations.ts). */
  source: string;
  startedAt: string;
  /** Kinds copied completely so far: a re-run skips them. */
  done: string[];
}

export interface StoreWriter extends StoreReader {
  readMarker(): Promise<ProgressMarker | null>;
  writeMarker(marker: ProgressMarker): Promise<void>;
  clearMarker(): Promise<void>;
  /** Creates the schema (collections, indexes / tables) when missing. Idempotent. */
  prepare(): Promise<void>;
  /** Upserts by id: writing a batch again changes nothing. */
  writeTitles(batch: readonly CuratedTitle[]): Promise<void>;
  /** Upserts by (target, voter). */
  writeRatings(batch: readonly RatingRecord[]): Promise<void>;
  /**
   * Upserts by id. `sourceRatingKeys` resolves a rating id of the source
   * (RATING_COMMENT records name one) for targets that renumber ratings.
   */
  writeChanges(
    batch: readonly ChangeRecord[],
    sourceRatingKeys: (ids: readonly string[]) => Promise<Map<string, RatingKey>>,
  ): Promise<void>;
  /**
   * Through the target store's ReviewStore.putReviewRecords: upserts by id
   * (fact reviews by fact id), tallies and ranks derived as the store does.
   */
  writeReviewRecords(records: ReviewRecords): Promise<void>;
  /**
   * Rebuilds every aggregate from the ratings, re-ranking the rated facts,
   * then checks them (dry run): drift must be 0.
   */
  rebuildAggregates(): Promise<{ targets: number; ratings: number; drift: number }>;
}
