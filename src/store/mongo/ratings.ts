/**
 * The MongoDB store's ratings: reads, and rating writes exact without
 * multi-document transactions. Markers a crash leaves are settled by
 * pending-aggregates.ts; rebuildAggregates lives in rebuild.ts.
 *
 * ## Ratings without multi-document transactions
 *
 * A rating write touches two documents: the voter's rating and the target's
 * aggregate. It needs no transaction (so it works on a standalone server):
 *
 * 1. The rating and its pending marker `pendingAggregate: [{ op, at, from,
 *    to }]` in ONE atomic single-document write: an insert for a first
 *    rating (the unique (targetKey, voterId) index turns a concurrent first
 *    rating into E11000: read again, it is now a re-rating), else a
 *    compare-and-set on the score it read, so `from` is exactly the score
 *    this write replaced. Per voter and target the writes form one sequence
 *    s1 -> s2 -> ... in which each write knows its predecessor.
 * 2. `$inc` of the aggregate by the delta (+1 count, +s, +1 d<s> for a first
 *    rating; +s(i) - s(i-1), +1 d<s(i)>, -1 d<s(i-1)> for a re-rating), with
 *    `$push: { applied: op }`, filtered on `horizon < at` (see 4). $inc is
 *    atomic and commutative: applied once each, the deltas telescope to
 *    count = voters, sum = latest scores, d<k> = voters whose latest score is
 *    k, i.e. exactly a recount. (While writes are in flight a counter can be
 *    transiently off, even negative; validators put no minimum on counters.)
 * 3. The marker off the rating, then the op off `applied`. Before that, a
 *    fact's rating re-ranks the fact's review (review-ranks.ts), so a crash
 *    before the re-rank leaves the marker, and settling it re-ranks too.
 * 4. A crash (kill -9, a lost connection) between 1 and 2 leaves the marker:
 *    settleMarker applies it exactly once. Every process sweeps markers older
 *    than pendingSweepAgeMs (10 s) every pendingSweepIntervalMs (5 s), and a
 *    re-rating settles stale markers of its rating. Exactly once, with no
 *    clock assumption: the sweep first raises the aggregate's `horizon` to the
 *    marker's `at`, after which the writer's own step 2 no longer matches (a
 *    merely slow writer is fenced off and settles its marker the same way);
 *    then it reads the aggregate, then the marker, and applies the delta with
 *    a compare-and-set on `sweeps` (bumped by each sweep-applied delta) unless
 *    `applied` lists the op. An op leaves `applied` only after its marker
 *    left the rating, so a marker still present means "applied" is visible.
 *
 * `rebuildAggregates()` (npm run ratings:rebuild) settles every marker first
 * and then recomputes aggregates from the ratings; it is for damage (hand
 * edits, restores), no longer needed after a crash. On a replica set the
 * driver's retryable writes make each step exactly-once across a failover.
 */
import type { Collection } from 'mongodb';
import {
  type AccuracyAggregate,
  emptyAggregate,
  type RatingRecord,
  StoreUnavailableError,
} from '../../model';
import { newStoreId } from '../ids';
import type { RatingWrite, RatingWriteResult } from '../port';
import {
  type AggregateDoc,
  aggregateIncrement,
  assertString,
  assertStrings,
  type PendingAggregate,
  type RatingDoc,
  ratingUpsert,
  toAggregate,
  toRating,
} from './documents';
import { isDuplicateKeyError } from './errors';
import type { MongoGate } from './gate';
import { isFencedOff, type PendingAggregates } from './pending-aggregates';
import { CAS_ATTEMPTS, DUPLICATE_KEY_ATTEMPTS } from './retries';

/** Rating reads and upsertRating (the RatingStore role but its rebuild, see rebuild.ts). */
export class MongoRatings {
  private readonly ratings: Collection<RatingDoc>;
  private readonly aggregates: Collection<AggregateDoc>;

  constructor(
    private readonly gate: MongoGate,
    private readonly pending: PendingAggregates,
  ) {
    this.ratings = gate.ratings;
    this.aggregates = gate.aggregates;
  }

