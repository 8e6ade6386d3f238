/**
 * ## Report tallies without multi-document transactions
 *
 * A report write (filing, replacing or closing a report) touches two
 * documents: the report and its fact's review, whose tally it changes. It is
 * the rating write of ratings.ts again, with the same guarantees:
 *
 * 1. The report and its marker `pendingTally: [{ op, at, delta }]` in ONE
 *    atomic write: an insert for a new report (the unique sparse `openKey`
 *    index turns a concurrent second OPEN report of the voter into E11000:
 *    read again, it is now a replace), else a compare-and-set on the report's
 *    `version`, so `delta` is exactly the difference from the content this
 *    write replaced. Per report the writes form one sequence, each knowing its
 *    predecessor, so the deltas telescope to "its content while OPEN, nothing
 *    once CLOSED": the tally of a fact is exactly tallyOf its reports.
 * 2. `$inc` of the review's tally by `delta` (and of `rev`: the rank must be
 *    recomputed), with `$push: { tallied: op }`, filtered on `tallyHorizon < at`.
 * 3. The re-rank (review-ranks.ts).
 * 4. The marker off the report, then the op off `tallied`.
 *
 * A crash between 1 and 4 leaves the marker: settle() applies it exactly once
 * (if step 2 did not land), re-ranks and clears it; every process sweeps
 * markers older than pendingSweepAgeMs, and a later write of the same report
 * settles stale markers of it. Exactly once as for aggregates (see
 * pending-aggregates.ts, settleMarker): the sweep fences slow writers off by
 * raising `tallyHorizon` to the marker's `at`, reads the review, then the
 * marker, and applies with a compare-and-set on `tallySweeps` unless `tallied`
 * lists the op. So at any time the recount (tallyOf the fact's OPEN reports)
 * equals the stored tally plus the deltas of markers still pending.
 */
import type { Collection } from 'mongodb';
import { StoreUnavailableError } from '../../model';
import type { MongoGate } from './gate';
import {
  type FactReviewDoc,
  freshReviewDoc,
  type PendingTally,
  type ReportDoc,
  tallyIncrement,
} from './review-documents';
import type { ReviewRanks } from './review-ranks';
import { CAS_ATTEMPTS, retryOnDuplicateKey } from './retries';

/** Markers settled per sweep query (the sweep repeats until none is left). */
const SWEEP_BATCH = 100;

/** What a tally write needs to know of its report. */
export type TalliedReport = Pick<ReportDoc, '_id' | 'factId' | 'titleId'>;

/** Steps 2-4 of a report write, and the settling of markers a crash or a slow writer left. */
export class ReportTallies {
  private readonly reports: Collection<ReportDoc>;
  private readonly reviews: Collection<FactReviewDoc>;

  constructor(
    private readonly gate: MongoGate,
    private readonly ranks: ReviewRanks,
  ) {
    this.reports = gate.reports;
    this.reviews = gate.factReviews;
  }

  /**
   * Steps 2-4 for the writer of `marker`. With `rerank` false the caller
   * re-ranks once after several writes (closing a fact's reports): its own
   * marker then keeps the re-rank owed until it is done.
   */
  async apply(report: TalliedReport, marker: PendingTally, rerank = true): Promise<void> {
    const written = await this.reviews.updateOne(
      {
        _id: report.factId,
        tallyHorizon: { $not: { $gte: marker.at } },
        'tallied.op': { $ne: marker.op },
      },
      {
        $inc: { ...tallyIncrement(marker.delta), rev: 1 },
        $push: { tallied: { op: marker.op, at: marker.at } },
      },
    );
    if (written.matchedCount === 0) {
      // A sweep fenced this write off (it was slow), or the review is missing: settle it the
      // way the sweep does.
      await this.settle(report, marker);
      return;
    }
    if (rerank) await this.ranks.rerank(report.factId);
    await this.clear(report, marker.op);
  }

