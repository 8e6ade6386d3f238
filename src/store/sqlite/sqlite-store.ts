import fs from 'node:fs';
import path from 'node:path';
import type Database from 'better-sqlite3';
import pino from 'pino';
import type { Logger } from '../../logger';
import {
  type AccuracyAggregate,
  assertScore,
  type ChangeRecord,
  compareFactsInPageOrder,
  type CuratedTitle,
  emptyAggregate,
  type FactRecord,
  type MediaType,
  type RatingRecord,
  ratingDelta,
  type RecommendationRecord,
  sameAggregate,
  sameValue,
  SlugTakenError,
  TmdbIdentityTakenError,
  targetKey,
  type TitleRecord,
  type TmdbSnapshot,
} from '../../model';
import {
  type AggregateDrift,
  type Page,
  type PageRequest,
  type RatingModeration,
  type RatingWrite,
  type RatingWriteResult,
  type RebuildReport,
  type Store,
  StoreUnavailableError,
  type TitleEdit,
  type TitleEditOutcome,
  type TitleListQuery,
  type TitlePage,
} from '../port';
import { normalizeForSearch, TRIGRAM_LENGTH } from '../search';
import { ControlChannel, type ControlAnswer, type ControlRequest } from './control';
import { closeDatabase, openDatabase } from './database';
import { formerNedbFiles } from './data-dir';
import { isCorruption, toStoreError } from './errors';
import { DEFAULT_FAILURE_LOG_INTERVAL_MS, RepeatedFailureLog } from './failure-log';
import { REPAIR_COMMAND } from './integrity';
import { DEFAULT_MAINTENANCE_INTERVAL_MS, Maintenance } from './maintenance';
import { firstAfter, SearchResults } from './search-results';
import {
  type AggregateRow,
  aggregateParams,
  changeParams,
  type ChangeRow,
  factParams,
  type FactRow,
  type RatingRow,
  recommendationParams,
  type RecommendationRow,
  titleParams,
  type TitleRow,
  toAggregate,
  toChange,
  toFact,
  toRating,
  toRecommendation,
  toTitle,
} from './rows';

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
 * Curated writes (Store.editTitles) are one transaction per batch: each
 * edit reads its title's aggregate, the domain computes the next one and its
 * change records, and the differences and the records are written in the
 * same transaction, so an audit record exists exactly when its change does.
 */

export interface SqliteStoreOptions {
  dataDir: string;
  logger?: Pick<Logger, 'debug' | 'info' | 'warn' | 'error'>;
  /** Period of WAL checkpoint / optimize / incremental vacuum (default 5 minutes). */
  maintenanceIntervalMs?: number;
  /** A failure that keeps repeating is logged once per this period, with a count (default 1 minute). */
  failureLogIntervalMs?: number;
}

interface PendingRating {
  write: RatingWrite;
  at: number;
  resolve: (result: RatingWriteResult) => void;
  reject: (error: unknown) => void;
}

export class SqliteStore implements Store {
  readonly kind = 'sqlite' as const;
  /** Set when a write failed for lack of disk, I/O or locks; cleared by the next successful write. */
  private writeFault: StoreUnavailableError | null = null;
  private readonly maintenance: Maintenance;
  private readonly searches = new SearchResults();
  private readonly sql;
  private readonly failures: RepeatedFailureLog;
  private control: ControlChannel | null = null;
  /** Ratings waiting for the next group commit (see upsertRating). */
  private pendingRatings: PendingRating[] = [];
  /** The online backup in progress (one at a time); close() waits for it. */
  private backup: Promise<unknown> | null = null;

  private constructor(
    private readonly db: Database.Database,
    private readonly dataDir: string,
    private readonly logger: Pick<Logger, 'debug' | 'info' | 'warn' | 'error'>,
    maintenanceIntervalMs: number,
    failureLogIntervalMs: number,
  ) {
    this.sql = prepareStatements(db);
    this.failures = new RepeatedFailureLog(logger, failureLogIntervalMs);
    this.maintenance = new Maintenance(db, maintenanceIntervalMs, logger);
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
        db,
        options.dataDir,
        logger,
        options.maintenanceIntervalMs ?? DEFAULT_MAINTENANCE_INTERVAL_MS,
        options.failureLogIntervalMs ?? DEFAULT_FAILURE_LOG_INTERVAL_MS,
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
    if (!this.db.open) return { ok: false, error: 'the store is closing' };
    // SQLite's online backup on this connection, a few pages per turn of the event loop:
    // writes keep being served, and writes made meanwhile on this connection go into the copy.
    const running = this.db.backup(request.to);
    this.backup = running.catch(() => undefined);
    try {
      const { totalPages } = await running;
      this.logger.info({ to: request.to, pages: totalPages }, 'embedded store backed up online');
      return { ok: true, pages: totalPages };
    } catch (error) {
      fs.rmSync(request.to, { force: true });
      return { ok: false, error: (error as Error).message };
    } finally {
      this.backup = null;
    }
  }

