/**
 * The MongoDB store (production adapter). Same semantics as the embedded SQLite
 * store; both pass the contract suites in test/contract/. A thin composition:
 * each role of the port is one file, each with the comment that explains why
 * it is exact without multi-document transactions:
 *
 * - catalog.ts: catalog reads;
 * - ratings.ts, pending-aggregates.ts, rebuild.ts: rating writes and their
 *   aggregates (pending markers, the sweep, the rebuild);
 * - curation.ts: editor writes (one atomic single-document write per title);
 * - reviews.ts: reports and the review queue, itself a composition of
 *   review-reports.ts, report-tallies.ts, review-ranks.ts, review-queue.ts,
 *   review-transitions.ts and review-records.ts (report tallies by markers as
 *   ratings, ranks re-ranked after writes);
 * - audit.ts: the change records, which travel with the change;
 * - gate.ts: the connection, readiness and maintenance every role runs through.
 */
import { MongoClient, type MongoClientOptions } from 'mongodb';
import type { RateLimiterRes } from 'rate-limiter-flexible';
import type {
  AccuracyAggregate,
  ChangeRecord,
  CuratedTitle,
  FactRecord,
  FactReview,
  MediaType,
  QueueThreshold,
  RatingRecord,
  RecommendationRecord,
  ReportRecord,
  ReviewResolution,
  TitleRecord,
  TmdbSnapshot,
} from '../../model';
import type {
  Page,
  PageRequest,
  RatingModeration,
  RatingWrite,
  RatingWriteResult,
  RebuildReport,
  ReportWrite,
  ReportWriteResult,
  ReviewQueueEntry,
  ReviewQueueQuery,
  ReviewRecords,
  ReviewTransition,
  ReviewTransitionOutcome,
  SharedRateLimitCounters,
  Store,
  TitleEdit,
  TitleEditOutcome,
  TitleListQuery,
  TitlePage,
} from '../port';
import { MongoAudit } from './audit';
import { MongoCatalog } from './catalog';
import {
  boundedServerSelectionTimeout,
  defaultWriteConcern,
  redactCredentials,
  resolveDbName,
} from './connection';
import { MongoCuration } from './curation';
import { MongoGate } from './gate';
import { silentLogger, type StoreLogger } from './log';
import { PendingAggregates } from './pending-aggregates';
import { MongoRatings } from './ratings';
import { MongoRebuild } from './rebuild';
import { MongoReviews } from './reviews';

export interface MongoStoreOptions {
  /** mongodb:// or mongodb+srv:// connection string; pool sizes and timeouts come from it. */
  uri: string;
  /** Used when the URI has no database in its path (MONGODB_DB). Default 'reelcheck'. */
  dbName?: string;
  /**
   * Wins over the URI path. For tests and tools that need another database with
   * the same connection string: rewriting the URI path instead would also
   * change the default authSource, which is the path's database.
   */
  dbNameOverride?: string;
  /** How long an operation waits for a usable server before failing (clamped to 100..60000). */
  serverSelectionTimeoutMs: number;
  logger?: StoreLogger;
  /**
   * rebuildAggregates waits this long before confirming a suspected drift, so
   * rating writes in flight (rating saved, aggregate not yet) are not mistaken
   * for drift. Default 1000.
   */
  rebuildSettleMs?: number;
  /**
   * How often each process sweeps pending aggregate markers (rating writes a
   * crash cut between the rating and its aggregate). Default 5000; 0 disables.
   */
  pendingSweepIntervalMs?: number;
  /** The sweep settles markers older than this (younger ones are left to their writer). Default 10000. */
  pendingSweepAgeMs?: number;
  /**
   * How often the store confirms its required (unique) indexes while the
   * connection stays up; it also does on every reconnection. Default 30000; 0 disables the timer.
   */
  indexCheckIntervalMs?: number;
}

export const DEFAULT_PENDING_SWEEP_INTERVAL_MS = 5_000;
export const DEFAULT_PENDING_SWEEP_AGE_MS = 10_000;
export const DEFAULT_INDEX_CHECK_INTERVAL_MS = 30_000;

/** The Store port on MongoDB: every method delegates to the role that implements it. */
export class MongoStore implements Store, SharedRateLimitCounters {
  readonly kind = 'mongo' as const;
  private readonly catalog: MongoCatalog;
  private readonly audit: MongoAudit;
  private readonly curation: MongoCuration;
  private readonly pending: PendingAggregates;
  private readonly ratingWrites: MongoRatings;
  private readonly rebuild: MongoRebuild;
  private readonly reviews: MongoReviews;

