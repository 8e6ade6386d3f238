/**
 * ## Reports: filing, closing, reading
 *
 * The report writes of the ReviewStore role (reviews.ts composes it) and the
 * reads of reports. Every write of a report is one compare-and-set on its
 * `version` (or an insert guarded by the unique sparse `openKey` index) that
 * carries its tally marker; report-tallies.ts applies the marker to the
 * fact's review and settles what a crash left.
 *
 * ### fileReport
 *
 * 0. The fact's review document exists (an upsert of notReviewed()).
 * 1. The voter's OPEN report is replaced (compare-and-set on its `version`)
 *    or inserted (the unique sparse `openKey` index makes a racing second
 *    insert fail: read again, it is a replace), with its tally marker.
 * 2-4. The tally $inc, the re-rank, the marker off (ReportTallies.apply).
 *
 * A crash after 1 leaves the report with its marker, which the sweep settles.
 *
 * ### closeOpenReports
 *
 * Step 5 of an editor's transition (review-transitions.ts): each report OPEN
 * at that point is closed by a report write with its tally marker.
 */
import type { Collection, Filter } from 'mongodb';
import {
  closeReports,
  fileReport,
  notReviewed,
  ReportReason,
  type ReportRecord,
  ReportState,
  StoreUnavailableError,
  type ValidReport,
} from '../../model';
import { newStoreId } from '../ids';
import type { ReportWrite, ReportWriteResult } from '../port';
import { assertString, assertStrings } from './documents';
import { isDuplicateKeyError } from './errors';
import type { MongoGate } from './gate';
import type { ReportTallies } from './report-tallies';
import {
  closingDelta,
  type FactReviewDoc,
  openKeyOf,
  type PendingTally,
  type ReportDoc,
  reportFields,
  type ResolutionDoc,
  toReport,
  toReview,
} from './review-documents';
import type { ReviewRanks } from './review-ranks';
import { CAS_ATTEMPTS, DUPLICATE_KEY_ATTEMPTS } from './retries';

/** Documents read per query by allReports. */
const BATCH = 500;

/** Report writes (filing, closing) with their tally markers, and report reads. */
export class ReviewReports {
  private readonly reports: Collection<ReportDoc>;
  private readonly reviews: Collection<FactReviewDoc>;

  constructor(
    private readonly gate: MongoGate,
    private readonly ranks: ReviewRanks,
    private readonly tallies: ReportTallies,
  ) {
    this.reports = gate.reports;
    this.reviews = gate.factReviews;
  }

  /** Steps 0-4 at the top of this file. */
  async fileReport(write: ReportWrite, now: Date): Promise<ReportWriteResult> {
    assertReportWrite(write, now);
    const { factId, titleId } = write;
    return this.gate.op(async () => {
      await this.ranks.ensureReview(factId, titleId);
      const { report, created, marker, stale } = await this.writeReport(write, now);
      const tallied = { _id: report.id, factId, titleId };
      await this.tallies.apply(tallied, marker);
      // Markers an earlier write of this report left behind (its process died): settle them now.
      for (const earlier of stale) await this.tallies.settle(tallied, earlier);
      const doc = await this.reviews.findOne({ _id: factId });
      return { report, created, review: doc ? toReview(doc) : notReviewed() };
    });
  }

  /**
   * Step 1 of a report write: the voter's OPEN report replaced (a
   * compare-and-set on its `version`, so the marker's delta is exactly the
   * difference from what it replaced) or inserted (E11000 on `openKey`:
   * another write of the voter inserted one first, read again).
   */
  private async writeReport(
    write: ReportWrite,
    now: Date,
  ): Promise<{
    report: ReportRecord;
    created: boolean;
    marker: PendingTally;
    stale: PendingTally[];
  }> {
    const { factId, titleId } = write;
    const openKey = openKeyOf(factId, write.report.voterId);
    const op = newStoreId();
    let lostInserts = 0;
    for (let attempt = 1; attempt <= CAS_ATTEMPTS; attempt++) {
      const open = await this.reports.findOne({ openKey });
      const filed = fileReport(
        { now, newId: newStoreId },
        open ? toReport(open) : null,
        { factId, titleId },
        write.report,
      );
      const marker: PendingTally = { op, at: new Date(), delta: filed.tallyDelta };
      const report = filed.report;
      if (!open) {
        const doc: ReportDoc = {
          _id: report.id,
          ...reportFields(report),
          openKey,
          version: 1,
          pendingTally: [marker],
        };
        try {
          await this.gate.insertUnique(
            () => this.reports.insertOne(doc),
            async () =>
              (await this.reports.findOne(
                { openKey, _id: { $ne: doc._id } },
                { projection: { _id: 1 } },
              )) !== null,
            // Only while it is as inserted: its tally change is not applied yet.
            async () =>
              (
                await this.reports.deleteOne({
                  _id: doc._id,
                  version: 1,
                  pendingTally: { $size: 1 },
                  'pendingTally.op': op,
                })
              ).deletedCount === 1,
          );
          return { report, created: true, marker, stale: [] };
        } catch (error) {
          if (!isDuplicateKeyError(error) || ++lostInserts >= DUPLICATE_KEY_ATTEMPTS) throw error;
          continue;
        }
      }
      const written = await this.reports.updateOne(
        { _id: open._id, version: open.version, state: ReportState.OPEN },
        {
          $set: { ...reportFields(report), version: open.version + 1 },
          $push: { pendingTally: marker },
        },
      );
      if (written.matchedCount === 1) {
        const cutoff = Date.now() - this.gate.timing.sweepAgeMs;
        const stale = (open.pendingTally ?? []).filter((m) => m.at.getTime() <= cutoff);
        return { report, created: false, marker, stale };
      }
    }
    throw new StoreUnavailableError(
      `The report of ${write.report.voterId} kept changing during the write; nothing was written, retry`,
    );
  }