  async titlesByIds(ids: readonly string[]): Promise<Array<TitleRecord | null>> {
    const rows = this.read(() => this.sql.titlesByIds.all(JSON.stringify(ids)) as TitleRow[]);
    const byId = new Map(rows.map((row) => [row.id, toTitle(row)]));
    return ids.map((id) => byId.get(id) ?? null);
  }

  /** Through the slug history: a former slug finds the title too. */
  async titlesBySlugs(slugs: readonly string[]): Promise<Array<TitleRecord | null>> {
    const rows = this.read(
      () =>
        this.sql.titlesByAnySlug.all(JSON.stringify(slugs)) as Array<
          TitleRow & { requested: string }
        >,
    );
    const bySlug = new Map(rows.map((row) => [row.requested, toTitle(row)]));
    return slugs.map((slug) => bySlug.get(slug) ?? null);
  }

  /**
   * Without a search: keyset pagination on the slug index (first + 1 rows
   * after the cursor, nothing before it read or sorted) and the maintained
   * title count. With one: the search's matching slugs (cached until the
   * catalog changes, see SearchResults) give the count and the page's slugs,
   * whose rows are then read by slug.
   */
  async listTitles(query: TitleListQuery): Promise<TitlePage> {
    const after = query.afterSlug ?? '';
    const search = query.search ? normalizeForSearch(query.search) : '';
    const { rows, totalCount } = this.read(() => {
      if (search === '') {
        const page = this.sql.page.all(after, query.first + 1) as TitleRow[];
        return { rows: page, totalCount: this.titleCount() };
      }
      const matching = this.searches.matching(search, () => this.matchingSlugs(search));
      const start = after === '' ? 0 : firstAfter(matching, after);
      const slugs = matching.slice(start, start + query.first + 1);
      const bySlug = new Map(
        (this.sql.titlesBySlugs.all(JSON.stringify(slugs)) as TitleRow[]).map((row) => [
          row.slug,
          row,
        ]),
      );
      return { rows: slugs.flatMap((slug) => bySlug.get(slug) ?? []), totalCount: matching.length };
    });
    return {
      titles: rows.slice(0, query.first).map(toTitle),
      hasNextPage: rows.length > query.first,
      totalCount,
    };
  }

  /**
   * Slugs of the titles whose normalised name contains `search`, in slug
   * order. 3+ characters: the trigram index, O(matches). Shorter: no trigram
   * to look up, so the names are scanned, O(titles).
   */
  private matchingSlugs(search: string): string[] {
    if ([...search].length >= TRIGRAM_LENGTH && !search.includes('\0')) {
      const phrase = `"${search.replaceAll('"', '""')}"`; // an FTS5 string: matched literally
      return this.sql.searchIndexed.pluck().all(phrase) as string[];
    }
    return this.sql.searchScan.pluck().all(search) as string[];
  }

  async factsByTitleIds(titleIds: readonly string[]): Promise<FactRecord[][]> {
    const rows = this.read(
      () => this.sql.factsByTitleIds.all(JSON.stringify(titleIds)) as FactRow[],
    );
    const facts = rows.map(toFact).sort(compareFactsInPageOrder);
    return bucketsFor(titleIds, facts, (fact) => fact.titleId);
  }

  async factsByIds(ids: readonly string[]): Promise<Array<FactRecord | null>> {
    const rows = this.read(() => this.sql.factsByIds.all(JSON.stringify(ids)) as FactRow[]);
    const byId = new Map(rows.map((row) => [row.id, toFact(row)]));
    return ids.map((id) => byId.get(id) ?? null);
  }

