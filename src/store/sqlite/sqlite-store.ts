import fs from 'node:fs';
import path from 'node:path';
import pino from 'pino';
import type { Logger } from '../../logger';
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
  Store,
  TitleEdit,
  TitleEditOutcome,
  TitleListQuery,
  TitlePage,
} from '../port';
import { SqliteAudit } from './audit';
import { SqliteCatalog } from './catalog';
import { ControlChannel, type ControlAnswer, type ControlRequest } from './control';
import { SqliteCuration } from './curation';
import { closeDatabase, openDatabase } from './database';
import { formerNedbFiles } from './data-dir';
import { DEFAULT_FAILURE_LOG_INTERVAL_MS } from './failure-log';
import { SqliteGate } from './gate';
import { GroupCommit } from './group-commit';
import { DEFAULT_MAINTENANCE_INTERVAL_MS, Maintenance } from './maintenance';
import { SqliteRatings } from './ratings';
import { ReviewRanks } from './review-ranks';
import { SqliteReviews } from './reviews';

/**
 * The embedded store: one SQLite file under DATA_DIR (better-sqlite3, WAL).
 * See database.ts for ownership, durability and corruption handling.
 *
 * better-sqlite3 is synchronous and this process is the file's only user, so
 * every method runs its statements to completion without interleaving: a
 * rating write (read the voter's previous score, upsert the rating, add the
 * exact delta to the aggregate) is one transaction, exact under any
 * concurrency by construction. Every statement on a request path is an index
 * lookup or a bounded index walk; the one O(matches) or O(titles) step, finding
 * a search's matches, runs once per search until the catalog changes (see
 * listTitles).
 *
 * A thin composition: each role of the port is one file (catalog.ts,
 * ratings.ts, curation.ts, reviews.ts, audit.ts), all on one connection
 * (gate.ts), with the review ranks that ratings, curation and reviews keep
 * (review-ranks.ts); this file owns the file's lifecycle (open, online
 * backup, close).
 */

export interface SqliteStoreOptions {
  dataDir: string;
  logger?: Pick<Logger, 'debug' | 'info' | 'warn' | 'error'>;
  /** Period of WAL checkpoint / optimize / incremental vacuum (default 5 minutes). */
  maintenanceIntervalMs?: number;
  /** A failure that keeps repeating is logged once per this period, with a count (default 1 minute). */
  failureLogIntervalMs?: number;
}

/** The Store port on SQLite: every method delegates to the role that implements it. */
export class SqliteStore implements Store {
  readonly kind = 'sqlite' as const;
  private readonly maintenance: Maintenance;
  private readonly catalog: SqliteCatalog;
  /** The viewers' writes (ratings, reports), committed in groups (group-commit.ts). */
  private readonly commits: GroupCommit;
  private readonly ratings: SqliteRatings;
  private readonly curation: SqliteCuration;
  private readonly reviews: SqliteReviews;
  private readonly audit: SqliteAudit;
  private control: ControlChannel | null = null;
  /** The online backup in progress (one at a time); close() waits for it. */
  private backup: Promise<unknown> | null = null;

  private constructor(
    private readonly gate: SqliteGate,
    private readonly dataDir: string,
    maintenanceIntervalMs: number,
  ) {
    this.commits = new GroupCommit(gate);
    const ranks = new ReviewRanks(gate);
    this.catalog = new SqliteCatalog(gate);
    this.ratings = new SqliteRatings(gate, ranks, this.commits);
    this.curation = new SqliteCuration(gate, ranks);
    this.reviews = new SqliteReviews(gate, ranks, this.curation, this.commits);
    this.audit = new SqliteAudit(gate);
    this.maintenance = new Maintenance(gate.db, maintenanceIntervalMs, gate.logger);
    this.maintenance.start();
  }

