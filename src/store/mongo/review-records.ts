/**
 * ## Kept review records written as they are (store:copy, catalog imports)
 *
 * putReviewRecords: resolutions, reports and fact reviews written as given,
 * with the tallies and ranks derived the way every other write derives them
 * (a report write with its tally marker, report-tallies.ts; a re-rank,
 * review-ranks.ts). Each step is safe to repeat, so writing the records
 * again after a crash completes them. Part of the ReviewStore role
 * (reviews.ts composes it).
 */
import type { Collection } from 'mongodb';
import stringify from 'safe-stable-stringify';
import {
  addToTally,
  notReviewed,
  type ReportRecord,
  ReportState,
  reportTallyDelta,
  StoreUnavailableError,
} from '../../model';
import { newStoreId } from '../ids';
import type { ReviewRecords } from '../port';
import { ReviewRecordConflictError } from '../port';
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
  resolutionDoc,
  type ResolutionDoc,
  reviewFields,
  toReport,
  toReview,
} from './review-documents';
import type { ReviewRanks } from './review-ranks';
import { saveResolutions } from './review-transitions';
import { CAS_ATTEMPTS, DUPLICATE_KEY_ATTEMPTS } from './retries';

/** ReviewStore.putReviewRecords on MongoDB: kept records in, derived state recomputed. */
export class ReviewRecordWrites {
  private readonly reports: Collection<ReportDoc>;
  private readonly reviews: Collection<FactReviewDoc>;
  private readonly resolutions: Collection<ResolutionDoc>;

  constructor(
    private readonly gate: MongoGate,
    private readonly ranks: ReviewRanks,
    private readonly tallies: ReportTallies,
  ) {
    this.reports = gate.reports;
    this.reviews = gate.factReviews;
    this.resolutions = gate.reviewResolutions;
  }

  /**
   * Record by record, each step safe to repeat: the resolutions (upserts by
   * id); the reports, CLOSED first, each a report write with its tally
   * marker (putReport); the fact reviews' kept fields (moving `rev`, so a
   * concurrent re-rank reads them again); then one re-rank of each fact named.
   */
  async putReviewRecords(records: ReviewRecords): Promise<void> {
    await this.gate.op(async () => {
      if (records.resolutions.length > 0) {
        await saveResolutions(this.resolutions, records.resolutions.map(resolutionDoc));
      }
      const facts = new Map<string, string>();
      const closedFirst = [...records.reports].sort(
        (a, b) => Number(a.state === ReportState.OPEN) - Number(b.state === ReportState.OPEN),
      );
      for (const report of closedFirst) {
        await this.ranks.ensureReview(report.factId, report.titleId);
        await this.putReport(report);
        facts.set(report.factId, report.titleId);
      }
      for (const { factId, titleId, review } of records.reviews) {
        await this.ranks.ensureReview(factId, titleId);
        const fields = { titleId, ...reviewFields(review) };
        const stored = await this.reviews.findOne({ _id: factId });
        const same =
          stored !== null &&
          stringify({ titleId: stored.titleId, ...reviewFields(toReview(stored)) }) ===
            stringify(fields);
        if (!same)
          await this.reviews.updateOne({ _id: factId }, { $set: fields, $inc: { rev: 1 } });
        facts.set(factId, titleId);
      }
      for (const factId of facts.keys()) await this.ranks.rerank(factId);
    });
  }

  /**
   * One report as it is, as a report write (step 1 of fileReport, then the
   * tally's steps without the re-rank): inserted, or replaced by a
   * compare-and-set on its `version`, with a marker whose delta is what the
   * replacement changes in the fact's tally (its contribution while OPEN,
   * none once CLOSED). Markers an earlier write left on it are settled first
   * (settle is exact whoever else applies them), so writing the records
   * again after a crash completes their tallies. A report already as given
   * is not written.
   */
  private async putReport(report: ReportRecord): Promise<void> {
    const open = report.state === ReportState.OPEN;
    const openKey = openKeyOf(report.factId, report.voterId);
    const tallied = { _id: report.id, factId: report.factId, titleId: report.titleId };
    let lostInserts = 0;
    for (let attempt = 1; attempt <= CAS_ATTEMPTS; attempt++) {
      const doc = await this.reports.findOne({ _id: report.id });
      if (doc && doc.factId !== report.factId) {
        throw ReviewRecordConflictError.otherFact(report, doc.factId);
      }
      if (doc?.pendingTally?.length) {
        // An earlier write of it stopped before its tally (this one, cut short): settle, read again.
        for (const earlier of doc.pendingTally) await this.tallies.settle(tallied, earlier);
        continue;
      }
      if (doc && stringify(toReport(doc)) === stringify(report)) return;
      const added = open ? reportTallyDelta(null, report) : notReviewed().reports;
      const delta = doc?.state === ReportState.OPEN ? addToTally(added, closingDelta(doc)) : added;
      const marker: PendingTally = { op: newStoreId(), at: new Date(), delta };
      const holder = async () =>
        open
          ? await this.reports.findOne(
              { openKey, _id: { $ne: report.id } },
              { projection: { _id: 1 } },
            )
          : null;
      try {
        if (!doc) {
          const inserted: ReportDoc = {
            _id: report.id,
            ...reportFields(report),
            ...(open ? { openKey } : {}),
            version: 1,
            pendingTally: [marker],
          };
          await this.gate.insertUnique(
            () => this.reports.insertOne(inserted),
            async () => (await holder()) !== null,
            async () =>
              (
                await this.reports.deleteOne({
                  _id: report.id,
                  version: 1,
                  pendingTally: { $size: 1 },
                  'pendingTally.op': marker.op,
                })
              ).deletedCount === 1,
          );
        } else {
          const written = await this.reports.updateOne(
            { _id: doc._id, version: doc.version },
            {
              $set: {
                ...reportFields(report),
                version: doc.version + 1,
                ...(open ? { openKey } : {}),
              },
              ...(open ? {} : { $unset: { openKey: '' } }),
              $push: { pendingTally: marker },
            },
          );
          if (written.matchedCount === 0) continue; // written meanwhile: read it again
        }
      } catch (error) {
        if (!isDuplicateKeyError(error)) throw error;
        const other = await holder();
        if (other) throw ReviewRecordConflictError.openConflict(report, other._id);
        if (++lostInserts >= DUPLICATE_KEY_ATTEMPTS) throw error;
        continue; // inserted meanwhile under this id: read it again
      }
      await this.tallies.apply(tallied, marker, false);
      return;
    }
    throw new StoreUnavailableError(
      `The report ${report.id} kept changing during the write; write the records again`,
    );
  }
}
