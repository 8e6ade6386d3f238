/**
 * ## Reports and the review queue without multi-document transactions
 *
 * The ReviewStore role on MongoDB: a thin composition, one file per concern,
 * each with the comment that says why it is exact without transactions:
 * - review-reports.ts: report writes (fileReport; closing a fact's OPEN
 *   reports, step 5 of a transition) and report reads;
 * - report-tallies.ts: a report write's tally on its fact's review (a marker
 *   on the report, an exact $inc on the review, settled by a sweep after a crash);
 * - review-ranks.ts: the stored rank (`queued`, `priority`), an optimistic
 *   re-rank after every write of one of its inputs, which converges;
 * - review-queue.ts: the queue threshold, the re-ranks other roles' writes
 *   owe (ratings, title edits), reviews and queue reads;
 * - review-transitions.ts: an editor's transition, its crash recovery, and
 *   the resolutions it stores;
 * - review-records.ts: putReviewRecords (kept records written as they are).
 *
 * So the recount is always possible and always agrees: the fact's tally plus
 * the deltas of markers still pending on its reports is tallyOf its OPEN
 * reports (the reports are the truth; `sweepPendingReviews(0)` settles every
 * marker, after which the tally is the recount).
 */
import type { FactReview, QueueThreshold, ReportRecord, ReviewResolution } from '../../model';
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
import type { MongoAudit } from './audit';
import type { MongoCuration } from './curation';
import type { MongoGate } from './gate';
import { ReportTallies } from './report-tallies';
import type { FactReviewDoc, ResolutionDoc } from './review-documents';
import { ReviewQueue } from './review-queue';
import { ReviewRanks } from './review-ranks';
import { ReviewRecordWrites } from './review-records';
import { ReviewReports } from './review-reports';
import { ReviewTransitions } from './review-transitions';

/** Reports, reviews and the queue on MongoDB: each method delegates to its part (see above). */
export class MongoReviews implements ReviewStore {
  /** Shared by every part: each write re-ranks what it changed. */
  private readonly ranks: ReviewRanks;
  /** Shared by every report write (filing, closing, putting records) and by the sweep. */
  private readonly tallies: ReportTallies;
  private readonly reports: ReviewReports;
  private readonly queue: ReviewQueue;
  private readonly transitions: ReviewTransitions;
  private readonly records: ReviewRecordWrites;

  constructor(
    gate: MongoGate,
    curation: Pick<MongoCuration, 'editTitles'>,
    audit: Pick<MongoAudit, 'copyChanges'>,
  ) {
    this.ranks = new ReviewRanks(gate);
    this.tallies = new ReportTallies(gate, this.ranks);
    this.reports = new ReviewReports(gate, this.ranks, this.tallies);
    this.queue = new ReviewQueue(gate, this.ranks);
    this.transitions = new ReviewTransitions(gate, curation, audit, this.ranks, (review, res) =>
      this.closeOpenReports(review, res),
    );
    this.records = new ReviewRecordWrites(gate, this.ranks, this.tallies);
  }

  useQueueThreshold(threshold: QueueThreshold): Promise<void> {
    return this.queue.useQueueThreshold(threshold);
  }
  fileReport(write: ReportWrite, now: Date): Promise<ReportWriteResult> {
    return this.reports.fileReport(write, now);
  }
  reviewsOfFacts(factIds: readonly string[]): Promise<FactReview[]> {
    return this.queue.reviewsOfFacts(factIds);
  }
  openReportsOfFacts(factIds: readonly string[]): Promise<ReportRecord[][]> {
    return this.reports.openReportsOfFacts(factIds);
  }
  reportsByIds(ids: readonly string[]): Promise<Array<ReportRecord | null>> {
    return this.reports.reportsByIds(ids);
  }
  reviewQueue(query: ReviewQueueQuery): Promise<Page<ReviewQueueEntry>> {
    return this.queue.reviewQueue(query);
  }
  transitionReview(
    factId: string,
    titleId: string,
    apply: ReviewTransition,
    edit?: TitleEdit,
  ): Promise<ReviewTransitionOutcome> {
    return this.transitions.transitionReview(factId, titleId, apply, edit);
  }
  allReports(): AsyncIterable<ReportRecord> {
    return this.reports.allReports();
  }
  allResolutions(): AsyncIterable<ReviewResolution> {
    return this.transitions.allResolutions();
  }
  resolutionsByIds(ids: readonly string[]): Promise<Array<ReviewResolution | null>> {
    return this.transitions.resolutionsByIds(ids);
  }
  putReviewRecords(records: ReviewRecords): Promise<void> {
    return this.records.putReviewRecords(records);
  }

  /**
   * Step 5 of a transition, a report write (review-reports.ts). The
   * transitions reach it through here, looked up at each call, so the crash
   * tests can cut a transition right before it.
   */
  private closeOpenReports(
    review: Pick<FactReviewDoc, '_id' | 'titleId'>,
    resolution: ResolutionDoc,
  ): Promise<void> {
    return this.reports.closeOpenReports(review, resolution);
  }

  // ---- hooks and maintenance (MongoStore wires them) ------------------------------

  /** A rating's delta reached its aggregate (see ReviewQueue.aggregateChanged). */
  aggregateChanged(key: string): Promise<void> {
    return this.queue.aggregateChanged(key);
  }

  /** A title write removed or added back these facts (see ReviewQueue.factsChanged). */
  factsChanged(factIds: readonly string[]): Promise<void> {
    return this.queue.factsChanged(factIds);
  }

  /**
   * Settles what crashes left, older than `olderThanMs`: report tally markers
   * (report-tallies.ts), then transitions' steps 4-6 (review-transitions.ts).
   * Returns how many it settled.
   */
  async sweepPending(olderThanMs: number): Promise<number> {
    const markers = await this.tallies.sweep(olderThanMs);
    return markers + (await this.transitions.sweep(olderThanMs));
  }
}
