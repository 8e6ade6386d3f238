import type Database from 'better-sqlite3';
import {
  type AccuracyAggregate,
  closeReports,
  fileReport,
  type FactReview,
  notReviewed,
  type QueueThreshold,
  rankForReview,
  recordReport,
  type ReportRecord,
  ReportState,
  type ReviewResolution,
  tallyOf,
  targetKey,
} from '../../model';
import { newStoreId } from '../ids';
import type {
  Page,
  ReportWrite,
  ReportWriteResult,
  ReviewQueueEntry,
  ReviewQueueQuery,
  ReviewRecords,
  ReviewStore,
  ReviewTransition,
  ReviewTransitionOutcome,
  TitleEdit,
} from '../port';
import { ReviewRecordConflictError } from '../port';
import type { SqliteCuration } from './curation';
import type { SqliteGate } from './gate';
import type { GroupCommit } from './group-commit';
import type { ReviewRanks } from './review-ranks';
import { type AggregateRow, toAggregate } from './rows';
import {
  type FactReviewRow,
  reportParams,
  type ReportRow,
  resolutionParams,
  type ResolutionRow,
  toFactReview,
  toReport,
  toResolution,
} from './review-rows';

/** Records read per statement by allReports / allResolutions. */
const EXPORT_BATCH = 500;

/**
 * Reports and the review queue on SQLite. Every write is one transaction:
 * the report or transition, the fact's review and its stored rank
 * (review-ranks.ts), the resolution, the closed reports and the change
 * record, and the title edit that goes with a transition, so a reader sees
 * all of it or none of it. The queue is a keyset walk on a partial index of
 * queued facts (migration 4).
 */
export class SqliteReviews implements ReviewStore {
  private readonly sql;
  private readonly db: Database.Database;
  /** The reviewQueue statements, one per filter and cursor combination, prepared when first used. */
  private readonly queueStatements = new Map<string, Database.Statement>();

  constructor(
    private readonly gate: SqliteGate,
    private readonly ranks: ReviewRanks,
    private readonly curation: SqliteCuration,
    private readonly commits: GroupCommit,
  ) {
    this.db = gate.db;
    this.sql = reviewStatements(gate.db);
  }

  /** See ReviewRanks.useThreshold: one pass over every fact when the threshold changed. */
  async useQueueThreshold(threshold: QueueThreshold): Promise<void> {
    this.gate.write(() => this.ranks.useThreshold(threshold));
  }

  /**
   * One savepoint of the next group commit, shared with ratings
   * (group-commit.ts), so a report costs what a rating costs: the voter's OPEN
   * report (unique partial index on (fact_id, voter_id)), the model's
   * replacement or new report, the tally's exact difference and the fact's
   * new rank.
   */
  async fileReport(write: ReportWrite, now: Date): Promise<ReportWriteResult> {
    const about = { factId: write.factId, titleId: write.titleId };
    return this.commits.enqueue((): ReportWriteResult => {
      const openRow = this.sql.openReportOfVoter.get(write.factId, write.report.voterId) as
        ReportRow | undefined;
      const open = openRow ? toReport(openRow) : null;
      const { report, tallyDelta } = fileReport(
        { now, newId: newStoreId },
        open,
        about,
        write.report,
      );
      if (open) this.sql.updateReport.run(reportParams(report));
      else this.sql.insertReport.run(reportParams(report));
      const review = recordReport(this.ranks.reviewOf(write.factId) ?? notReviewed(), tallyDelta);
      this.ranks.store(about, review);
      return { report, created: open === null, review };
    });
  }

  async reviewsOfFacts(factIds: readonly string[]): Promise<FactReview[]> {
    const rows = this.gate.read(
      () => this.sql.reviewsByFactIds.all(JSON.stringify(factIds)) as FactReviewRow[],
    );
    const byId = new Map(rows.map((row) => [row.fact_id, toFactReview(row)]));
    return factIds.map((id) => byId.get(id) ?? notReviewed());
  }

