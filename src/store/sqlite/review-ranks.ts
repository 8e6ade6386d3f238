import type Database from 'better-sqlite3';
import {
  type AccuracyAggregate,
  DEFAULT_QUEUE_THRESHOLD,
  type FactReview,
  notReviewed,
  type QueueRank,
  type QueueThreshold,
  rankForReview,
  targetKey,
} from '../../model';
import type { SqliteGate } from './gate';
import { factReviewParams, type FactReviewRow, toFactReview } from './review-rows';

type Distribution = AccuracyAggregate['distribution'];

/** Rows re-ranked per statement when every fact is re-ranked (bounded memory). */
const RANK_ALL_BATCH = 500;

/**
 * Each fact's review row and its stored rank (`queued`, `priority`: model
 * rankForReview of the review, the fact's rating distribution and the queue
 * threshold), kept right by every write that changes an input, inside that
 * write's transaction: a report and an editor's transition (reviews.ts), a
 * rating of the fact (ratings.ts), a title edit removing or adding the fact
 * (curation.ts), a change of the threshold. So the queue is an index walk.
 *
 * A fact that is not in the catalog is never queued: the rank of a removed
 * fact stays 0 whatever later writes or thresholds say.
 *
 * Every method but useThreshold runs inside the caller's transaction.
 */
export class ReviewRanks {
  private readonly sql;
  private readonly db: Database.Database;
  private current: QueueThreshold;

  /**
   * Reads the threshold the stored ranks were computed with. None stored (a
   * new or upgraded file, or rebuilt aggregates): ranks every fact with the
   * default now, so they are right before the first request.
   */
  constructor(gate: SqliteGate) {
    this.db = gate.db;
    this.sql = rankStatements(this.db);
    const stored = this.sql.threshold.get() as
      { min_ratings: number; min_lower_bound: number } | undefined;
    if (stored) {
      this.current = { minRatings: stored.min_ratings, minLowerBound: stored.min_lower_bound };
    } else {
      const threshold = { ...DEFAULT_QUEUE_THRESHOLD };
      gate.write(() => this.db.transaction(() => this.rankAll(threshold)).immediate());
      this.current = threshold;
    }
  }

  /** The threshold the stored ranks were computed with. */
  get threshold(): QueueThreshold {
    return this.current;
  }

  /** The fact's stored review; null when nothing was ever kept for it. */
  reviewOf(factId: string): FactReview | null {
    const row = this.sql.review.get(factId) as FactReviewRow | undefined;
    return row ? toFactReview(row) : null;
  }

  /** The fact's rating distribution (its aggregate; zeros when never rated). */
  distributionOf(factId: string): Distribution {
    const row = this.sql.distribution.get(factTargetKey(factId)) as
      { d1: number; d2: number; d3: number; d4: number; d5: number } | undefined;
    return row ? [row.d1, row.d2, row.d3, row.d4, row.d5] : [0, 0, 0, 0, 0];
  }

  /** The fact's rank as the queue sees it: never queued once the fact is gone. */
  rankOf(factId: string, review: FactReview, distribution: Readonly<Distribution>): QueueRank {
    const rank = rankForReview(review, distribution, this.current);
    return this.sql.factExists.get(factId) ? rank : { ...rank, queued: false };
  }

  /** Writes the fact's review with the rank it gives now (creating its row). */
  store(
    about: { factId: string; titleId: string },
    review: FactReview,
    distribution: Readonly<Distribution> = this.distributionOf(about.factId),
  ): void {
    this.sql.upsert.run(
      factReviewParams(about, review, this.rankOf(about.factId, review, distribution)),
    );
  }

  /**
   * A rating of the fact moved its distribution: re-ranks it, creating its row
   * when missing (so a later threshold change re-flags it too). Writes nothing
   * when the rank did not move.
   */
  ratingChanged(about: { factId: string; titleId: string }, distribution: Distribution): void {
    const row = this.sql.review.get(about.factId) as FactReviewRow | undefined;
    const review = row ? toFactReview(row) : notReviewed();
    const rank = this.rankOf(about.factId, review, distribution);
    if (row && row.queued === Number(rank.queued) && row.priority === rank.priority) return;
    this.sql.upsert.run(factReviewParams(about, review, rank));
  }