  async recommendationsByTitleIds(titleIds: readonly string[]): Promise<RecommendationRecord[][]> {
    const rows = this.read(
      () => this.sql.recommendationsByTitleIds.all(JSON.stringify(titleIds)) as RecommendationRow[],
    );
    return bucketsFor(titleIds, rows.map(toRecommendation), (rec) => rec.titleId);
  }

  async aggregatesByTargets(keys: readonly string[]): Promise<AccuracyAggregate[]> {
    const rows = this.read(
      () => this.sql.aggregatesByKeys.all(JSON.stringify(keys)) as AggregateRow[],
    );
    const byKey = new Map(rows.map((row) => [row.target_key, toAggregate(row)]));
    return keys.map((key) => byKey.get(key) ?? emptyAggregate(key));
  }

  /**
   * One transaction: the voter's previous score (unique (target_key,
   * voter_id) index), the rating upsert and the aggregate's delta. The score
   * is validated before anything is written; a failure rolls everything back.
   */
  /**
   * Group commit: ratings that arrive in the same turn of the event loop
   * (under load: every request parsed while the previous commit synced) are
   * written in one transaction, each in its own savepoint, and answered once
   * that transaction is committed and synced. With `synchronous = FULL` a
   * commit costs a disk sync; one sync per batch instead of one per rating
   * keeps throughput under concurrency. A rating that fails alone (its
   * savepoint is rolled back) fails alone; a failed commit fails the batch,
   * and nothing of it was written.
   */
  async upsertRating(write: RatingWrite, now: Date): Promise<RatingWriteResult> {
    assertScore(write.score);
    return new Promise((resolve, reject) => {
      this.pendingRatings.push({ write, at: now.getTime(), resolve, reject });
      if (this.pendingRatings.length === 1) setImmediate(() => this.commitRatings());
    });
  }

  private commitRatings(): void {
    const batch = this.pendingRatings;
    this.pendingRatings = [];
    if (batch.length === 0) return;
    const outcomes: Array<{ value: RatingWriteResult } | { error: unknown }> = [];
    try {
      this.db
        .transaction(() => {
          for (const job of batch) {
            try {
              outcomes.push({ value: this.db.transaction(() => this.writeRating(job))() });
            } catch (error) {
              // Some errors (a full disk, I/O) make SQLite roll back the whole transaction.
              if (!this.db.inTransaction) throw error;
              outcomes.push({ error });
            }
          }
        })
        .immediate();
    } catch (error) {
      // Each refused rating is its own failure (logged, and counted by the logger, per rating).
      for (const job of batch) {
        const failure = this.failure(error);
        if (failure instanceof StoreUnavailableError) this.writeFault = failure;
        job.reject(failure);
      }
      return;
    }
    let faulted = false;
    for (const [i, job] of batch.entries()) {
      const outcome = outcomes[i];
      if ('value' in outcome) job.resolve(outcome.value);
      else {
        const failure = this.failure(outcome.error);
        if (failure instanceof StoreUnavailableError) {
          this.writeFault = failure;
          faulted = true;
        }
        job.reject(failure);
      }
    }
    if (!faulted && outcomes.some((outcome) => 'value' in outcome)) this.recovered();
  }

  /** One rating, inside commitRatings' transaction. */
  private writeRating({ write, at }: PendingRating): RatingWriteResult {
    const key = targetKey(write.target);
    const previous = this.sql.previousRating.get(key, write.voterId) as
      { id: number; score: number } | undefined;
    const row = (
      previous
        ? this.sql.updateRating.get(write.score, write.comment, at, previous.id)
        : this.sql.insertRating.get({
            target_key: key,
            title_id: write.target.titleId,
            fact_id: write.target.kind === 'FACT' ? write.target.factId : null,
            voter_id: write.voterId,
            score: write.score,
            comment: write.comment,
            at,
          })
    ) as RatingRow;
    const delta = ratingDelta(previous?.score ?? null, write.score);
    const aggregate = this.sql.addToAggregate.get(
      aggregateParams({ targetKey: key, ...delta }),
    ) as AggregateRow;
    return { rating: toRating(row), aggregate: toAggregate(aggregate), created: !previous };
  }

  async ratingsByTarget(key: string): Promise<RatingRecord[]> {
    return this.read(() => this.sql.ratingsByTarget.all(key) as RatingRow[]).map(toRating);
  }