  /** Step 4: the marker off the report, then its op off the review's `tallied` (that order). */
  async clear(report: TalliedReport, op: string): Promise<void> {
    await this.reports.updateOne({ _id: report._id }, { $pull: { pendingTally: { op } } });
    await this.reviews.updateOne({ _id: report.factId }, { $pull: { tallied: { op } } });
  }

  /**
   * Applies a pending marker exactly once, whoever else tries at the same
   * time (sweeps of other processes, its writer if merely slow): fence
   * (`tallyHorizon`), read the review THEN the report, and apply with a
   * compare-and-set on `tallySweeps` unless the review lists the op. Then
   * re-rank and clear. See settleMarker in pending-aggregates.ts for why each
   * step is needed.
   */
  async settle(report: TalliedReport, marker: PendingTally): Promise<void> {
    const { _id, ...fresh } = freshReviewDoc(report.factId, report.titleId);
    await retryOnDuplicateKey(() =>
      this.reviews.updateOne(
        { _id },
        { $max: { tallyHorizon: marker.at, tallySweeps: 0 }, $setOnInsert: fresh },
        { upsert: true },
      ),
    );
    for (let attempt = 1; attempt <= CAS_ATTEMPTS; attempt++) {
      const review = await this.reviews.findOne({ _id: report.factId });
      const pending = await this.reports.findOne(
        { _id: report._id, 'pendingTally.op': marker.op },
        { projection: { _id: 1 } },
      );
      if (!pending) return;
      if (!review?.tallied?.some((applied) => applied.op === marker.op)) {
        const applied = await this.reviews.updateOne(
          {
            _id: report.factId,
            tallySweeps: review?.tallySweeps ?? 0,
            'tallied.op': { $ne: marker.op },
          },
          {
            $inc: { ...tallyIncrement(marker.delta), tallySweeps: 1, rev: 1 },
            $push: { tallied: { op: marker.op, at: marker.at } },
          },
        );
        if (applied.matchedCount === 0) continue; // another sweep came first: look again
      }
      await this.ranks.rerank(report.factId);
      await this.clear(report, marker.op);
      return;
    }
    throw new StoreUnavailableError(
      `The review of fact ${report.factId} kept changing during a sweep; retry`,
    );
  }

  /**
   * Settles every tally marker written at least `olderThanMs` ago (all of
   * them with 0: safe, settle is exact whoever else is writing), then drops
   * `tallied` entries whose marker is gone (their writer died between the two
   * clean-up steps). Returns how many markers it looked at.
   */
  async sweep(olderThanMs: number): Promise<number> {
    const cutoff = new Date(Date.now() - olderThanMs);
    const seen = new Set<string>();
    let settled = 0;
    for (;;) {
      const docs = await this.reports
        .find(
          { 'pendingTally.at': { $lte: cutoff } },
          { projection: { factId: 1, titleId: 1, pendingTally: 1 } },
        )
        .limit(SWEEP_BATCH)
        .toArray();
      let fresh = 0;
      for (const doc of docs) {
        for (const marker of doc.pendingTally ?? []) {
          if (marker.at > cutoff || seen.has(marker.op)) continue;
          seen.add(marker.op);
          fresh++;
          await this.settle(doc, marker);
        }
      }
      settled += fresh;
      if (docs.length < SWEEP_BATCH || fresh === 0) break;
    }
    const leaking = await this.reviews
      .find({ 'tallied.at': { $lte: cutoff } }, { projection: { tallied: 1 } })
      .limit(SWEEP_BATCH)
      .toArray();
    for (const review of leaking) {
      for (const { op, at } of review.tallied ?? []) {
        if (at > cutoff) continue;
        const marked = await this.reports.findOne(
          { factId: review._id, 'pendingTally.op': op },
          { projection: { _id: 1 } },
        );
        if (!marked)
          await this.reviews.updateOne({ _id: review._id }, { $pull: { tallied: { op } } });
      }
    }
    if (settled > 0) {
      this.gate.logger.info(
        { markers: settled },
        'Settled report tallies that a stopped or slow write had left pending',
      );
    }
    return settled;
  }
}
