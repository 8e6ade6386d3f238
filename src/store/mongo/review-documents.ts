import {
  type AccuracyAggregate,
  type FactReview,
  notReviewed,
  type QueueThreshold,
  rankForReview,
  type ReportReason,
  type ReportRecord,
  type ReportTally,
  type ReviewFigures,
  type ReviewResolution,
  type ReviewStatus,
} from '../../model';
import type { ChangeDoc } from './document-model';

/**
 * How reports and reviews are stored as MongoDB documents (reviews.ts and
 * the files it names say why the writes are exact without transactions).
 * Pure functions, no driver calls.
 *
 * - `reports`: one document per report. While OPEN it carries `openKey`
 *   (fact and voter), the key of a unique sparse index: one OPEN report per
 *   voter and fact, checked atomically by every insert. `version` moves with
 *   every write of the report (the compare-and-set token of a replace or a
 *   close), and `pendingTally` lists the tally changes of its writes not yet
 *   known to be applied to the review (report-tallies.ts).
 * - `fact_reviews`: one document per fact (`_id` the fact id): its FactReview,
 *   its title, the stored rank (`queued`, `priority` and the `figures` behind
 *   it) and `rev`, the compare-and-set token every change of a rank input
 *   moves (review-ranks.ts).
 * - `review_resolutions`: one document per resolution.
 * - `settings`: the queue threshold the stored `queued` flags were computed with.
 */

/** A tally change as stored with the report write that makes it. */
export interface PendingTally {
  /** Unique per write: the review records which ones it has applied (FactReviewDoc.tallied). */
  op: string;
  /** Wall clock of the writer when it wrote the report: the sweep settles markers older than its age. */
  at: Date;
  delta: ReportTally;
}

export type ReportDoc = Omit<ReportRecord, 'id'> & {
  _id: string;
  /** openKeyOf(factId, voterId) while OPEN, absent once CLOSED (the unique sparse index skips it). */
  openKey?: string;
  version: number;
  pendingTally?: PendingTally[];
};

/** What an editor's transition left to do after its review write (review-transitions.ts). */
export interface PendingTransition {
  at: Date;
  change: ChangeDoc;
  /** A resolution: to store, and whose id closes the fact's OPEN reports. */
  resolution: ResolutionDoc | null;
}

export type FactReviewDoc = {
  _id: string;
  titleId: string;
  status: ReviewStatus;
  outcome: FactReview['outcome'];
  reviewedAt: Date | null;
  reviewId: string | null;
  takenUpAt: Date | null;
  reports: ReportTally;
  ratingsAtReview: number[];
  /** In the queue (rankForReview's queued, and false once the fact is gone). */
  queued: boolean;
  priority: number;
  /** The figures `priority` was computed from: what a queue entry shows, its cursor included. */
  figures: ReviewFigures;
  /** Moves with every write of a rank input kept here, and with every re-rank. */
  rev: number;
  /** Tally changes applied by op id, until their markers are cleared (report-tallies.ts). */
  tallied?: Array<{ op: string; at: Date }>;
  /** Writers apply their own tally change only for markers newer than this (sweeps own older ones). */
  tallyHorizon?: Date;
  /** Bumped by every tally change a sweep applies: the compare-and-set between concurrent sweeps. */
  tallySweeps?: number;
  pendingTransition?: PendingTransition;
};

export type ResolutionDoc = Omit<ReviewResolution, 'id'> & { _id: string };

export const QUEUE_THRESHOLD_ID = 'reviewQueueThreshold';

export type SettingsDoc = { _id: typeof QUEUE_THRESHOLD_ID } & QueueThreshold;

/**
 * The unique key of a voter's OPEN report of a fact. JSON, so no fact id or
 * voter id can make two pairs share a key.
 */
export function openKeyOf(factId: string, voterId: string): string {
  return JSON.stringify([factId, voterId]);
}

/** The record of a stored report, without the bookkeeping (key, version, markers). */
export function toReport(doc: ReportDoc): ReportRecord {
  return {
    id: doc._id,
    factId: doc.factId,
    titleId: doc.titleId,
    voterId: doc.voterId,
    reason: doc.reason,
    note: doc.note ?? null,
    sourceUrl: doc.sourceUrl ?? null,
    suggestedText: doc.suggestedText ?? null,
    createdAt: doc.createdAt,
    updatedAt: doc.updatedAt,
    state: doc.state,
    closedBy: doc.closedBy ?? null,
  };
}

