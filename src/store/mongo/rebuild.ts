import type { Collection, Document, Filter } from 'mongodb';
import { type AccuracyAggregate, emptyAggregate, sameAggregate } from '../../model';
import type { AggregateDrift, RebuildReport } from '../port';
import { type AggregateDoc, aggregateFields, type RatingDoc, toAggregate } from './documents';
import { isDuplicateKeyError } from './errors';
import type { MongoGate } from './gate';
import type { PendingAggregates } from './pending-aggregates';

const REBUILD_ROUNDS = 3;

/** Per-target counts as the rebuild pipeline computes them from raw ratings. */
const GROUP_BY_TARGET = {
  $group: {
    _id: '$targetKey',
    count: { $sum: 1 },
    sum: { $sum: '$score' },
    d1: { $sum: { $cond: [{ $eq: ['$score', 1] }, 1, 0] } },
    d2: { $sum: { $cond: [{ $eq: ['$score', 2] }, 1, 0] } },
    d3: { $sum: { $cond: [{ $eq: ['$score', 3] }, 1, 0] } },
    d4: { $sum: { $cond: [{ $eq: ['$score', 4] }, 1, 0] } },
    d5: { $sum: { $cond: [{ $eq: ['$score', 5] }, 1, 0] } },
  },
};

/**
 * rebuildAggregates (npm run ratings:rebuild): recomputes aggregates from the
 * ratings for damage (hand edits, restores); after a crash the pending markers
 * (pending-aggregates.ts) already make them exact.
 */
export class MongoRebuild {
  private readonly ratings: Collection<RatingDoc>;
  private readonly aggregates: Collection<AggregateDoc>;

  constructor(
    private readonly gate: MongoGate,
    private readonly pending: PendingAggregates,
  ) {
    this.ratings = gate.ratings;
    this.aggregates = gate.aggregates;
  }

  /**
   * Recomputes every aggregate from the raw ratings ($group by targetKey) and
   * compares it with the stored ones (including aggregates whose ratings are
   * gone: they should be zero). Safe to run while the app takes ratings:
   * a suspected drift is confirmed only if neither the ratings nor the
   * aggregate of that target changed during `rebuildSettleMs` (so writes in
   * flight are not "repaired"), and the repair is a compare-and-replace that
   * does nothing if the aggregate moved meanwhile. Targets still busy after a
   * few rounds are logged and left for the next run.
   */
  async rebuildAggregates(options: { dryRun?: boolean } = {}): Promise<RebuildReport> {
    const repair = !options.dryRun;
    return this.gate.op(async () => {
      // Pending markers first, whatever their age (settling is exact at any time): what is
      // left to compare is drift that no marker explains.
      if (repair) await this.pending.sweepPending(0);
      const actualByKey = new Map<string, AccuracyAggregate>();
      let ratings = 0;
      const rows = this.ratings.aggregate<Document>([GROUP_BY_TARGET], { allowDiskUse: true });
      for await (const row of rows) {
        if (typeof row._id !== 'string') continue;
        const actual = toAggregate(row as AggregateDoc);
        actualByKey.set(row._id, actual);
        ratings += actual.count;
      }

      const suspects = new Map<string, AggregateDrift>();
      const storedKeys = new Set<string>();
      for await (const doc of this.aggregates.find({})) {
        storedKeys.add(doc._id);
        const stored = toAggregate(doc);
        const actual = actualByKey.get(doc._id) ?? emptyAggregate(doc._id);
        if (!sameAggregate(stored, actual)) {
          suspects.set(doc._id, { targetKey: doc._id, stored, actual });
        }
      }
      for (const [key, actual] of actualByKey) {
        if (storedKeys.has(key)) continue;
        const stored = emptyAggregate(key);
        if (!sameAggregate(stored, actual)) suspects.set(key, { targetKey: key, stored, actual });
      }

      const drift = await this.confirmDrift(suspects, repair);
      if (drift.length > 0) {
        this.gate.logger.warn(
          { targets: drift.map((d) => d.targetKey), repaired: repair },
          repair ? 'Repaired drifted rating aggregates' : 'Rating aggregates have drifted',
        );
      }
      return { targets: actualByKey.size, ratings, drift };
    });
  }