  /**
   * Step 5 of a transition: every report OPEN now is closed with the
   * resolution's id, each a report write (compare-and-set on its version)
   * taking its tally change back. A report replaced meanwhile is read again
   * and closed as it is now. One re-rank for all of them follows (step 6),
   * owed by `pendingTransition`.
   */
  async closeOpenReports(
    review: Pick<FactReviewDoc, '_id' | 'titleId'>,
    resolution: ResolutionDoc,
  ): Promise<void> {
    const open = await this.reports
      .find({ factId: review._id, state: ReportState.OPEN }, { projection: { _id: 1 } })
      .toArray();
    for (const { _id } of open) {
      for (let attempt = 1; attempt <= CAS_ATTEMPTS; attempt++) {
        const doc = await this.reports.findOne({ _id });
        if (!doc || doc.state !== ReportState.OPEN) break; // closed by someone else
        const [closed] = closeReports([toReport(doc)], resolution._id, resolution.resolvedAt);
        const marker: PendingTally = { op: newStoreId(), at: new Date(), delta: closingDelta(doc) };
        const written = await this.reports.updateOne(
          { _id, version: doc.version, state: ReportState.OPEN },
          {
            $set: {
              state: closed.state,
              closedBy: closed.closedBy,
              updatedAt: closed.updatedAt,
              version: doc.version + 1,
            },
            $unset: { openKey: '' },
            $push: { pendingTally: marker },
          },
        );
        if (written.matchedCount === 0) continue; // replaced meanwhile: close it as it is now
        await this.tallies.apply(doc, marker, false);
        break;
      }
    }
  }

  /** One walk of reports_fact_open for all the facts, grouped in order. */
  async openReportsOfFacts(factIds: readonly string[]): Promise<ReportRecord[][]> {
    const keys = assertStrings(factIds, 'fact ids');
    if (keys.length === 0) return [];
    const docs = await this.gate.op(() =>
      this.reports
        .find({ factId: { $in: keys }, state: ReportState.OPEN })
        .sort({ updatedAt: -1, _id: -1 })
        .toArray(),
    );
    const byFact = new Map<string, ReportRecord[]>(keys.map((id) => [id, []]));
    for (const doc of docs) byFact.get(doc.factId)?.push(toReport(doc));
    return factIds.map((id) => byFact.get(id) ?? []);
  }

  /** Reports by id, null for an unknown one, in the order asked. */
  async reportsByIds(ids: readonly string[]): Promise<Array<ReportRecord | null>> {
    const keys = assertStrings(ids, 'report ids');
    if (keys.length === 0) return [];
    const docs = await this.gate.op(() => this.reports.find({ _id: { $in: keys } }).toArray());
    const byId = new Map(docs.map((doc) => [doc._id, toReport(doc)]));
    return ids.map((id) => byId.get(id) ?? null);
  }

  /** Every report in id order, a bounded batch per query. */
  async *allReports(): AsyncIterable<ReportRecord> {
    let after: string | null = null;
    for (;;) {
      const filter: Filter<ReportDoc> = after === null ? {} : { _id: { $gt: after } };
      const docs = await this.gate.op(() =>
        this.reports.find(filter).sort({ _id: 1 }).limit(BATCH).toArray(),
      );
      for (const doc of docs) yield toReport(doc);
      if (docs.length < BATCH) return;
      after = docs[docs.length - 1]._id;
    }
  }
}

/** Every caller value of a report write checked before anything reaches a query. */
function assertReportWrite(write: ReportWrite, now: Date): void {
  assertString(write.factId, 'factId');
  assertString(write.titleId, 'titleId');
  const report: ValidReport = write.report;
  assertString(report.voterId, 'voterId');
  if (!Object.values<string>(ReportReason).includes(report.reason)) {
    throw new TypeError(`reason must be one of ${Object.values(ReportReason).join(', ')}`);
  }
  for (const field of ['note', 'sourceUrl', 'suggestedText'] as const) {
    if (report[field] !== null) assertString(report[field], field);
  }
  if (!(now instanceof Date) || Number.isNaN(now.getTime())) {
    throw new TypeError('now must be a valid Date');
  }
}