  /** One walk of the reports_open_newest index per fact, in one read transaction. */
  async openReportsOfFacts(factIds: readonly string[]): Promise<ReportRecord[][]> {
    return this.gate.read(() =>
      this.db.transaction(() =>
        factIds.map((id) => (this.sql.openReportsOfFact.all(id) as ReportRow[]).map(toReport)),
      )(),
    );
  }

  async reportsByIds(ids: readonly string[]): Promise<Array<ReportRecord | null>> {
    const rows = this.gate.read(
      () => this.sql.reportsByIds.all(JSON.stringify(ids)) as ReportRow[],
    );
    const byId = new Map(rows.map((row) => [row.id, toReport(row)]));
    return ids.map((id) => byId.get(id) ?? null);
  }

  /**
   * first + 1 rows of the queue index that fits the filters, from the cursor
   * on (priority <= p, and past the cursor's fact id at p itself), then the
   * page's rating distributions in one lookup. Each entry's rank is the
   * model's, from the review and distribution as stored.
   */
  async reviewQueue(query: ReviewQueueQuery): Promise<Page<ReviewQueueEntry>> {
    const titleId = query.titleId ?? null;
    const status = query.status ?? null;
    const after = query.after ?? null;
    const statement = this.queueStatement(titleId !== null, status !== null, after !== null);
    const { rows, aggregates, threshold } = this.gate.read(() =>
      this.db.transaction(() => {
        const found = statement.all({
          title_id: titleId,
          status,
          priority: after?.priority ?? null,
          fact_id: after?.factId ?? null,
          limit: query.first + 1,
        }) as FactReviewRow[];
        const keys = found.slice(0, query.first).map((row) => factKey(row.fact_id));
        const stored = this.sql.aggregatesByKeys.all(JSON.stringify(keys)) as AggregateRow[];
        return { rows: found, aggregates: stored, threshold: this.ranks.threshold };
      })(),
    );
    const distributions = new Map(
      aggregates.map((row) => [row.target_key, toAggregate(row).distribution]),
    );
    const zeros: AccuracyAggregate['distribution'] = [0, 0, 0, 0, 0];
    return {
      items: rows.slice(0, query.first).map((row) => {
        const review = toFactReview(row);
        const distribution = distributions.get(factKey(row.fact_id)) ?? zeros;
        return {
          factId: row.fact_id,
          titleId: row.title_id,
          review,
          rank: rankForReview(review, distribution, threshold),
        };
      }),
      hasNextPage: rows.length > query.first,
    };
  }

  /**
   * One transaction: the review and distribution as stored, `apply`, the
   * title edit (editTitles' own code, SqliteCuration.applyEdits), then the
   * review with its rank, the resolution, the fact's closed reports and the
   * change record. Whatever throws rolls all of it back. The edit runs before
   * the review is ranked, so a fact it removes is ranked out of the queue.
   */
  async transitionReview(
    factId: string,
    titleId: string,
    apply: ReviewTransition,
    edit?: TitleEdit | null,
  ): Promise<ReviewTransitionOutcome> {
    const about = { factId, titleId };
    return this.gate.write(() =>
      this.db
        .transaction((): ReviewTransitionOutcome => {
          const current = this.ranks.reviewOf(factId) ?? notReviewed();
          const distribution = this.ranks.distributionOf(factId);
          const { review, resolution, change } = apply({ review: current, distribution });
          const edited = edit ? this.curation.applyEdits([edit])[0] : null;
          this.ranks.store(about, review, distribution);
          if (resolution) this.resolve(resolution);
          this.curation.storeChanges([change]);
          return { review, resolution, edit: edited };
        })
        .immediate(),
    );
  }

  /** Every report, in id order, a batch per read (for exports and copies, not requests). */
  async *allReports(): AsyncIterable<ReportRecord> {
    let after = '';
    for (;;) {
      const rows = this.gate.read(
        () => this.sql.reportsAfter.all(after, EXPORT_BATCH) as ReportRow[],
      );
      for (const row of rows) yield toReport(row);
      if (rows.length < EXPORT_BATCH) return;
      after = rows[rows.length - 1].id;
    }
  }