  private constructor(private readonly gate: MongoGate) {
    this.catalog = new MongoCatalog(gate);
    this.audit = new MongoAudit(gate);
    this.curation = new MongoCuration(gate, this.audit);
    this.pending = new PendingAggregates(gate);
    this.ratingWrites = new MongoRatings(gate, this.pending);
    this.rebuild = new MongoRebuild(gate, this.pending);
    this.reviews = new MongoReviews(gate, this.curation, this.audit);
    // What the review queue ranks by changes with ratings of a fact and with title edits.
    this.pending.aggregateChanged = (key) => this.reviews.aggregateChanged(key);
    this.curation.factsChanged = (factIds) => this.reviews.factsChanged(factIds);
    gate.sweep = async (olderThanMs) =>
      (await this.pending.sweepPending(olderThanMs)) +
      (await this.reviews.sweepPending(olderThanMs));
  }

  /**
   * Builds the store without any network I/O: the client connects on first use.
   * Throws only for a malformed URI or database name (message free of credentials).
   */
  static create(options: MongoStoreOptions): MongoStore {
    let client: MongoClient;
    try {
      // A serverSelectionTimeoutMS written in the URI wins: "timeouts from the URI".
      const inUri = /[?&]serverSelectionTimeoutMS=/i.test(options.uri);
      const clientOptions: MongoClientOptions = {
        // Journaled majority writes unless the URI names its own w / journal.
        ...defaultWriteConcern(options.uri),
        ...(inUri
          ? {}
          : {
              serverSelectionTimeoutMS: boundedServerSelectionTimeout(
                options.serverSelectionTimeoutMs,
              ),
            }),
      };
      client = new MongoClient(options.uri, clientOptions);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      // No `cause` on purpose: the driver's parse errors can quote the user name.
      // eslint-disable-next-line preserve-caught-error
      throw new Error(
        `Invalid MongoDB connection string: ${redactCredentials(message, options.uri)}`,
      );
    }
    const dbName = resolveDbName(options);
    return new MongoStore(
      new MongoGate(client, dbName, options.logger ?? silentLogger, {
        rebuildSettleMs: Math.max(0, options.rebuildSettleMs ?? 1000),
        sweepIntervalMs: Math.max(
          0,
          options.pendingSweepIntervalMs ?? DEFAULT_PENDING_SWEEP_INTERVAL_MS,
        ),
        sweepAgeMs: Math.max(0, options.pendingSweepAgeMs ?? DEFAULT_PENDING_SWEEP_AGE_MS),
        indexCheckIntervalMs: Math.max(
          0,
          options.indexCheckIntervalMs ?? DEFAULT_INDEX_CHECK_INTERVAL_MS,
        ),
      }),
    );
  }

  /** The database this store uses (resolved from override, URI path, dbName, default). */
  get dbName(): string {
    return this.gate.dbName;
  }

  // ---- catalog reads ---------------------------------------------------------

  titlesByIds(ids: readonly string[]): Promise<Array<TitleRecord | null>> {
    return this.catalog.titlesByIds(ids);
  }
  titlesBySlugs(slugs: readonly string[]): Promise<Array<TitleRecord | null>> {
    return this.catalog.titlesBySlugs(slugs);
  }
  titlesByTmdbIds(
    keys: ReadonlyArray<{ tmdbId: number; mediaType: MediaType }>,
  ): Promise<Array<TitleRecord | null>> {
    return this.catalog.titlesByTmdbIds(keys);
  }
  listTitles(query: TitleListQuery): Promise<TitlePage> {
    return this.catalog.listTitles(query);
  }
  factsByTitleIds(titleIds: readonly string[]): Promise<FactRecord[][]> {
    return this.catalog.factsByTitleIds(titleIds);
  }
  factsByIds(ids: readonly string[]): Promise<Array<FactRecord | null>> {
    return this.catalog.factsByIds(ids);
  }
  recommendationsByTitleIds(titleIds: readonly string[]): Promise<RecommendationRecord[][]> {
    return this.catalog.recommendationsByTitleIds(titleIds);
  }
  countTitles(): Promise<number> {
    return this.catalog.countTitles();
  }

  // ---- ratings -------------------------------------------------------------------