  /** Rating ids are the table's integer keys; any other id names no rating. */
  async ratingsByIds(ids: readonly string[]): Promise<Array<RatingRecord | null>> {
    const keys = ids.filter((id) => /^[1-9]\d{0,15}$/.test(id)).map(Number);
    const rows = this.read(() => this.sql.ratingsByIds.all(JSON.stringify(keys)) as RatingRow[]);
    const byId = new Map(rows.map((row) => [String(row.id), toRating(row)]));
    return ids.map((id) => byId.get(id) ?? null);
  }

  /** One lookup per target on the unique (target_key, voter_id) index. */
  async ratingsOfVoter(
    voterId: string,
    keys: readonly string[],
  ): Promise<Array<RatingRecord | null>> {
    const rows = this.read(
      () => this.sql.ratingsOfVoter.all(voterId, JSON.stringify(keys)) as RatingRow[],
    );
    const byKey = new Map(rows.map((row) => [row.target_key, toRating(row)]));
    return keys.map((key) => byKey.get(key) ?? null);
  }

  /** TMDB numbers films and series apart: the media type is part of the identity. */
  async titlesByTmdbIds(
    keys: ReadonlyArray<{ tmdbId: number; mediaType: MediaType }>,
  ): Promise<Array<TitleRecord | null>> {
    const rows = this.read(
      () => this.sql.titlesByTmdbIds.all(JSON.stringify(keys.map((k) => k.tmdbId))) as TitleRow[],
    );
    const byKey = new Map(rows.map((row) => [`${row.media_type}:${row.tmdb_id}`, toTitle(row)]));
    return keys.map((k) => byKey.get(`${k.mediaType}:${k.tmdbId}`) ?? null);
  }

  /**
   * Recomputes every aggregate with one GROUP BY over the ratings and compares
   * it with the stored ones, in one transaction (nothing interleaves with it:
   * a rating written "meanwhile" lands before or after, whole). O(ratings):
   * for scripts, not request paths.
   */
  async rebuildAggregates(options: { dryRun?: boolean } = {}): Promise<RebuildReport> {
    const rebuild = () => {
      const actual = new Map(
        (this.sql.actualAggregates.all() as AggregateRow[]).map((row) => [
          row.target_key,
          toAggregate(row),
        ]),
      );
      const stored = new Map(
        (this.sql.allAggregates.all() as AggregateRow[]).map((row) => [
          row.target_key,
          toAggregate(row),
        ]),
      );
      const drift: AggregateDrift[] = [];
      for (const key of new Set([...actual.keys(), ...stored.keys()])) {
        const a = actual.get(key) ?? emptyAggregate(key);
        const s = stored.get(key) ?? emptyAggregate(key);
        if (!sameAggregate(a, s)) drift.push({ targetKey: key, stored: s, actual: a });
      }
      if (!options.dryRun) {
        for (const { targetKey: key, actual: a } of drift) {
          if (a.count === 0) this.sql.deleteAggregate.run(key);
          else this.sql.replaceAggregate.run(aggregateParams(a));
        }
      }
      const ratings = [...actual.values()].reduce((n, a) => n + a.count, 0);
      return { targets: actual.size, ratings, drift };
    };
    return options.dryRun
      ? this.read(() => this.db.transaction(rebuild).deferred())
      : this.write(() => this.db.transaction(rebuild).immediate());
  }

  async saveTmdbSnapshot(titleId: string, snapshot: TmdbSnapshot): Promise<void> {
    this.write(() =>
      this.sql.saveSnapshot.run(
        snapshot.voteAverage,
        snapshot.voteCount,
        new Date(snapshot.fetchedAt).getTime(),
        titleId,
      ),
    );
  }

  async curatedTitlesByIds(ids: readonly string[]): Promise<Array<CuratedTitle | null>> {
    return this.read(() => this.db.transaction(() => ids.map((id) => this.loadCurated(id)))());
  }

