import type { AccuracyAggregate, RatingRecord, RatingTarget } from '../../model';

/** Ratings and their per-target aggregates: the write path of the API and its repair. */
export interface RatingStore {
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