  aggregatesByTargets(keys: readonly string[]): Promise<AccuracyAggregate[]> {
    return this.ratingWrites.aggregatesByTargets(keys);
  }
  upsertRating(write: RatingWrite, now: Date): Promise<RatingWriteResult> {
    return this.ratingWrites.upsertRating(write, now);
  }
  ratingsByIds(ids: readonly string[]): Promise<Array<RatingRecord | null>> {
    return this.ratingWrites.ratingsByIds(ids);
  }
  ratingsOfVoter(
    voterId: string,
    targetKeys: readonly string[],
  ): Promise<Array<RatingRecord | null>> {
    return this.ratingWrites.ratingsOfVoter(voterId, targetKeys);
  }
  ratingsByTarget(key: string): Promise<RatingRecord[]> {
    return this.ratingWrites.ratingsByTarget(key);
  }
  rebuildAggregates(options: { dryRun?: boolean } = {}): Promise<RebuildReport> {
    return this.rebuild.rebuildAggregates(options);
  }
  /** See PendingAggregates.sweepPendingAggregates (tests and tools settle markers by hand). */
  sweepPendingAggregates(olderThanMs?: number): Promise<number> {
    return this.pending.sweepPendingAggregates(olderThanMs);
  }

  // ---- curation, audit, TMDB snapshots -------------------------------------------

  curatedTitlesByIds(ids: readonly string[]): Promise<Array<CuratedTitle | null>> {
    return this.curation.curatedTitlesByIds(ids);
  }
  editTitles(edits: readonly TitleEdit[]): Promise<TitleEditOutcome[]> {
    return this.curation.editTitles(edits);
  }
  moderateRating(ratingId: string, apply: RatingModeration): Promise<RatingRecord | null> {
    return this.curation.moderateRating(ratingId, apply);
  }
  commentsOf(key: string, page: PageRequest): Promise<Page<RatingRecord>> {
    return this.curation.commentsOf(key, page);
  }
  changesOfTitle(titleId: string, page: PageRequest): Promise<Page<ChangeRecord>> {
    return this.audit.changesOfTitle(titleId, page);
  }
  changesByIds(ids: readonly string[]): Promise<Array<ChangeRecord | null>> {
    return this.audit.changesByIds(ids);
  }
  saveTmdbSnapshot(titleId: string, snapshot: TmdbSnapshot): Promise<void> {
    return this.curation.saveTmdbSnapshot(titleId, snapshot);
  }

  // ---- reports and the review queue ------------------------------------------------

  useQueueThreshold(threshold: QueueThreshold): Promise<void> {
    return this.reviews.useQueueThreshold(threshold);
  }
  fileReport(write: ReportWrite, now: Date): Promise<ReportWriteResult> {
    return this.reviews.fileReport(write, now);
  }
  reviewsOfFacts(factIds: readonly string[]): Promise<FactReview[]> {
    return this.reviews.reviewsOfFacts(factIds);
  }
  openReportsOfFacts(factIds: readonly string[]): Promise<ReportRecord[][]> {
    return this.reviews.openReportsOfFacts(factIds);
  }
  reportsByIds(ids: readonly string[]): Promise<Array<ReportRecord | null>> {
    return this.reviews.reportsByIds(ids);
  }
  reviewQueue(query: ReviewQueueQuery): Promise<Page<ReviewQueueEntry>> {
    return this.reviews.reviewQueue(query);
  }
  transitionReview(
    factId: string,
    titleId: string,
    apply: ReviewTransition,
    edit?: TitleEdit,
  ): Promise<ReviewTransitionOutcome> {
    return this.reviews.transitionReview(factId, titleId, apply, edit);
  }
  allReports(): AsyncIterable<ReportRecord> {
    return this.reviews.allReports();
  }
  allResolutions(): AsyncIterable<ReviewResolution> {
    return this.reviews.allResolutions();
  }
  resolutionsByIds(ids: readonly string[]): Promise<Array<ReviewResolution | null>> {
    return this.reviews.resolutionsByIds(ids);
  }
  putReviewRecords(records: ReviewRecords): Promise<void> {
    return this.reviews.putReviewRecords(records);
  }
  /**
   * Settles what a stopped write left of reports and reviews (tally markers,
   * transitions' last steps) older than `olderThanMs` (default: the sweep's
   * age; 0: all). The maintenance sweep does it on its own; tests and tools by hand.
   */
  sweepPendingReviews(olderThanMs: number = this.gate.timing.sweepAgeMs): Promise<number> {
    return this.gate.op(() => this.reviews.sweepPending(olderThanMs));
  }

  // ---- lifecycle -----------------------------------------------------------------

  /** See MongoGate.rateLimiter: the mechanism; which limits exist is the API's policy. */
  rateLimiter(options: { keyPrefix: string; points: number; durationSeconds: number }): {
    consume(key: string): Promise<RateLimiterRes>;
  } {
    return this.gate.rateLimiter(options);
  }
  ping(): Promise<void> {
    return this.gate.ping();
  }
  close(): Promise<void> {
    return this.gate.close();
  }
}