  /**
   * The whole batch is one transaction: each edit reads its title inside it
   * (seeing the batch's earlier writes), and an edit that throws, a slug that
   * belongs to another title or a failed statement rolls everything back.
   * Change records are rows of the same transaction.
   */
  async editTitles(edits: readonly TitleEdit[]): Promise<TitleEditOutcome[]> {
    return this.write(() =>
      this.db
        .transaction(() =>
          edits.map((edit): TitleEditOutcome => {
            const current = this.loadCurated(edit.titleId);
            const result = edit.apply(current);
            if (!result) return { title: current, changes: [] };
            this.storeCurated(current, result.next);
            for (const change of result.changes) this.sql.insertChange.run(changeParams(change));
            return { title: result.next, changes: result.changes };
          }),
        )
        .immediate(),
    );
  }

  /** One transaction: the rating's moderation and its change record. */
  async moderateRating(ratingId: string, apply: RatingModeration): Promise<RatingRecord | null> {
    if (!/^[1-9]\d{0,15}$/.test(ratingId)) return null;
    return this.write(() =>
      this.db
        .transaction(() => {
          const row = this.sql.ratingById.get(Number(ratingId)) as RatingRow | undefined;
          if (!row) return null;
          const current = toRating(row);
          const result = apply(current);
          if (!result) return current;
          this.sql.hideComment.run(result.hidden.reason, result.hidden.at.getTime(), row.id);
          this.sql.insertChange.run(changeParams(result.change));
          return { ...current, hidden: result.hidden };
        })
        .immediate(),
    );
  }

  /** Walks the partial index ratings_visible_comments from the cursor: first + 1 rows. */
  async commentsOf(key: string, page: PageRequest): Promise<Page<RatingRecord>> {
    const after = page.after;
    const rows = this.read(() =>
      after
        ? (this.sql.commentsAfter.all({
            key,
            at: after.at.getTime(),
            id: Number(after.id),
            limit: page.first + 1,
          }) as RatingRow[])
        : (this.sql.comments.all(key, page.first + 1) as RatingRow[]),
    );
    return pageOf(rows, page.first, toRating);
  }

  /** Walks the changes_title index from the cursor: first + 1 rows. */
  async changesOfTitle(titleId: string, page: PageRequest): Promise<Page<ChangeRecord>> {
    const after = page.after;
    const rows = this.read(() =>
      after
        ? (this.sql.changesAfter.all({
            key: titleId,
            at: after.at.getTime(),
            id: after.id,
            limit: page.first + 1,
          }) as ChangeRow[])
        : (this.sql.changes.all(titleId, page.first + 1) as ChangeRow[]),
    );
    return pageOf(rows, page.first, toChange);
  }

  async changesByIds(ids: readonly string[]): Promise<Array<ChangeRecord | null>> {
    const rows = this.read(() => this.sql.changesByIds.all(JSON.stringify(ids)) as ChangeRow[]);
    const byId = new Map(rows.map((row) => [row.id, toChange(row)]));
    return ids.map((id) => byId.get(id) ?? null);
  }

  /** A title's aggregate as stored now; null when there is no such title. */
  private loadCurated(id: string): CuratedTitle | null {
    const row = this.sql.titleById.get(id) as TitleRow | undefined;
    if (!row) return null;
    const title = toTitle(row);
    const slugs = this.sql.slugsOfTitle.pluck().all(id) as string[];
    return {
      title,
      formerSlugs: slugs.filter((slug) => slug !== title.slug),
      facts: (this.sql.factsOfTitle.all(id) as FactRow[]).map(toFact).sort(compareFactsInPageOrder),
      recommendations: (this.sql.recommendationsOfTitle.all(id) as RecommendationRow[]).map(
        toRecommendation,
      ),
    };
  }

  /**
   * Writes what differs between `current` and `next` (inside editTitles'
   * transaction): the title row, its slugs, its facts, its recommendations.
   * Facts and recommendations are rewritten whole when they differ, which
   * keeps the (title, category, position) key valid at every statement.
   */
  private storeCurated(current: CuratedTitle | null, next: CuratedTitle): void {
    const { title } = next;
    for (const slug of [title.slug, ...next.formerSlugs]) {
      const owner = this.sql.slugOwner.pluck().get(slug) as string | undefined;
      if (owner !== undefined && owner !== title.id) throw new SlugTakenError(slug);
      if (owner === undefined) this.sql.insertSlug.run(slug, title.id);
    }
    if (title.tmdbId !== null) {
      const holder = this.sql.titleByTmdbIdentity.get(title.tmdbId, title.mediaType) as
        { id: string; slug: string } | undefined;
      if (holder && holder.id !== title.id) {
        throw new TmdbIdentityTakenError(title.tmdbId, title.mediaType, holder);
      }
    }
    if (!current) {
      this.sql.insertTitle.run(titleParams(title));
      this.searches.clear();
    } else if (!sameValue(current.title, title)) {
      this.sql.updateTitle.run(titleParams(title));
      if (current.title.name !== title.name) this.searches.clear();
    }
    if (!sameValue(current?.facts ?? [], next.facts)) {
      this.sql.deleteFactsOfTitle.run(title.id);
      for (const fact of next.facts) this.sql.insertFact.run(factParams(fact));
    }
    if (!sameValue(current?.recommendations ?? [], next.recommendations)) {
      this.sql.deleteRecommendationsOfTitle.run(title.id);
      for (const rec of next.recommendations) {
        this.sql.insertRecommendation.run(recommendationParams(rec));
      }
    }
  }