  async aggregatesByTargets(keys: readonly string[]): Promise<AccuracyAggregate[]> {
    const unique = assertStrings(keys, 'target keys');
    if (unique.length === 0) return [];
    const docs = await this.gate.op(() => this.aggregates.find({ _id: { $in: unique } }).toArray());
    const byKey = new Map(docs.map((doc) => [doc._id, toAggregate(doc)]));
    return keys.map((key) => byKey.get(key) ?? emptyAggregate(key));
  }

  async ratingsByIds(ids: readonly string[]): Promise<Array<RatingRecord | null>> {
    const keys = assertStrings(ids, 'rating ids');
    if (keys.length === 0) return [];
    const docs = await this.gate.op(() => this.ratings.find({ _id: { $in: keys } }).toArray());
    const byId = new Map(docs.map((doc) => [doc._id, toRating(doc)]));
    return ids.map((id) => byId.get(id) ?? null);
  }

  /** Uses the unique (targetKey, voterId) index: the target keys bound it, the voter narrows it. */
  async ratingsOfVoter(
    voterId: string,
    targetKeys: readonly string[],
  ): Promise<Array<RatingRecord | null>> {
    assertString(voterId, 'voterId');
    const keys = assertStrings(targetKeys, 'target keys');
    if (keys.length === 0) return [];
    const docs = await this.gate.op(() =>
      this.ratings.find({ targetKey: { $in: keys }, voterId }).toArray(),
    );
    const byKey = new Map(docs.map((doc) => [doc.targetKey, toRating(doc)]));
    return targetKeys.map((key) => byKey.get(key) ?? null);
  }

  async ratingsByTarget(key: string): Promise<RatingRecord[]> {
    assertString(key, 'target key');
    const docs = await this.gate.op(() =>
      this.ratings.find({ targetKey: key }).sort({ createdAt: 1, _id: 1 }).toArray(),
    );
    return docs.map(toRating);
  }

  /** See the comment at the top of this file for why this is exact without transactions. */
  async upsertRating(write: RatingWrite, now: Date): Promise<RatingWriteResult> {
    // Validates every caller value before anything reaches a query.
    const { filter, update } = ratingUpsert(write, now, '');
    const key = filter.targetKey;
    const { score, comment, updatedAt } = update.$set;
    const { titleId, factId } = update.$setOnInsert;

    return this.gate.op(async () => {
      const { before, ratingId, marker } = await this.writeRatingWithMarker(filter, update);
      const inc = aggregateIncrement(marker.from, score);
      let after = await this.applyOwnDelta(key, marker, inc);
      if (after) {
        // A fact's review rank reads the aggregate: re-ranked before the marker goes (step 3).
        await this.pending.aggregateChanged(key);
        await this.pending.clearMarker(key, ratingId, marker.op);
      } else {
        // A sweep fenced this write off (it was slow): settle it the way the sweep does.
        await this.pending.settleMarker(key, ratingId, marker);
      }
      after ??= await this.aggregates.findOne({ _id: key });
      // Markers an earlier write of this rating left behind (its process died): settle them now.
      const stale = Date.now() - this.gate.timing.sweepAgeMs;
      for (const earlier of before?.pendingAggregate ?? []) {
        if (earlier.at.getTime() <= stale) await this.pending.settleMarker(key, ratingId, earlier);
      }
      const aggregate = after ? toAggregate(after) : emptyAggregate(key);

      const rating: RatingRecord = before
        ? {
            id: before._id,
            targetKey: key,
            titleId: before.titleId,
            factId: before.factId ?? null,
            voterId: filter.voterId,
            score,
            comment,
            hidden: before.hidden ?? null,
            createdAt: before.createdAt,
            updatedAt,
          }
        : {
            id: ratingId,
            targetKey: key,
            titleId,
            factId,
            voterId: filter.voterId,
            score,
            comment,
            hidden: null,
            createdAt: now,
            updatedAt,
          };
      return { rating, aggregate, created: before === null };
    });
  }