  /** Opens (creating, checking, migrating) DATA_DIR's store file; see openDatabase. */
  static async open(options: SqliteStoreOptions): Promise<SqliteStore> {
    const logger = options.logger ?? pino({ enabled: false });
    const db = openDatabase(options.dataDir, ({ backup, report }) =>
      logger.warn(
        { backup, report },
        'the embedded store had damaged derived data (indexes, aggregates or search index); ' +
          'rebuilt it from the intact base tables, nothing lost; the original file is kept as the backup',
      ),
    );
    const former = formerNedbFiles(options.dataDir);
    if (former.length > 0) {
      logger.warn(
        { dataDir: options.dataDir, files: former },
        'DATA_DIR holds data files of the former nedb embedded store; they are not read ' +
          '(the embedded store is now reelcheck.sqlite): move them away once their data is not needed',
      );
    }
    let store: SqliteStore;
    try {
      store = new SqliteStore(
        new SqliteGate(db, logger, options.failureLogIntervalMs ?? DEFAULT_FAILURE_LOG_INTERVAL_MS),
        options.dataDir,
        options.maintenanceIntervalMs ?? DEFAULT_MAINTENANCE_INTERVAL_MS,
      );
    } catch (error) {
      closeDatabase(db, options.dataDir);
      throw error;
    }
    // The control channel (control.ts): `npm run store:backup` asks this process for an online backup.
    let control: Awaited<ReturnType<typeof ControlChannel.open>>;
    try {
      control = await ControlChannel.open(options.dataDir, (request) => store.onControl(request));
    } catch (error) {
      await store.close();
      throw error;
    }
    if (control instanceof ControlChannel) store.control = control;
    else {
      logger.warn(
        { dataDir: options.dataDir, reason: control.failed },
        'the embedded store has no control channel: `npm run store:backup` cannot back it up while this process runs',
      );
    }
    return store;
  }

  /** A request on the control channel: the online backup of this store into a new file. */
  private async onControl(request: ControlRequest): Promise<ControlAnswer> {
    if (request.op === 'ping') return { ok: true, pid: process.pid };
    if (request.op !== 'backup') return { ok: false, error: 'unknown request' };
    if (typeof request.to !== 'string' || !path.isAbsolute(request.to)) {
      return { ok: false, error: 'the backup destination must be an absolute path' };
    }
    if (fs.existsSync(request.to)) return { ok: false, error: `${request.to} already exists` };
    if (this.backup) return { ok: false, error: 'a backup is already running' };
    if (!this.gate.db.open) return { ok: false, error: 'the store is closing' };
    // SQLite's online backup on this connection, a few pages per turn of the event loop:
    // writes keep being served, and writes made meanwhile on this connection go into the copy.
    const running = this.gate.db.backup(request.to);
    this.backup = running.catch(() => undefined);
    try {
      const { totalPages } = await running;
      this.gate.logger.info(
        { to: request.to, pages: totalPages },
        'embedded store backed up online',
      );
      return { ok: true, pages: totalPages };
    } catch (error) {
      fs.rmSync(request.to, { force: true });
      return { ok: false, error: (error as Error).message };
    } finally {
      this.backup = null;
    }
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
    return this.ratings.aggregatesByTargets(keys);
  }
  upsertRating(write: RatingWrite, now: Date): Promise<RatingWriteResult> {
    return this.ratings.upsertRating(write, now);
  }
  ratingsByIds(ids: readonly string[]): Promise<Array<RatingRecord | null>> {
    return this.ratings.ratingsByIds(ids);
  }
  ratingsOfVoter(voterId: string, keys: readonly string[]): Promise<Array<RatingRecord | null>> {
    return this.ratings.ratingsOfVoter(voterId, keys);
  }
  ratingsByTarget(key: string): Promise<RatingRecord[]> {
    return this.ratings.ratingsByTarget(key);
  }
  rebuildAggregates(options: { dryRun?: boolean } = {}): Promise<RebuildReport> {
    return this.ratings.rebuildAggregates(options);
  }

  // ---- reports and the review queue ---------------------------------------------

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
    edit?: TitleEdit | null,
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

  // ---- lifecycle -----------------------------------------------------------------

  /** See SqliteGate.ping: the file answers, and writes work again after a failed one. */
  ping(): Promise<void> {
    return this.gate.ping();
  }

  /**
   * Stops maintenance and the control channel, lets a running backup finish,
   * then closes the file cleanly (closeDatabase: the WAL is checkpointed into
   * the file and removed, the marker says 'closed'). Idempotent.
   */
  async close(): Promise<void> {
    this.maintenance.stop();
    const control = this.control;
    this.control = null;
    await control?.close();
    await this.backup;
    if (this.gate.db.open) this.commits.flush();
    closeDatabase(this.gate.db, this.dataDir);
  }
}
