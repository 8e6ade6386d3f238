import type { AccuracyAggregate } from './aggregate';
import { ChangeEntityType, ChangeOperation, fieldChanges, type ChangeRecord } from './change';
import { InvalidInputError } from './errors';
import { addToTally, emptyReportTally, ReportReason, type ReportTally } from './report';

/**
 * The review queue: which facts editors should check first, and where each
 * fact stands. Everything here is computed from what is kept with the fact
 * (its rating distribution, its report tally and its FactReview), never from
 * the ratings or reports themselves, so a store can keep `priority` and
 * `queued` as stored, indexed fields. docs/reviews.md explains the formula
 * with a worked example.
 *
 * What changes them, so what must recompute them on write:
 * - a rating of the fact (its distribution),
 * - a report of the fact (its tally),
 * - taking up or resolving its review (status, tally reset, ratings baseline),
 * - a change of the QueueThreshold setting (every fact's `queued`).
 */

// ---- the review state ------------------------------------------------------------

/**
 * Public: what readers see. UNDER_REVIEW only once an editor took the fact up,
 * so a burst of reports never brands a fact in public.
 */
export const ReviewStatus = {
  NOT_REVIEWED: 'NOT_REVIEWED',
  UNDER_REVIEW: 'UNDER_REVIEW',
  REVIEWED: 'REVIEWED',
} as const;
export type ReviewStatus = (typeof ReviewStatus)[keyof typeof ReviewStatus];

/** How an editor closed a review. Public, with its date. */
export const ReviewOutcome = {
  CONFIRMED_ACCURATE: 'CONFIRMED_ACCURATE',
  CORRECTED: 'CORRECTED',
  REMOVED: 'REMOVED',
  DISMISSED: 'DISMISSED',
} as const;
export type ReviewOutcome = (typeof ReviewOutcome)[keyof typeof ReviewOutcome];

/** Ratings per score, score i + 1 at index i: the AccuracyAggregate's. */
type Distribution = AccuracyAggregate['distribution'];

/** A fact's review, kept with the fact. */
export interface FactReview {
  status: ReviewStatus;
  /** The last resolution's outcome and date; kept while later reports reopen the entry. */
  outcome: ReviewOutcome | null;
  reviewedAt: Date | null;
  /** The last resolution's id (what its reports' closedBy names). */
  reviewId: string | null;
  /** When an editor took it up; null unless UNDER_REVIEW. */
  takenUpAt: Date | null;
  /** The fact's OPEN reports, counted. */
  reports: ReportTally;
  /**
   * The fact's rating distribution when it was last resolved (zeros before),
   * so the queue weighs the ratings given since: a fact confirmed accurate
   * does not re-enter on the very ratings an editor already answered.
   */
  ratingsAtReview: Distribution;
}

export function notReviewed(): FactReview {
  return {
    status: ReviewStatus.NOT_REVIEWED,
    outcome: null,
    reviewedAt: null,
    reviewId: null,
    takenUpAt: null,
    reports: emptyReportTally(),
    ratingsAtReview: [0, 0, 0, 0, 0],
  };
}

// ---- the ranking -------------------------------------------------------------------

/** 95% confidence: the lower bound is what the share of low scores is at least, 19 times in 20. */
export const WILSON_Z = 1.96;
/** Scores 1 (Inaccurate) and 2 (Mostly inaccurate) on the rating scale are "low". */
export const HIGHEST_LOW_SCORE = 2;
/** How much one open report of each reason counts. */
export const REASON_WEIGHTS: Readonly<Record<ReportReason, number>> = {
  INACCURATE: 1,
  MISLEADING: 1,
  OUTDATED: 0.75,
  UNVERIFIABLE: 0.5,
  OTHER: 0.5,
};
/** What a source adds to a report: an inaccurate report with a source counts twice. */
export const SOURCE_WEIGHT = 1;
/** The report weight at which the reports' part reaches one half. */
export const HALF_REPORT_WEIGHT = 2;

/**
 * When ratings alone put a fact in the queue: at least `minRatings` ratings
 * since its last review, whose low share's lower bound is at least
 * `minLowerBound`. A setting (changing it changes every fact's `queued`).
 */