  /**
   * Step 1 of a rating write: the new score and its pending marker (the delta
   * from the score it replaces) in one atomic single-document write. A first
   * rating is an insert (E11000 on the unique (targetKey, voterId): another
   * write inserted it first, read again); a re-rating is a compare-and-set on
   * the score it was read with, so the marker's `from` is exactly the score
   * this write replaced.
   */
  private async writeRatingWithMarker(
    filter: ReturnType<typeof ratingUpsert>['filter'],
    update: ReturnType<typeof ratingUpsert>['update'],
  ): Promise<{ before: RatingDoc | null; ratingId: string; marker: PendingAggregate }> {
    const op = newStoreId();
    for (let attempt = 1; ; attempt++) {
      const before = await this.ratings.findOne(filter);
      const marker: PendingAggregate = {
        op,
        at: new Date(),
        from: before ? before.score : null,
        to: update.$set.score,
      };
      if (!before) {
        const ratingId = newStoreId();
        try {
          await this.gate.insertUnique(
            () =>
              this.ratings.insertOne({
                targetKey: filter.targetKey,
                voterId: filter.voterId,
                ...update.$set,
                titleId: update.$setOnInsert.titleId,
                factId: update.$setOnInsert.factId,
                createdAt: update.$setOnInsert.createdAt,
                _id: ratingId,
                pendingAggregate: [marker],
              } as RatingDoc),
            async () =>
              (await this.ratings.findOne(
                { ...filter, _id: { $ne: ratingId } },
                { projection: { _id: 1 } },
              )) !== null,
            // Only while it is as inserted (no other write's marker on it): its aggregate
            // delta is not applied yet, so removing it leaves the aggregate exact.
            async () =>
              (
                await this.ratings.deleteOne({
                  _id: ratingId,
                  pendingAggregate: { $size: 1 },
                  'pendingAggregate.op': op,
                })
              ).deletedCount === 1,
          );
          return { before, ratingId, marker };
        } catch (error) {
          if (!isDuplicateKeyError(error) || attempt >= DUPLICATE_KEY_ATTEMPTS) throw error;
          continue;
        }
      }
      const written = await this.ratings.updateOne(
        { _id: before._id, score: before.score },
        { $set: update.$set, $push: { pendingAggregate: marker } },
      );
      if (written.matchedCount === 1) return { before, ratingId: before._id, marker };
      if (attempt >= CAS_ATTEMPTS) {
        throw new StoreUnavailableError(
          `The rating of ${filter.voterId} kept changing during the write; nothing was written, retry`,
        );
      }
    }
  }

  /**
   * Step 2 by the writer: $inc the aggregate and record the marker as applied,
   * in one atomic update, unless a sweep has fenced markers this old off
   * (`horizon`). Returns the aggregate after it, or null when fenced off.
   * Never retried after an ambiguous (network) error: the marker stays and a
   * sweep settles it.
   */
  private async applyOwnDelta(
    key: string,
    marker: PendingAggregate,
    inc: ReturnType<typeof aggregateIncrement>,
  ): Promise<AggregateDoc | null> {
    for (let attempt = 1; ; attempt++) {
      try {
        const after = await this.aggregates.findOneAndUpdate(
          { _id: key, horizon: { $not: { $gte: marker.at } }, 'applied.op': { $ne: marker.op } },
          { $inc: inc, $push: { applied: { op: marker.op, at: marker.at } } },
          { upsert: true, returnDocument: 'after', includeResultMetadata: false },
        );
        if (after) return after;
      } catch (error) {
        if (!isDuplicateKeyError(error)) throw error;
        // The aggregate exists and the filter did not match it (fenced off), or a
        // concurrent first write created it a moment ago (then try again).
      }
      const current = await this.aggregates.findOne({ _id: key });
      if (current && isFencedOff(current, marker)) return null;
      if (attempt >= DUPLICATE_KEY_ATTEMPTS) {
        throw new StoreUnavailableError(`The aggregate of ${key} kept changing; retry`);
      }
    }
  }
}