  /**
   * The fact's aggregate was rebuilt from its ratings (RatingStore.rebuildAggregates):
   * re-ranks it like a rating would, if it has a review or is in the catalog.
   */
  distributionRebuilt(factId: string): void {
    const row = this.sql.review.get(factId) as FactReviewRow | undefined;
    const titleId = row?.title_id ?? (this.sql.factTitle.pluck().get(factId) as string | undefined);
    if (titleId === undefined) return;
    this.ratingChanged({ factId, titleId }, this.distributionOf(factId));
  }

  /** Facts a title edit removed leave the queue (their review is kept). */
  factsRemoved(factIds: readonly string[]): void {
    for (const factId of factIds) this.sql.dequeue.run(factId);
  }

  /** Facts a title edit added: one that had a review before (re-added, or moved) is ranked again. */
  factsAdded(facts: ReadonlyArray<{ id: string; titleId: string }>): void {
    for (const fact of facts) {
      const review = this.reviewOf(fact.id);
      if (review) this.store({ factId: fact.id, titleId: fact.titleId }, review);
    }
  }

  /**
   * Makes `threshold` the one ranks are computed with: when it differs from
   * the stored one, re-ranks every fact in one pass and stores it, in one
   * transaction. Returns whether anything was recomputed.
   */
  useThreshold(threshold: QueueThreshold): boolean {
    assertThreshold(threshold);
    if (
      threshold.minRatings === this.current.minRatings &&
      threshold.minLowerBound === this.current.minLowerBound
    ) {
      return false;
    }
    const next = { minRatings: threshold.minRatings, minLowerBound: threshold.minLowerBound };
    this.db.transaction(() => this.rankAll(next)).immediate();
    this.current = next;
    return true;
  }

  /**
   * Every fact's rank under `threshold` (inside a transaction): rows are
   * created for rated facts that have none (ratings written before reviews
   * existed, or by a copy), then every row is re-ranked in pk order, a batch
   * at a time. O(facts): for opening and threshold changes, not requests.
   */
  private rankAll(threshold: QueueThreshold): void {
    this.sql.createRatedRows.run();
    let after = 0;
    for (;;) {
      const rows = this.sql.rankBatch.all(after, RANK_ALL_BATCH) as RankBatchRow[];
      for (const row of rows) {
        const review = toFactReview(row);
        const distribution: Distribution = [row.d1, row.d2, row.d3, row.d4, row.d5];
        const rank = rankForReview(review, distribution, threshold);
        const queued = row.fact_exists && rank.queued ? 1 : 0;
        if (row.queued !== queued || row.priority !== rank.priority) {
          this.sql.setRank.run(queued, rank.priority, row.pk);
        }
      }
      if (rows.length < RANK_ALL_BATCH) break;
      after = rows[rows.length - 1].pk;
    }
    this.sql.saveThreshold.run(threshold.minRatings, threshold.minLowerBound);
  }
}

interface RankBatchRow extends FactReviewRow {
  pk: number;
  d1: number;
  d2: number;
  d3: number;
  d4: number;
  d5: number;
  fact_exists: number;
}

const factTargetKey = (factId: string) => targetKey({ kind: 'FACT', titleId: '', factId });

/** A threshold from configuration that would rank nonsense is refused, naming the setting. */
function assertThreshold(threshold: QueueThreshold): void {
  if (!Number.isInteger(threshold.minRatings) || threshold.minRatings < 0) {
    throw new RangeError(
      `the queue threshold's minRatings must be a whole number of at least 0, not ${threshold.minRatings}`,
    );
  }
  if (
    !Number.isFinite(threshold.minLowerBound) ||
    threshold.minLowerBound < 0 ||
    threshold.minLowerBound > 1
  ) {
    throw new RangeError(
      `the queue threshold's minLowerBound must be from 0 to 1, not ${threshold.minLowerBound}`,
    );
  }
}