  async countTitles(): Promise<number> {
    return this.read(() => this.titleCount());
  }

  /**
   * Readiness: the file answers a read, and if a write has failed since the
   * last one that succeeded, a probe write (a two-page blob, inserted and
   * deleted in one committed transaction: it needs room in the file and in
   * the WAL, like a rating) succeeds. So /readyz is 503 while writes fail and
   * recovers by itself, without waiting for traffic, when they work again.
   */
  async ping(): Promise<void> {
    this.read(() => this.sql.ping.get());
    if (this.writeFault) {
      this.write(() =>
        this.db.transaction(() => {
          this.sql.insertProbe.run(2 * (this.db.pragma('page_size', { simple: true }) as number));
          this.sql.clearProbe.run();
        })(),
      );
    }
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
    if (this.db.open) this.commitRatings();
    closeDatabase(this.db, this.dataDir);
  }

  private titleCount(): number {
    return (this.sql.titleCount.get() as { count: number }).count;
  }

  private read<T>(work: () => T): T {
    try {
      return work();
    } catch (error) {
      throw this.failure(error);
    }
  }

  /** Runs a write; tracks whether writes currently fail (see ping). */
  private write<T>(work: () => T): T {
    try {
      const result = work();
      this.recovered();
      return result;
    } catch (error) {
      const failure = this.failure(error);
      if (failure instanceof StoreUnavailableError) this.writeFault = failure;
      throw failure;
    }
  }

  /** A write succeeded: writes work again (readiness, and the count of the failures logged). */
  private recovered(): void {
    if (!this.writeFault) return;
    this.writeFault = null;
    this.failures.recovered();
  }

  private failure(error: unknown): unknown {
    const mapped = toStoreError(error);
    if (mapped instanceof StoreUnavailableError) {
      // Once in full, then counted (failure-log.ts): not a stack per refused write.
      this.failures.failed(
        (error as { code?: string }).code ?? 'unknown',
        error,
        { repair: isCorruption(error) ? REPAIR_COMMAND : undefined },
        'embedded store operation failed; nothing was written',
      );
    }
    return mapped;
  }
}

/** A keyset page from the first + 1 rows read: the extra one only says a next page exists. */
function pageOf<R, T>(rows: R[], first: number, map: (row: R) => T): Page<T> {
  return { items: rows.slice(0, first).map(map), hasNextPage: rows.length > first };
}

/** Each key's items, in key order (repeated keys share one list): the shape batch reads answer in. */
function bucketsFor<T>(keys: readonly string[], items: T[], keyOf: (item: T) => string): T[][] {
  const buckets = new Map<string, T[]>(keys.map((key) => [key, []]));
  for (const item of items) buckets.get(keyOf(item))?.push(item);
  return keys.map((key) => buckets.get(key)!);
}

