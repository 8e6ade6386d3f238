import type Database from 'better-sqlite3';
import {
  type AccuracyAggregate,
  assertScore,
  emptyAggregate,
  type RatingRecord,
  ratingDelta,
  sameAggregate,
  targetKey,
} from '../../model';
import type {
  AggregateDrift,
  RatingStore,
  RatingWrite,
  RatingWriteResult,
  RebuildReport,
} from '../port';
import type { SqliteGate } from './gate';
import type { GroupCommit } from './group-commit';
import type { ReviewRanks } from './review-ranks';
import { type AggregateRow, aggregateParams, type RatingRow, toAggregate, toRating } from './rows';

/**
 * Ratings on SQLite: a rating write (read the voter's previous score, upsert
 * the rating, add the exact delta to the aggregate, re-rank a rated fact's
 * review) is one transaction, exact under any concurrency by construction;
 * writes are group-committed.
 */
export class SqliteRatings implements RatingStore {
  private readonly sql;
  private readonly db: Database.Database;
  constructor(
    private readonly gate: SqliteGate,
    private readonly ranks: ReviewRanks,
    private readonly commits: GroupCommit,
  ) {
    this.db = gate.db;
    this.sql = ratingStatements(gate.db);
  }

  async aggregatesByTargets(keys: readonly string[]): Promise<AccuracyAggregate[]> {
    const rows = this.gate.read(
      () => this.sql.aggregatesByKeys.all(JSON.stringify(keys)) as AggregateRow[],
    );
    const byKey = new Map(rows.map((row) => [row.target_key, toAggregate(row)]));
    return keys.map((key) => byKey.get(key) ?? emptyAggregate(key));
  }

  /**
   * One savepoint of the next group commit (group-commit.ts): the voter's
   * previous score (unique (target_key, voter_id) index), the rating upsert,
   * the aggregate's delta and a rated fact's re-rank. The score is validated
   * before anything is written; a failure rolls all of it back.
   */
  async upsertRating(write: RatingWrite, now: Date): Promise<RatingWriteResult> {
    assertScore(write.score);
    const at = now.getTime();
    return this.commits.enqueue(() => this.writeRating(write, at));
  }

  /** One rating, inside a group commit's transaction. */
  private writeRating(write: RatingWrite, at: number): RatingWriteResult {
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
    const aggregate = toAggregate(
      this.sql.addToAggregate.get(aggregateParams({ targetKey: key, ...delta })) as AggregateRow,
    );
    // A fact's ratings are an input of its place in the review queue.
    if (write.target.kind === 'FACT') {
      const { factId, titleId } = write.target;
      this.ranks.ratingChanged({ factId, titleId }, aggregate.distribution);
    }
    return { rating: toRating(row), aggregate, created: !previous };
  }

  async ratingsByTarget(key: string): Promise<RatingRecord[]> {
    return this.gate.read(() => this.sql.ratingsByTarget.all(key) as RatingRow[]).map(toRating);
  }

  /** Rating ids are the table's integer keys; any other id names no rating. */
  async ratingsByIds(ids: readonly string[]): Promise<Array<RatingRecord | null>> {
    const keys = ids.filter((id) => /^[1-9]\d{0,15}$/.test(id)).map(Number);
    const rows = this.gate.read(
      () => this.sql.ratingsByIds.all(JSON.stringify(keys)) as RatingRow[],
    );
    const byId = new Map(rows.map((row) => [String(row.id), toRating(row)]));
    return ids.map((id) => byId.get(id) ?? null);
  }

  /** One lookup per target on the unique (target_key, voter_id) index. */
  async ratingsOfVoter(
    voterId: string,
    keys: readonly string[],
  ): Promise<Array<RatingRecord | null>> {
    const rows = this.gate.read(
      () => this.sql.ratingsOfVoter.all(voterId, JSON.stringify(keys)) as RatingRow[],
    );
    const byKey = new Map(rows.map((row) => [row.target_key, toRating(row)]));
    return keys.map((key) => byKey.get(key) ?? null);
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
          if (key.startsWith(FACT_KEY_PREFIX)) {
            this.ranks.distributionRebuilt(key.slice(FACT_KEY_PREFIX.length));
          }
        }
      }
      const ratings = [...actual.values()].reduce((n, a) => n + a.count, 0);
      return { targets: actual.size, ratings, drift };
    };
    return options.dryRun
      ? this.gate.read(() => this.db.transaction(rebuild).deferred())
      : this.gate.write(() => this.db.transaction(rebuild).immediate());
  }
}

/** targetKey's form of a fact's key: "fact:<id>". */
const FACT_KEY_PREFIX = 'fact:';

/** The statements of ratings and aggregates, prepared once. */
function ratingStatements(db: Database.Database) {
  const ids = 'SELECT value FROM json_each(?)';
  return {
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
    ratingsByIds: db.prepare(`SELECT * FROM ratings WHERE id IN (${ids})`),
    ratingsOfVoter: db.prepare(
      `SELECT * FROM ratings WHERE voter_id = ? AND target_key IN (${ids})`,
    ),
  };
}