  private async confirmDrift(
    suspects: Map<string, AggregateDrift>,
    repair: boolean,
  ): Promise<AggregateDrift[]> {
    const confirmed: AggregateDrift[] = [];
    let pending = suspects;
    for (let round = 1; pending.size > 0 && round <= REBUILD_ROUNDS; round++) {
      await sleep(this.gate.timing.rebuildSettleMs);
      const next = new Map<string, AggregateDrift>();
      for (const [key, seen] of pending) {
        const stored = await this.readAggregate(key);
        const actual = await this.recount(key);
        const current = { targetKey: key, stored, actual };
        if (sameAggregate(stored, actual)) continue; // writes in flight have settled it
        if (await this.hasPendingMarkers(key)) {
          next.set(key, current); // a write in flight or a marker the sweep settles: not drift
          continue;
        }
        if (!sameAggregate(stored, seen.stored) || !sameAggregate(actual, seen.actual)) {
          next.set(key, current); // still moving: look again next round
          continue;
        }
        if (!repair) confirmed.push(current);
        else if (await this.replaceIfUnchanged(key, stored, actual)) {
          confirmed.push(current);
          await this.pending.aggregateChanged(key); // a fact's review rank reads it
        } else next.set(key, current);
      }
      pending = next;
    }
    if (pending.size > 0) {
      this.gate.logger.warn(
        { targets: [...pending.keys()] },
        'Rating aggregates kept changing during the rebuild; left as they are, run it again',
      );
    }
    return confirmed;
  }

  private async hasPendingMarkers(key: string): Promise<boolean> {
    const marked = await this.ratings.findOne(
      { targetKey: key, 'pendingAggregate.0': { $exists: true } },
      { projection: { _id: 1 } },
    );
    return marked !== null;
  }

  private async readAggregate(key: string): Promise<AccuracyAggregate> {
    const doc = await this.aggregates.findOne({ _id: key });
    return doc ? toAggregate(doc) : emptyAggregate(key);
  }

  private async recount(key: string): Promise<AccuracyAggregate> {
    const [row] = await this.ratings
      .aggregate<Document>([{ $match: { targetKey: key } }, GROUP_BY_TARGET])
      .toArray();
    return row ? toAggregate({ ...(row as AggregateDoc), _id: key }) : emptyAggregate(key);
  }

  /** Replaces the aggregate with `actual` only if it still equals `expected` (missing counts as zero). */
  private async replaceIfUnchanged(
    key: string,
    expected: AccuracyAggregate,
    actual: AccuracyAggregate,
  ): Promise<boolean> {
    const filter: Document = { _id: key };
    for (const [field, value] of Object.entries(aggregateFields(expected))) {
      filter[field] = value === 0 ? { $in: [0, null] } : value;
    }
    const expectedIsZero =
      expected.count === 0 && expected.sum === 0 && expected.distribution.every((n) => n === 0);
    try {
      // $set, not a replacement: the fence fields (applied, horizon, sweeps) must stay.
      const result = await this.aggregates.updateOne(
        filter as Filter<AggregateDoc>,
        { $set: aggregateFields(actual) },
        { upsert: expectedIsZero },
      );
      return result.matchedCount > 0 || result.upsertedCount > 0;
    } catch (error) {
      // Upsert of a missing aggregate raced with a rating that created it.
      if (isDuplicateKeyError(error)) return false;
      throw error;
    }
  }
}

function sleep(ms: number): Promise<void> {
  return ms > 0 ? new Promise((resolve) => setTimeout(resolve, ms)) : Promise.resolve();
}