export interface QueueThreshold {
  minRatings: number;
  minLowerBound: number;
}

export const DEFAULT_QUEUE_THRESHOLD: QueueThreshold = Object.freeze({
  minRatings: 10,
  minLowerBound: 0.3,
});

/** The figures behind a fact's rank: what a queue entry shows. */
export interface ReviewFigures {
  /** Ratings since the last review (all of them if never reviewed). */
  ratings: number;
  /** Of those, scores 1–2. */
  lowRatings: number;
  /** Wilson lower bound (z = 1.96) of lowRatings / ratings; 0 without ratings. */
  lowShareLowerBound: number;
  openReports: number;
  reportsWithSource: number;
  /** Σ REASON_WEIGHTS per open report + SOURCE_WEIGHT per report with a source. */
  reportWeight: number;
  /** reportWeight / (reportWeight + HALF_REPORT_WEIGHT): 0 to 1. */
  reportsPart: number;
  /** (lowShareLowerBound + reportsPart) / 2: 0 to 1, higher first. */
  priority: number;
}

export interface QueueRank {
  /** In the queue: an open report, an editor on it, or ratings over the threshold. */
  queued: boolean;
  priority: number;
  figures: ReviewFigures;
}

/**
 * The Wilson score interval's lower bound for `successes` out of `trials`:
 * unlike the plain share, 2 low ratings out of 2 rank below 60 out of 100,
 * because 2 votes prove little.
 */
export function wilsonLowerBound(successes: number, trials: number, z = WILSON_Z): number {
  if (trials <= 0) return 0;
  const p = successes / trials;
  const z2 = z * z;
  const centre = p + z2 / (2 * trials);
  const margin = z * Math.sqrt((p * (1 - p)) / trials + z2 / (4 * trials * trials));
  return Math.max(0, (centre - margin) / (1 + z2 / trials));
}

/**
 * Where a fact stands in the queue, from its rating distribution (the
 * AccuracyAggregate's, score i + 1 at index i) and its review.
 */
export function rankForReview(
  review: FactReview,
  distribution: Readonly<Distribution>,
  threshold: QueueThreshold = DEFAULT_QUEUE_THRESHOLD,
): QueueRank {
  // Since the last review; a voter who re-rated since may leave a bucket below
  // its baseline, which counts as none.
  const since = distribution.map((n, i) => Math.max(0, n - review.ratingsAtReview[i]));
  const ratings = since.reduce((a, b) => a + b, 0);
  const lowRatings = since.slice(0, HIGHEST_LOW_SCORE).reduce((a, b) => a + b, 0);
  const lowShareLowerBound = wilsonLowerBound(lowRatings, ratings);

  const { reports } = review;
  const reportWeight =
    Object.values(ReportReason).reduce(
      (sum, reason) => sum + REASON_WEIGHTS[reason] * reports.byReason[reason],
      0,
    ) +
    SOURCE_WEIGHT * reports.withSource;
  const reportsPart = reportWeight / (reportWeight + HALF_REPORT_WEIGHT);
  const priority = (lowShareLowerBound + reportsPart) / 2;

  const overThreshold =
    ratings >= threshold.minRatings && lowShareLowerBound >= threshold.minLowerBound;
  return {
    queued: review.status === ReviewStatus.UNDER_REVIEW || reports.open > 0 || overThreshold,
    priority,
    figures: {
      ratings,
      lowRatings,
      lowShareLowerBound,
      openReports: reports.open,
      reportsWithSource: reports.withSource,
      reportWeight,
      reportsPart,
      priority,
    },
  };
}

// ---- the transitions ---------------------------------------------------------------

/**
 * A report was filed or replaced (tallyDelta from fileReport). The status
 * does not move: a reviewed fact's entry reopens in the queue (it has an open
 * report now) but keeps showing its last outcome until an editor takes it up.
 */
export function recordReport(review: FactReview, tallyDelta: ReportTally): FactReview {
  return { ...review, reports: addToTally(review.reports, tallyDelta) };
}

