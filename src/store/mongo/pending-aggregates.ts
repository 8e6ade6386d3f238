import type { Collection } from 'mongodb';
import { StoreUnavailableError } from '../../model';
import {
  type AggregateDoc,
  aggregateIncrement,
  type PendingAggregate,
  type RatingDoc,
} from './documents';
import type { MongoGate } from './gate';
import { CAS_ATTEMPTS, retryOnDuplicateKey } from './retries';

/** Markers settled per sweep query (the sweep repeats until none is left). */
const SWEEP_BATCH = 100;
const ZERO_COUNTS = { count: 0, sum: 0, d1: 0, d2: 0, d3: 0, d4: 0, d5: 0 } as const;

/**
 * Settling pending aggregate markers: the steps of a rating write (ratings.ts)
 * that a crash or a slow writer can leave undone, applied exactly once by
 * whoever gets there (the writer, a sweep of any process, a rebuild).
 */
export class PendingAggregates {
  private readonly ratings: Collection<RatingDoc>;
  private readonly aggregates: Collection<AggregateDoc>;

  /**
   * Called once a rating write's delta is in its aggregate and before its
   * marker is cleared (so a crash in between leaves the marker, and the sweep
   * calls it again): the review queue re-ranks a rated fact. Set by MongoStore.
   */
  aggregateChanged: (key: string) => Promise<void> = async () => undefined;

  constructor(private readonly gate: MongoGate) {
    this.ratings = gate.ratings;
    this.aggregates = gate.aggregates;
  }

  /** Step 3: the marker off the rating, then its op off the aggregate's `applied` (that order). */
  async clearMarker(key: string, ratingId: string, op: string): Promise<void> {
    await this.ratings.updateOne({ _id: ratingId }, { $pull: { pendingAggregate: { op } } });
    await this.aggregates.updateOne({ _id: key }, { $pull: { applied: { op } } });
  }

  /**
   * Applies a pending marker exactly once, whoever else tries at the same
   * time (the sweeps of other processes, its writer if merely slow):
   *
   * 1. Fence: raise the aggregate's `horizon` to the marker's `at`. From then
   *    on the writer's own apply (applyOwnDelta) no longer matches, so either
   *    it landed before (then the aggregate lists the op in `applied`) or it
   *    never will.
   * 2. Read the aggregate, THEN the rating. No marker: settled by someone
   *    else, done. Op in `applied`: applied, only the clean-up is left.
   *    (An op leaves `applied` only after its marker left the rating, so a
   *    marker still there means an op applied before the read is listed.)
   * 3. Otherwise apply the delta with a compare-and-set on `sweeps`, which
   *    every sweep-applied delta bumps: of concurrent sweeps of one marker,
   *    one applies it and the others re-read and find it applied or cleared.
   * 4. aggregateChanged (the fact's re-rank), then the marker off.
   */
  async settleMarker(key: string, ratingId: string, marker: PendingAggregate) {
    await retryOnDuplicateKey(() =>
      this.aggregates.updateOne(
        { _id: key },
        { $max: { horizon: marker.at, sweeps: 0 }, $setOnInsert: ZERO_COUNTS },
        { upsert: true },
      ),
    );
    for (let attempt = 1; attempt <= CAS_ATTEMPTS; attempt++) {
      const aggregate = await this.aggregates.findOne({ _id: key });
      const pending = await this.ratings.findOne(
        { _id: ratingId, 'pendingAggregate.op': marker.op },
        { projection: { _id: 1 } },
      );
      if (!pending) return;
      if (!aggregate?.applied?.some((applied) => applied.op === marker.op)) {
        const applied = await this.aggregates.updateOne(
          { _id: key, sweeps: aggregate?.sweeps ?? 0, 'applied.op': { $ne: marker.op } },
          {
            $inc: { ...aggregateIncrement(marker.from, marker.to), sweeps: 1 },
            $push: { applied: { op: marker.op, at: marker.at } },
          },
        );
        if (applied.matchedCount === 0) continue; // another sweep came first: look again
      }
      await this.aggregateChanged(key);
      await this.clearMarker(key, ratingId, marker.op);
      return;
    }
    throw new StoreUnavailableError(`The aggregate of ${key} kept changing during a sweep; retry`);
  }

  /**
   * Settles every pending marker written at least `olderThanMs` ago (all of
   * them with 0: safe, settleMarker is exact whoever else is writing).
   * Returns how many markers it looked at.
   */
  async sweepPendingAggregates(olderThanMs: number = this.gate.timing.sweepAgeMs): Promise<number> {
    return this.gate.op(() => this.sweepPending(olderThanMs));
  }

  async sweepPending(olderThanMs: number): Promise<number> {
    const cutoff = new Date(Date.now() - olderThanMs);
    const seen = new Set<string>();
    let settled = 0;
    for (;;) {
      const docs = await this.ratings
        .find(
          { 'pendingAggregate.at': { $lte: cutoff } },
          { projection: { targetKey: 1, pendingAggregate: 1 } },
        )
        .limit(SWEEP_BATCH)
        .toArray();
      let fresh = 0;
      for (const doc of docs) {
        for (const marker of doc.pendingAggregate ?? []) {
          if (marker.at > cutoff || seen.has(marker.op)) continue;
          seen.add(marker.op);
          fresh++;
          await this.settleMarker(doc.targetKey, doc._id, marker);
        }
      }
      settled += fresh;
      if (docs.length < SWEEP_BATCH || fresh === 0) break;
    }
    // An `applied` entry whose marker is gone (its writer died between the two clean-up
    // steps) is dropped: a marker never comes back, so nothing can apply that op again.
    const leaking = await this.aggregates
      .find({ 'applied.at': { $lte: cutoff } }, { projection: { applied: 1 } })
      .limit(SWEEP_BATCH)
      .toArray();
    for (const aggregate of leaking) {
      for (const { op, at } of aggregate.applied ?? []) {
        if (at > cutoff) continue;
        const marked = await this.ratings.findOne(
          { targetKey: aggregate._id, 'pendingAggregate.op': op },
          { projection: { _id: 1 } },
        );
        if (!marked) {
          await this.aggregates.updateOne({ _id: aggregate._id }, { $pull: { applied: { op } } });
        }
      }
    }
    if (settled > 0) {
      this.gate.logger.info(
        { markers: settled },
        'Settled rating aggregates that a stopped or slow write had left pending',
      );
    }
    return settled;
  }
}

/** Whether a sweep's `horizon` has fenced this marker off, or the aggregate already lists it. */
export function isFencedOff(aggregate: AggregateDoc, marker: PendingAggregate): boolean {
  return (
    (aggregate.horizon !== undefined && aggregate.horizon >= marker.at) ||
    (aggregate.applied ?? []).some((applied) => applied.op === marker.op)
  );
}