  /** Every resolution, in id order, a batch per read. */
  async *allResolutions(): AsyncIterable<ReviewResolution> {
    let after = '';
    for (;;) {
      const rows = this.gate.read(
        () => this.sql.resolutionsAfter.all(after, EXPORT_BATCH) as ResolutionRow[],
      );
      for (const row of rows) yield toResolution(row);
      if (rows.length < EXPORT_BATCH) return;
      after = rows[rows.length - 1].id;
    }
  }

  async resolutionsByIds(ids: readonly string[]): Promise<Array<ReviewResolution | null>> {
    const rows = this.gate.read(
      () => this.sql.resolutionsByIds.all(JSON.stringify(ids)) as ResolutionRow[],
    );
    const byId = new Map(rows.map((row) => [row.id, toResolution(row)]));
    return ids.map((id) => byId.get(id) ?? null);
  }

  /**
   * One transaction: resolutions and reports upserted by id (CLOSED reports
   * first, so one the records close frees its voter's OPEN slot for theirs),
   * then each named fact's review (the record's kept fields, or the stored
   * ones) with its tally recounted from its OPEN reports (tallyOf) and the
   * rank that gives. A refusal rolls all of it back.
   */
  async putReviewRecords(records: ReviewRecords): Promise<void> {
    this.gate.write(() =>
      this.db
        .transaction(() => {
          for (const resolution of records.resolutions) {
            this.sql.upsertResolution.run(resolutionParams(resolution));
          }
          const facts = new Map<string, string>();
          const closedFirst = [...records.reports].sort(
            (a, b) => Number(a.state === ReportState.OPEN) - Number(b.state === ReportState.OPEN),
          );
          for (const report of closedFirst) {
            this.putReport(report);
            facts.set(report.factId, report.titleId);
          }
          const kept = new Map(records.reviews.map((record) => [record.factId, record]));
          for (const record of records.reviews) facts.set(record.factId, record.titleId);
          for (const [factId, titleId] of facts) {
            const stored = kept.get(factId)?.review ?? this.ranks.reviewOf(factId) ?? notReviewed();
            const open = (this.sql.openReportsOfFact.all(factId) as ReportRow[]).map(toReport);
            this.ranks.store({ factId, titleId }, { ...stored, reports: tallyOf(open) });
          }
        })
        .immediate(),
    );
  }

  /** Upserts one report as it is, refusing one that contradicts this store (see the port). */
  private putReport(report: ReportRecord): void {
    const stored = this.sql.reportFact.get(report.id) as { fact_id: string } | undefined;
    if (stored && stored.fact_id !== report.factId) {
      throw ReviewRecordConflictError.otherFact(report, stored.fact_id);
    }
    if (report.state === ReportState.OPEN) {
      const open = this.sql.openReportOfVoter.get(report.factId, report.voterId) as
        ReportRow | undefined;
      if (open && open.id !== report.id)
        throw ReviewRecordConflictError.openConflict(report, open.id);
    }
    this.sql.upsertReport.run(reportParams(report));
  }

  /** Stores the resolution and closes the fact's OPEN reports with its id (inside a transaction). */
  private resolve(resolution: ReviewResolution): void {
    this.sql.insertResolution.run(resolutionParams(resolution));
    const open = (this.sql.openReportsOfFact.all(resolution.factId) as ReportRow[]).map(toReport);
    for (const report of closeReports(open, resolution.id, resolution.resolvedAt)) {
      this.sql.updateReport.run(reportParams(report));
    }
  }

  /**
   * The queue statement for these filters: each walks its own partial index
   * (migration 4) in (priority DESC, fact_id) order. With a cursor, the range
   * priority <= p is the index seek; the entries at p itself that the cursor
   * already passed are skipped by fact id.
   */
  private queueStatement(byTitle: boolean, byStatus: boolean, paged: boolean): Database.Statement {
    const key = `${byTitle}/${byStatus}/${paged}`;
    let statement = this.queueStatements.get(key);
    if (!statement) {
      const index = `fact_reviews_queue${byTitle ? '_title' : ''}${byStatus ? '_status' : ''}`;
      const where = [
        'queued = 1',
        ...(byTitle ? ['title_id = @title_id'] : []),
        ...(byStatus ? ['status = @status'] : []),
        ...(paged ? ['priority <= @priority', '(priority < @priority OR fact_id > @fact_id)'] : []),
      ];
      statement = this.db.prepare(
        `SELECT * FROM fact_reviews INDEXED BY ${index} WHERE ${where.join(' AND ')}
         ORDER BY priority DESC, fact_id LIMIT @limit`,
      );
      this.queueStatements.set(key, statement);
    }
    return statement;
  }
}

