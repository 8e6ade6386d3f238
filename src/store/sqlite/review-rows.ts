import {
  type FactReview,
  type ReportReason,
  type ReportRecord,
  type ReportState,
  type ReviewOutcome,
  type ReviewResolution,
  type ReviewStatus,
} from '../../model';

/**
 * How reports, fact reviews and review resolutions map to the embedded
 * store's rows (migration 4), as rows.ts does for the rest: snake_case
 * columns, dates as milliseconds since the epoch. Pure functions.
 */

export interface ReportRow {
  pk: number;
  id: string;
  fact_id: string;
  title_id: string;
  voter_id: string;
  reason: ReportReason;
  note: string | null;
  source_url: string | null;
  suggested_text: string | null;
  created_at: number;
  updated_at: number;
  state: ReportState;
  closed_by: string | null;
}

export function toReport(row: ReportRow): ReportRecord {
  return {
    id: row.id,
    factId: row.fact_id,
    titleId: row.title_id,
    voterId: row.voter_id,
    reason: row.reason,
    note: row.note,
    sourceUrl: row.source_url,
    suggestedText: row.suggested_text,
    createdAt: new Date(row.created_at),
    updatedAt: new Date(row.updated_at),
    state: row.state,
    closedBy: row.closed_by,
  };
}

export function reportParams(report: ReportRecord): Omit<ReportRow, 'pk'> {
  return {
    id: report.id,
    fact_id: report.factId,
    title_id: report.titleId,
    voter_id: report.voterId,
    reason: report.reason,
    note: report.note,
    source_url: report.sourceUrl,
    suggested_text: report.suggestedText,
    created_at: report.createdAt.getTime(),
    updated_at: report.updatedAt.getTime(),
    state: report.state,
    closed_by: report.closedBy,
  };
}

/** A fact's review with its stored rank (see migration 4). */
export interface FactReviewRow {
  fact_id: string;
  title_id: string;
  status: ReviewStatus;
  outcome: ReviewOutcome | null;
  reviewed_at: number | null;
  review_id: string | null;
  taken_up_at: number | null;
  open_reports: number;
  inaccurate: number;
  misleading: number;
  outdated: number;
  unverifiable: number;
  other: number;
  with_source: number;
  at_review_d1: number;
  at_review_d2: number;
  at_review_d3: number;
  at_review_d4: number;
  at_review_d5: number;
  /** 1: in the queue. */
  queued: number;
  priority: number;
}

export function toFactReview(row: FactReviewRow): FactReview {
  const date = (ms: number | null) => (ms === null ? null : new Date(ms));
  return {
    status: row.status,
    outcome: row.outcome,
    reviewedAt: date(row.reviewed_at),
    reviewId: row.review_id,
    takenUpAt: date(row.taken_up_at),
    reports: {
      open: row.open_reports,
      byReason: {
        INACCURATE: row.inaccurate,
        MISLEADING: row.misleading,
        OUTDATED: row.outdated,
        UNVERIFIABLE: row.unverifiable,
        OTHER: row.other,
      },
      withSource: row.with_source,
    },
    ratingsAtReview: [
      row.at_review_d1,
      row.at_review_d2,
      row.at_review_d3,
      row.at_review_d4,
      row.at_review_d5,
    ],
  };
}

export function factReviewParams(
  about: { factId: string; titleId: string },
  review: FactReview,
  rank: { queued: boolean; priority: number },
): FactReviewRow {
  const { byReason } = review.reports;
  const [d1, d2, d3, d4, d5] = review.ratingsAtReview;
  return {
    fact_id: about.factId,
    title_id: about.titleId,
    status: review.status,
    outcome: review.outcome,
    reviewed_at: review.reviewedAt?.getTime() ?? null,
    review_id: review.reviewId,
    taken_up_at: review.takenUpAt?.getTime() ?? null,
    open_reports: review.reports.open,
    inaccurate: byReason.INACCURATE,
    misleading: byReason.MISLEADING,
    outdated: byReason.OUTDATED,
    unverifiable: byReason.UNVERIFIABLE,
    other: byReason.OTHER,
    with_source: review.reports.withSource,
    at_review_d1: d1,
    at_review_d2: d2,
    at_review_d3: d3,
    at_review_d4: d4,
    at_review_d5: d5,
    queued: rank.queued ? 1 : 0,
    priority: rank.priority,
  };
}

export interface ResolutionRow {
  id: string;
  fact_id: string;
  title_id: string;
  outcome: ReviewOutcome;
  note: string | null;
  resolved_at: number;
}

export function toResolution(row: ResolutionRow): ReviewResolution {
  return {
    id: row.id,
    factId: row.fact_id,
    titleId: row.title_id,
    outcome: row.outcome,
    note: row.note,
    resolvedAt: new Date(row.resolved_at),
  };
}

export function resolutionParams(resolution: ReviewResolution): ResolutionRow {
  return {
    id: resolution.id,
    fact_id: resolution.factId,
    title_id: resolution.titleId,
    outcome: resolution.outcome,
    note: resolution.note,
    resolved_at: resolution.resolvedAt.getTime(),
  };
}
