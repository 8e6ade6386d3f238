import {
  type AccuracyAggregate,
  type ChangeRecord,
  type FactReview,
  notReviewed,
  type QueueRank,
  type QueueThreshold,
  type ReportRecord,
  type ReviewResolution,
  type ReviewStatus,
  type ValidReport,
} from '../../model';
import type { Page } from './paging';
import type { TitleEdit, TitleEditOutcome } from './curation';

/**
 * Reports and the review queue (issue 22; the rules are src/model/report.ts and
 * src/model/review.ts, explained in docs/reviews.md). Each fact's review (its
 * status, report tally and ratings baseline) is kept with a stored `queued`
 * flag and `priority` (rankForReview), recomputed by every write that changes
 * them: a report, a rating of the fact (RatingStore.upsertRating), an editor's
 * transition, a change of the queue threshold. So the queue is read from an
 * index, never by scanning facts or ratings.
 */
export interface ReviewStore {
  /**
   * The threshold that puts a fact in the queue on its ratings alone (config).
   * Called once after opening, before serving; when it differs from the one
   * the stored flags were computed with, every fact's `queued` and `priority`
   * are recomputed. Until called, DEFAULT_QUEUE_THRESHOLD applies.
   */
  useQueueThreshold(threshold: QueueThreshold): Promise<void>;
  /**
   * Files the voter's report of the fact, or replaces their OPEN one (same id
   * and createdAt), and changes the fact's tally and rank by exactly the
   * difference (fileReport + recordReport). Concurrent calls, same voter
   * included, leave one OPEN report per (voter, fact) and a tally equal to a
   * recount (tallyOf) once they settle. The caller checked that the fact exists.
   */
  fileReport(write: ReportWrite, now: Date): Promise<ReportWriteResult>;
  /** One review per fact id, in id order; notReviewed() where nothing was kept. */
  reviewsOfFacts(factIds: readonly string[]): Promise<FactReview[]>;
  /** For each fact id, its OPEN reports, newest first (updatedAt, then id, descending). Editors only. */
  openReportsOfFacts(factIds: readonly string[]): Promise<ReportRecord[][]>;
  /** One entry per id, in id order; null where no report has that id. */
  reportsByIds(ids: readonly string[]): Promise<Array<ReportRecord | null>>;
  /**
   * Queued facts, highest priority first (then fact id ascending), after the
   * cursor (exclusive), optionally of one title and/or one status. Keyset
   * paging over an index on (queued, [titleId,] priority, factId): a page costs
   * what it returns, however deep, and entries that arrive or move do not
   * shift the pages of those that did not.
   */
  reviewQueue(query: ReviewQueueQuery): Promise<Page<ReviewQueueEntry>>;
  /**
   * An editor's transition of one fact's review (take up, resolve), atomic with
   * its change record and, when `edit` is given, with that title edit (e.g.
   * applying a suggested text, removing the fact). `apply` gets the review and
   * the fact's rating distribution as stored and must be pure: an adapter may
   * run it again on fresher state. Whatever it (or the edit) throws aborts with
   * nothing written. A resolution closes the fact's OPEN reports with its id
   * (closeReports, at its resolvedAt).
   *
   * Adapters: SQLite runs it in one transaction. MongoDB applies the edit
   * first, then the review; see mongo/ for what a crash between them leaves.
   */
  transitionReview(
    factId: string,
    titleId: string,
    apply: ReviewTransition,
    edit?: TitleEdit,
  ): Promise<ReviewTransitionOutcome>;
  /**
   * Every report and resolution, for catalog exports and moves between stores
   * (not for request paths), in id order.
   */
  allReports(): AsyncIterable<ReportRecord>;
  allResolutions(): AsyncIterable<ReviewResolution>;
  /** One entry per id, in id order; null where no resolution has that id. */
  resolutionsByIds(ids: readonly string[]): Promise<Array<ReviewResolution | null>>;
  /**
   * Writes review records as they are, for moves between stores and catalog
   * imports (not request paths): reports and resolutions upserted by id, fact
   * reviews by fact id (every kept field; the tally in them is ignored).
   * What is derived follows, as any report write or transition keeps it:
   * each named fact's tally stays tallyOf its OPEN reports (a report write
   * changes it by exactly the difference), and its rank is recomputed with
   * this store's threshold and ratings. Writing the same records again
   * changes nothing. Refused with an Error naming the report (nothing of that
   * report written): a report id this store has for another fact, and an
   * OPEN report of a voter and fact that has another OPEN report here (not
   * closed by these records; CLOSED reports are written first).
   *
   * Adapters: SQLite writes all of it in one transaction. MongoDB writes
   * record by record, each report as a report write with its tally marker
   * (report-tallies.ts): a write cut short is completed by writing the same
   * records again.
   */
  putReviewRecords(records: ReviewRecords): Promise<void>;
}