/** An editor starts checking a queued fact: from now on the page says UNDER_REVIEW. */
export function takeUpReview(
  review: FactReview,
  distribution: Readonly<Distribution>,
  threshold: QueueThreshold,
  now: Date,
): FactReview {
  if (review.status === ReviewStatus.UNDER_REVIEW) {
    throw new InvalidInputError(
      'factId',
      `factId names a fact already under review since ${review.takenUpAt?.toISOString()}`,
    );
  }
  requireQueued(review, distribution, threshold);
  return { ...review, status: ReviewStatus.UNDER_REVIEW, takenUpAt: now };
}

export const MAX_RESOLUTION_NOTE_LENGTH = 1000;

/** An editor's resolution of a fact's review: what the audit trail and the reports' closedBy name. */
export interface ReviewResolution {
  id: string;
  factId: string;
  titleId: string;
  outcome: ReviewOutcome;
  /** The editor's note. Editors only. */
  note: string | null;
  resolvedAt: Date;
}

/**
 * An editor closes a queued fact's entry, taken up or not. Its open reports
 * close with it (the caller closes them with closeReports and the
 * resolution's id), and the ratings so far count as answered.
 */
export function resolveReview(
  ctx: { now: Date; newId(): string },
  review: FactReview,
  distribution: Readonly<Distribution>,
  threshold: QueueThreshold,
  input: { factId: string; titleId: string; outcome: string; note?: string | null },
): { review: FactReview; resolution: ReviewResolution } {
  if (!Object.values<string>(ReviewOutcome).includes(input.outcome)) {
    throw new InvalidInputError(
      'outcome',
      `outcome must be one of ${Object.values(ReviewOutcome).join(', ')}`,
    );
  }
  const note = input.note?.trim() ? input.note.trim() : null;
  if (note !== null && note.length > MAX_RESOLUTION_NOTE_LENGTH) {
    throw new InvalidInputError(
      'note',
      `note must be at most ${MAX_RESOLUTION_NOTE_LENGTH} characters`,
    );
  }
  requireQueued(review, distribution, threshold);
  const resolution: ReviewResolution = {
    id: ctx.newId(),
    factId: input.factId,
    titleId: input.titleId,
    outcome: input.outcome as ReviewOutcome,
    note,
    resolvedAt: ctx.now,
  };
  return {
    review: {
      status: ReviewStatus.REVIEWED,
      outcome: resolution.outcome,
      reviewedAt: ctx.now,
      reviewId: resolution.id,
      takenUpAt: null,
      reports: emptyReportTally(),
      ratingsAtReview: [...distribution] as Distribution,
    },
    resolution,
  };
}

function requireQueued(
  review: FactReview,
  distribution: Readonly<Distribution>,
  threshold: QueueThreshold,
): void {
  if (!rankForReview(review, distribution, threshold).queued) {
    throw new InvalidInputError(
      'factId',
      'factId names a fact that is not in the review queue: no open report, and its ratings are under the threshold',
    );
  }
}

/** What the audit trail shows of a review: the public state and the editor's note. */
const REVIEW_FIELDS = ['status', 'outcome', 'reviewedAt', 'note'] as const;

/**
 * The change record of an editor's transition of a fact's review (taken up,
 * or resolved with `resolution`), stored with it: the audit trail records who
 * closed what, when, with which outcome and note.
 */
export function reviewChange(
  ctx: { now: Date; newId(): string },
  about: { factId: string; titleId: string },
  before: FactReview,
  after: FactReview,
  resolution: ReviewResolution | null,
): ChangeRecord {
  const view = (review: FactReview, note: string | null) => ({
    status: review.status,
    outcome: review.outcome,
    reviewedAt: review.reviewedAt,
    note,
  });
  return {
    id: ctx.newId(),
    at: ctx.now,
    operation:
      resolution === null ? ChangeOperation.TAKE_UP_REVIEW : ChangeOperation.RESOLVE_REVIEW,
    titleId: about.titleId,
    entityType: ChangeEntityType.FACT_REVIEW,
    entityId: about.factId,
    revision: null,
    fields: fieldChanges(view(before, null), view(after, resolution?.note ?? null), [
      ...REVIEW_FIELDS,
    ]),
  };
}