/** The statements of review ranks, prepared once. */
function rankStatements(db: Database.Database) {
  return {
    threshold: db.prepare('SELECT min_ratings, min_lower_bound FROM review_settings WHERE id = 1'),
    saveThreshold: db.prepare(
      `INSERT INTO review_settings (id, min_ratings, min_lower_bound) VALUES (1, ?, ?)
       ON CONFLICT (id) DO UPDATE SET min_ratings = excluded.min_ratings,
         min_lower_bound = excluded.min_lower_bound`,
    ),
    review: db.prepare('SELECT * FROM fact_reviews WHERE fact_id = ?'),
    distribution: db.prepare('SELECT d1, d2, d3, d4, d5 FROM aggregates WHERE target_key = ?'),
    factExists: db.prepare('SELECT 1 FROM facts WHERE id = ?'),
    factTitle: db.prepare('SELECT title_id FROM facts WHERE id = ?'),
    upsert: db.prepare(
      `INSERT INTO fact_reviews (fact_id, title_id, status, outcome, reviewed_at, review_id,
         taken_up_at, open_reports, inaccurate, misleading, outdated, unverifiable, other,
         with_source, at_review_d1, at_review_d2, at_review_d3, at_review_d4, at_review_d5,
         queued, priority)
       VALUES (@fact_id, @title_id, @status, @outcome, @reviewed_at, @review_id,
         @taken_up_at, @open_reports, @inaccurate, @misleading, @outdated, @unverifiable, @other,
         @with_source, @at_review_d1, @at_review_d2, @at_review_d3, @at_review_d4, @at_review_d5,
         @queued, @priority)
       ON CONFLICT (fact_id) DO UPDATE SET title_id = excluded.title_id,
         status = excluded.status, outcome = excluded.outcome,
         reviewed_at = excluded.reviewed_at, review_id = excluded.review_id,
         taken_up_at = excluded.taken_up_at, open_reports = excluded.open_reports,
         inaccurate = excluded.inaccurate, misleading = excluded.misleading,
         outdated = excluded.outdated, unverifiable = excluded.unverifiable,
         other = excluded.other, with_source = excluded.with_source,
         at_review_d1 = excluded.at_review_d1, at_review_d2 = excluded.at_review_d2,
         at_review_d3 = excluded.at_review_d3, at_review_d4 = excluded.at_review_d4,
         at_review_d5 = excluded.at_review_d5, queued = excluded.queued,
         priority = excluded.priority`,
    ),
    dequeue: db.prepare('UPDATE fact_reviews SET queued = 0 WHERE fact_id = ? AND queued = 1'),
    createRatedRows: db.prepare(
      `INSERT INTO fact_reviews (fact_id, title_id)
       SELECT f.id, f.title_id FROM facts f
       JOIN aggregates a ON a.target_key = 'fact:' || f.id
       WHERE NOT EXISTS (SELECT 1 FROM fact_reviews r WHERE r.fact_id = f.id)`,
    ),
    rankBatch: db.prepare(
      `SELECT r.*, coalesce(a.d1, 0) AS d1, coalesce(a.d2, 0) AS d2, coalesce(a.d3, 0) AS d3,
              coalesce(a.d4, 0) AS d4, coalesce(a.d5, 0) AS d5,
              EXISTS (SELECT 1 FROM facts f WHERE f.id = r.fact_id) AS fact_exists
       FROM fact_reviews r LEFT JOIN aggregates a ON a.target_key = 'fact:' || r.fact_id
       WHERE r.pk > ? ORDER BY r.pk LIMIT ?`,
    ),
    setRank: db.prepare('UPDATE fact_reviews SET queued = ?, priority = ? WHERE pk = ?'),
  };
}