/**
 * A fact's review as kept: what no other record gives (status, last outcome
 * and date, the last resolution's id, when it was taken up, the ratings at
 * the last resolution). Its tally is derived (tallyOf its OPEN reports), and
 * so is its rank.
 */
export interface FactReviewRecord {
  factId: string;
  titleId: string;
  review: Omit<FactReview, 'reports'>;
}

/** The records of reports and reviews, as they move between stores and in catalog files. */
export interface ReviewRecords {
  reports: readonly ReportRecord[];
  resolutions: readonly ReviewResolution[];
  reviews: readonly FactReviewRecord[];
}

/**
 * A fact's review record, or null when it keeps nothing of its own (it is
 * notReviewed()'s but for the tally): a fact that was only rated or
 * reported has nothing to move but its ratings and reports.
 */
export function reviewRecordOf(
  factId: string,
  titleId: string,
  review: FactReview,
): FactReviewRecord | null {
  const { reports: _derived, ...kept } = review;
  const none = notReviewed();
  const isNone =
    kept.status === none.status &&
    kept.outcome === null &&
    kept.reviewedAt === null &&
    kept.reviewId === null &&
    kept.takenUpAt === null &&
    kept.ratingsAtReview.every((n) => n === 0);
  return isNone ? null : { factId, titleId, review: kept };
}

export interface ReportWrite {
  factId: string;
  titleId: string;
  report: ValidReport;
}

export interface ReportWriteResult {
  report: ReportRecord;
  /** false when the voter's open report was replaced. */
  created: boolean;
  /** The fact's review including this write. */
  review: FactReview;
}

export interface ReviewQueueQuery {
  titleId?: string | null;
  status?: ReviewStatus | null;
  first: number;
  /** The (priority, factId) of the previous page's last entry, exclusive. */
  after?: { priority: number; factId: string } | null;
}

export interface ReviewQueueEntry {
  factId: string;
  titleId: string;
  review: FactReview;
  rank: QueueRank;
}

/** Decides a transition from the review and rating distribution as stored. */
export type ReviewTransition = (current: {
  review: FactReview;
  distribution: AccuracyAggregate['distribution'];
}) => { review: FactReview; resolution: ReviewResolution | null; change: ChangeRecord };

export interface ReviewTransitionOutcome {
  review: FactReview;
  resolution: ReviewResolution | null;
  /** The title edit's outcome, when one was given. */
  edit: TitleEditOutcome | null;
}

/**
 * putReviewRecords refused a report: what the records say of it contradicts
 * this store (both adapters say it the same way). Nothing of that report was
 * written.
 */
export class ReviewRecordConflictError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ReviewRecordConflictError';
  }

  /** The id is this store's report of another fact. */
  static otherFact(report: ReportRecord, storedFactId: string): ReviewRecordConflictError {
    return new ReviewRecordConflictError(
      `report ${report.id} is of fact ${report.factId} in the records but of fact ` +
        `${storedFactId} in this store: a report id names one report; leave it out or give it another id`,
    );
  }

  /** The voter has another OPEN report of the fact here, which the records do not close. */
  static openConflict(report: ReportRecord, openId: string): ReviewRecordConflictError {
    return new ReviewRecordConflictError(
      `report ${report.id} is OPEN, but voter ${report.voterId} already has the OPEN report ` +
        `${openId} of fact ${report.factId} in this store (one OPEN report per voter and fact): ` +
        'include that report, closed, in the records, or leave this one out',
    );
  }
}