/** Every statement the store runs, prepared once. */
function prepareStatements(db: Database.Database) {
  const ids = 'SELECT value FROM json_each(?)';
  return {
    ping: db.prepare('SELECT 1'),
    titlesByIds: db.prepare(`SELECT * FROM titles WHERE id IN (${ids})`),
    titlesBySlugs: db.prepare(`SELECT * FROM titles WHERE slug IN (${ids})`),
    titleCount: db.prepare('SELECT count FROM title_stats WHERE id = 1'),
    page: db.prepare('SELECT * FROM titles WHERE slug > ? ORDER BY slug LIMIT ?'),
    // CROSS JOIN keeps the trigram index as the outer loop: matches first, then their rows.
    searchIndexed: db.prepare(
      `SELECT titles.slug FROM titles_fts CROSS JOIN titles ON titles.pk = titles_fts.rowid
       WHERE titles_fts MATCH ? ORDER BY titles.slug`,
    ),
    // A sequential scan and a sort of the matches beats walking the slug index with a row lookup per title.
    searchScan: db.prepare(
      'SELECT slug FROM titles NOT INDEXED WHERE instr(name_norm, ?) > 0 ORDER BY slug',
    ),
    factsByTitleIds: db.prepare(`SELECT * FROM facts WHERE title_id IN (${ids})`),
    factsByIds: db.prepare(`SELECT * FROM facts WHERE id IN (${ids})`),
    recommendationsByTitleIds: db.prepare(
      `SELECT * FROM recommendations WHERE title_id IN (${ids}) ORDER BY title_id, position`,
    ),
    aggregatesByKeys: db.prepare(`SELECT * FROM aggregates WHERE target_key IN (${ids})`),
    previousRating: db.prepare(
      'SELECT id, score FROM ratings WHERE target_key = ? AND voter_id = ?',
    ),
    insertRating: db.prepare(
      `INSERT INTO ratings (target_key, title_id, fact_id, voter_id, score, comment, created_at, updated_at)
       VALUES (@target_key, @title_id, @fact_id, @voter_id, @score, @comment, @at, @at) RETURNING *`,
    ),
    updateRating: db.prepare(
      'UPDATE ratings SET score = ?, comment = ?, updated_at = ? WHERE id = ? RETURNING *',
    ),
    addToAggregate: db.prepare(
      `INSERT INTO aggregates (target_key, count, sum, d1, d2, d3, d4, d5)
       VALUES (@target_key, @count, @sum, @d1, @d2, @d3, @d4, @d5)
       ON CONFLICT (target_key) DO UPDATE SET
         count = count + excluded.count, sum = sum + excluded.sum,
         d1 = d1 + excluded.d1, d2 = d2 + excluded.d2, d3 = d3 + excluded.d3,
         d4 = d4 + excluded.d4, d5 = d5 + excluded.d5
       RETURNING *`,
    ),
    ratingsByTarget: db.prepare(
      'SELECT * FROM ratings WHERE target_key = ? ORDER BY created_at, id',
    ),
    actualAggregates: db.prepare(
      `SELECT target_key, count(*) AS count, sum(score) AS sum, sum(score = 1) AS d1,
              sum(score = 2) AS d2, sum(score = 3) AS d3, sum(score = 4) AS d4, sum(score = 5) AS d5
       FROM ratings GROUP BY target_key`,
    ),
    allAggregates: db.prepare('SELECT * FROM aggregates'),
    replaceAggregate: db.prepare(
      `INSERT OR REPLACE INTO aggregates (target_key, count, sum, d1, d2, d3, d4, d5)
       VALUES (@target_key, @count, @sum, @d1, @d2, @d3, @d4, @d5)`,
    ),
    deleteAggregate: db.prepare('DELETE FROM aggregates WHERE target_key = ?'),
    saveSnapshot: db.prepare(
      `UPDATE titles SET tmdb_vote_average = ?, tmdb_vote_count = ?, tmdb_fetched_at = ?
       WHERE id = ?`,
    ),
    titleById: db.prepare('SELECT * FROM titles WHERE id = ?'),
    titlesByAnySlug: db.prepare(
      `SELECT titles.*, title_slugs.slug AS requested FROM title_slugs
       JOIN titles ON titles.id = title_slugs.title_id
       WHERE title_slugs.slug IN (${ids})`,
    ),
    slugsOfTitle: db.prepare('SELECT slug FROM title_slugs WHERE title_id = ? ORDER BY slug'),
    slugOwner: db.prepare('SELECT title_id FROM title_slugs WHERE slug = ?'),
    insertSlug: db.prepare('INSERT INTO title_slugs (slug, title_id) VALUES (?, ?)'),
    insertTitle: db.prepare(
      `INSERT INTO titles (id, slug, name, name_norm, media_type, year, tagline, overview, tmdb_id,
                           tmdb_vote_average, tmdb_vote_count, tmdb_fetched_at, verdict_blurb,
                           original_name, genres, poster_path, revision, updated_at)
       VALUES (@id, @slug, @name, @name_norm, @media_type, @year, @tagline, @overview, @tmdb_id,
               @tmdb_vote_average, @tmdb_vote_count, @tmdb_fetched_at, @verdict_blurb,
               @original_name, @genres, @poster_path, @revision, @updated_at)`,
    ),
    updateTitle: db.prepare(
      `UPDATE titles SET slug = @slug, name = @name, name_norm = @name_norm,
         media_type = @media_type, year = @year, tagline = @tagline, overview = @overview,
         tmdb_id = @tmdb_id, tmdb_vote_average = @tmdb_vote_average,
         tmdb_vote_count = @tmdb_vote_count, tmdb_fetched_at = @tmdb_fetched_at,
         verdict_blurb = @verdict_blurb, original_name = @original_name, genres = @genres,
         poster_path = @poster_path, revision = @revision, updated_at = @updated_at
       WHERE id = @id`,
    ),
    factsOfTitle: db.prepare('SELECT * FROM facts WHERE title_id = ?'),
    deleteFactsOfTitle: db.prepare('DELETE FROM facts WHERE title_id = ?'),
    insertFact: db.prepare(
      `INSERT INTO facts (id, title_id, category, position, text, revision, updated_at,
                          verification_status, verification_note, verification_sources,
                          verification_updated_at)
       VALUES (@id, @title_id, @category, @position, @text, @revision, @updated_at,
               @verification_status, @verification_note, @verification_sources,
               @verification_updated_at)`,
    ),
    recommendationsOfTitle: db.prepare(
      'SELECT * FROM recommendations WHERE title_id = ? ORDER BY position',
    ),
    deleteRecommendationsOfTitle: db.prepare('DELETE FROM recommendations WHERE title_id = ?'),
    insertRecommendation: db.prepare(
      `INSERT INTO recommendations (title_id, position, recommended_title_id, label, reason)
       VALUES (@title_id, @position, @recommended_title_id, @label, @reason)`,
    ),
    ratingById: db.prepare('SELECT * FROM ratings WHERE id = ?'),
    hideComment: db.prepare('UPDATE ratings SET hidden_reason = ?, hidden_at = ? WHERE id = ?'),
    comments: db.prepare(
      `SELECT * FROM ratings INDEXED BY ratings_visible_comments
       WHERE target_key = ? AND comment IS NOT NULL AND hidden_at IS NULL
       ORDER BY updated_at DESC, id DESC LIMIT ?`,
    ),
    commentsAfter: db.prepare(
      `SELECT * FROM ratings INDEXED BY ratings_visible_comments
       WHERE target_key = @key AND comment IS NOT NULL AND hidden_at IS NULL
         AND (updated_at < @at OR (updated_at = @at AND id < @id))
       ORDER BY updated_at DESC, id DESC LIMIT @limit`,
    ),
    insertChange: db.prepare(
      `INSERT INTO changes (id, title_id, at, operation, entity_type, entity_id, revision, fields)
       VALUES (@id, @title_id, @at, @operation, @entity_type, @entity_id, @revision, @fields)`,
    ),
    changes: db.prepare(
      'SELECT * FROM changes WHERE title_id = ? ORDER BY at DESC, id DESC LIMIT ?',
    ),
    changesAfter: db.prepare(
      `SELECT * FROM changes WHERE title_id = @key AND (at < @at OR (at = @at AND id < @id))
       ORDER BY at DESC, id DESC LIMIT @limit`,
    ),
    changesByIds: db.prepare(`SELECT * FROM changes WHERE id IN (${ids})`),
    insertProbe: db.prepare('INSERT INTO write_probe (pad) VALUES (zeroblob(?))'),
    clearProbe: db.prepare('DELETE FROM write_probe'),
    ratingsByIds: db.prepare(`SELECT * FROM ratings WHERE id IN (${ids})`),
    ratingsOfVoter: db.prepare(
      `SELECT * FROM ratings WHERE voter_id = ? AND target_key IN (${ids})`,
    ),
    titlesByTmdbIds: db.prepare(`SELECT * FROM titles WHERE tmdb_id IN (${ids})`),
    titleByTmdbIdentity: db.prepare(
      'SELECT id, slug FROM titles WHERE tmdb_id = ? AND media_type = ?',
    ),
  };
}