/** The report's fields as a write sets them (everything but `_id` and the bookkeeping). */
export function reportFields(report: ReportRecord): Omit<ReportDoc, '_id' | 'version'> {
  const { id: _unused, ...fields } = report;
  return fields;
}

/** The FactReview of a stored review; counters a partial $inc left missing count as zero. */
export function toReview(doc: FactReviewDoc): FactReview {
  const base = notReviewed();
  const reports = doc.reports ?? base.reports;
  return {
    status: doc.status ?? base.status,
    outcome: doc.outcome ?? null,
    reviewedAt: doc.reviewedAt ?? null,
    reviewId: doc.reviewId ?? null,
    takenUpAt: doc.takenUpAt ?? null,
    reports: {
      open: Number(reports.open ?? 0),
      byReason: Object.fromEntries(
        Object.keys(base.reports.byReason).map((reason) => [
          reason,
          Number(reports.byReason?.[reason as ReportReason] ?? 0),
        ]),
      ) as ReportTally['byReason'],
      withSource: Number(reports.withSource ?? 0),
    },
    ratingsAtReview: distributionOf(doc.ratingsAtReview),
  };
}

/** A fact's review document before anything happened to it: notReviewed(), out of the queue. */
export function freshReviewDoc(factId: string, titleId: string): FactReviewDoc {
  return {
    _id: factId,
    titleId,
    ...reviewFields(notReviewed()),
    reports: notReviewed().reports,
    queued: false,
    priority: 0,
    figures: rankForReview(notReviewed(), [0, 0, 0, 0, 0]).figures,
    rev: 0,
  };
}

/**
 * What an editor's transition sets of the review: everything but the report
 * tally, which only report writes change (each by its own exact difference,
 * closing ones included), so a report filed meanwhile is never lost or
 * counted twice.
 */
export function reviewFields(
  review: Omit<FactReview, 'reports'>,
): Pick<
  FactReviewDoc,
  'status' | 'outcome' | 'reviewedAt' | 'reviewId' | 'takenUpAt' | 'ratingsAtReview'
> {
  return {
    status: review.status,
    outcome: review.outcome,
    reviewedAt: review.reviewedAt,
    reviewId: review.reviewId,
    takenUpAt: review.takenUpAt,
    ratingsAtReview: [...review.ratingsAtReview],
  };
}

/** The $inc of a tally change on the review document (flat dotted paths, zeros left out). */
export function tallyIncrement(delta: ReportTally): Record<string, number> {
  const inc: Record<string, number> = {};
  if (delta.open !== 0) inc['reports.open'] = delta.open;
  for (const [reason, n] of Object.entries(delta.byReason)) {
    if (n !== 0) inc[`reports.byReason.${reason}`] = n;
  }
  if (delta.withSource !== 0) inc['reports.withSource'] = delta.withSource;
  return inc;
}

/** The tally change of closing an OPEN report: its own contribution, taken back. */
export function closingDelta(report: Pick<ReportRecord, 'reason' | 'sourceUrl'>): ReportTally {
  const delta = notReviewed().reports;
  delta.open = -1;
  delta.byReason[report.reason] = -1;
  if (report.sourceUrl !== null) delta.withSource = -1;
  return delta;
}

/** The record of a stored resolution (its id is the document's `_id`). */
export function toResolution(doc: ResolutionDoc): ReviewResolution {
  return {
    id: doc._id,
    factId: doc.factId,
    titleId: doc.titleId,
    outcome: doc.outcome,
    note: doc.note ?? null,
    resolvedAt: doc.resolvedAt,
  };
}

/** A resolution as stored: its id becomes `_id`, the key allResolutions walks. */
export function resolutionDoc(resolution: ReviewResolution): ResolutionDoc {
  const { id, ...rest } = resolution;
  return { _id: id, ...rest };
}

type Distribution = AccuracyAggregate['distribution'];

/** Five counts, whatever was stored (missing counts as zero). */
export function distributionOf(stored: readonly unknown[] | undefined | null): Distribution {
  const at = (i: number) => Number(stored?.[i] ?? 0);
  return [at(0), at(1), at(2), at(3), at(4)];
}