const factKey = (factId: string) => targetKey({ kind: 'FACT', titleId: '', factId });

/** The statements of reports, reviews and resolutions, prepared once. */
function reviewStatements(db: Database.Database) {
  const ids = 'SELECT value FROM json_each(?)';
  const reportColumns = `id, fact_id, title_id, voter_id, reason, note, source_url,
    suggested_text, created_at, updated_at, state, closed_by`;
  return {
    openReportOfVoter: db.prepare(
      "SELECT * FROM reports WHERE fact_id = ? AND voter_id = ? AND state = 'OPEN'",
    ),
    insertReport: db.prepare(
      `INSERT INTO reports (${reportColumns})
       VALUES (@id, @fact_id, @title_id, @voter_id, @reason, @note, @source_url,
               @suggested_text, @created_at, @updated_at, @state, @closed_by)`,
    ),
    updateReport: db.prepare(
      `UPDATE reports SET reason = @reason, note = @note, source_url = @source_url,
         suggested_text = @suggested_text, updated_at = @updated_at, state = @state,
         closed_by = @closed_by
       WHERE id = @id`,
    ),
    openReportsOfFact: db.prepare(
      `SELECT * FROM reports INDEXED BY reports_open_newest
       WHERE fact_id = ? AND state = 'OPEN' ORDER BY updated_at DESC, id DESC`,
    ),
    reportsByIds: db.prepare(`SELECT * FROM reports WHERE id IN (${ids})`),
    reviewsByFactIds: db.prepare(`SELECT * FROM fact_reviews WHERE fact_id IN (${ids})`),
    aggregatesByKeys: db.prepare(`SELECT * FROM aggregates WHERE target_key IN (${ids})`),
    insertResolution: db.prepare(
      `INSERT INTO review_resolutions (id, fact_id, title_id, outcome, note, resolved_at)
       VALUES (@id, @fact_id, @title_id, @outcome, @note, @resolved_at)`,
    ),
    reportFact: db.prepare('SELECT fact_id FROM reports WHERE id = ?'),
    upsertReport: db.prepare(
      `INSERT INTO reports (${reportColumns})
       VALUES (@id, @fact_id, @title_id, @voter_id, @reason, @note, @source_url,
               @suggested_text, @created_at, @updated_at, @state, @closed_by)
       ON CONFLICT (id) DO UPDATE SET title_id = excluded.title_id,
         voter_id = excluded.voter_id, reason = excluded.reason, note = excluded.note,
         source_url = excluded.source_url, suggested_text = excluded.suggested_text,
         created_at = excluded.created_at, updated_at = excluded.updated_at,
         state = excluded.state, closed_by = excluded.closed_by`,
    ),
    upsertResolution: db.prepare(
      `INSERT INTO review_resolutions (id, fact_id, title_id, outcome, note, resolved_at)
       VALUES (@id, @fact_id, @title_id, @outcome, @note, @resolved_at)
       ON CONFLICT (id) DO UPDATE SET fact_id = excluded.fact_id, title_id = excluded.title_id,
         outcome = excluded.outcome, note = excluded.note, resolved_at = excluded.resolved_at`,
    ),
    resolutionsByIds: db.prepare(`SELECT * FROM review_resolutions WHERE id IN (${ids})`),
    reportsAfter: db.prepare('SELECT * FROM reports WHERE id > ? ORDER BY id LIMIT ?'),
    resolutionsAfter: db.prepare(
      'SELECT * FROM review_resolutions WHERE id > ? ORDER BY id LIMIT ?',
    ),
  };
}
