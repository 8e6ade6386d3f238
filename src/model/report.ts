import { InvalidInputError } from './errors';
import { MAX_FACT_TEXT_LENGTH, validFactText } from './fact';
import { VOTER_ID_PATTERN, VOTER_ID_RULE } from './rating';

/**
 * Viewers' reports: a viewer saying why a fact is wrong, optionally with a
 * note, a source and the text they think is right. Reports feed the review
 * queue (./review.ts); an editor's resolution closes them.
 *
 * One OPEN report per voter and fact: reporting again replaces the open one
 * (same id and createdAt, new fields). Once closed by a review, the voter's
 * next report is a new one.
 */

/** Why the viewer thinks the fact is wrong. */
export const ReportReason = {
  INACCURATE: 'INACCURATE',
  MISLEADING: 'MISLEADING',
  OUTDATED: 'OUTDATED',
  UNVERIFIABLE: 'UNVERIFIABLE',
  OTHER: 'OTHER',
} as const;
export type ReportReason = (typeof ReportReason)[keyof typeof ReportReason];

/** OPEN until an editor's review closes it (closedBy names that review). */
export const ReportState = { OPEN: 'OPEN', CLOSED: 'CLOSED' } as const;
export type ReportState = (typeof ReportState)[keyof typeof ReportState];

export const MAX_REPORT_NOTE_LENGTH = 500;
export const MAX_SOURCE_URL_LENGTH = 2000;
/** A suggested text becomes the fact's text: the limit every fact's text has. */
export const MAX_SUGGESTED_TEXT_LENGTH = MAX_FACT_TEXT_LENGTH;

export interface ReportRecord {
  id: string;
  factId: string;
  titleId: string;
  /** The anonymous voter id, the same ids ratings use. Editors only. */
  voterId: string;
  reason: ReportReason;
  /** Editors only. */
  note: string | null;
  /** Editors only: an http(s) URL, normalized by the WHATWG URL parser. */
  sourceUrl: string | null;
  /** The text the viewer proposes for the fact; an editor may apply it. Editors only. */
  suggestedText: string | null;
  createdAt: Date;
  /** When the voter last replaced it, or when a review closed it. */
  updatedAt: Date;
  state: ReportState;
  /** The review that closed it; null while OPEN. */
  closedBy: string | null;
}

/** What a viewer sends, before validation. */
export interface ReportInput {
  voterId: string;
  reason: string;
  note?: string | null;
  sourceUrl?: string | null;
  suggestedText?: string | null;
}

/** A report's content after validation: what a ReportRecord stores from the input. */
export type ValidReport = Pick<
  ReportRecord,
  'voterId' | 'reason' | 'note' | 'sourceUrl' | 'suggestedText'
>;

/**
 * Checks a viewer's report and returns it cleaned (trimmed; empty note or
 * source → null), or throws InvalidInputError naming the first bad field, so
 * nothing is written for bad input.
 */
export function validateReport(input: ReportInput): ValidReport {
  if (!VOTER_ID_PATTERN.test(input.voterId)) throw new InvalidInputError('voterId', VOTER_ID_RULE);
  if (!Object.values<string>(ReportReason).includes(input.reason)) {
    throw new InvalidInputError(
      'reason',
      `reason must be one of ${Object.values(ReportReason).join(', ')}`,
    );
  }
  return {
    voterId: input.voterId,
    reason: input.reason as ReportReason,
    note: validNote(input.note),
    sourceUrl: validSourceUrl(input.sourceUrl),
    suggestedText: validSuggestedText(input.suggestedText),
  };
}

function validNote(note: string | null | undefined): string | null {
  const trimmed = note?.trim() ?? '';
  if (trimmed === '') return null;
  if (trimmed.length > MAX_REPORT_NOTE_LENGTH) {
    throw new InvalidInputError(
      'note',
      `note must be at most ${MAX_REPORT_NOTE_LENGTH} characters`,
    );
  }
  return trimmed;
}

/**
 * Parsed with the WHATWG URL parser (what browsers follow), so what an editor
 * later opens is what was checked here: http(s) only, no user or password
 * (a link that logs in somewhere is not a source), at most 2,000 characters
 * as given and as stored.
 */
function validSourceUrl(sourceUrl: string | null | undefined): string | null {
  const trimmed = sourceUrl?.trim() ?? '';
  if (trimmed === '') return null;
  const tooLong = () =>
    new InvalidInputError(
      'sourceUrl',
      `sourceUrl must be at most ${MAX_SOURCE_URL_LENGTH} characters`,
    );
  if (trimmed.length > MAX_SOURCE_URL_LENGTH) throw tooLong();
  let url: URL;
  try {
    url = new URL(trimmed);
  } catch {
    throw new InvalidInputError('sourceUrl', 'sourceUrl must be an http(s) URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new InvalidInputError('sourceUrl', 'sourceUrl must be an http(s) URL');
  }
  if (url.username !== '' || url.password !== '') {
    throw new InvalidInputError('sourceUrl', 'sourceUrl must not contain a user name or password');
  }
  if (url.href.length > MAX_SOURCE_URL_LENGTH) throw tooLong();
  return url.href;
}

/** A suggestion must be a text an editor can apply as it is: the fact text rule. */
function validSuggestedText(text: string | null | undefined): string | null {
  if (text === null || text === undefined) return null;
  return validFactText('suggestedText', text);
}

// ---- the counts kept with each fact ----------------------------------------------

/**
 * A fact's OPEN reports, counted: what the page shows (counts by reason) and
 * what the queue ranks by, readable without loading a single report. Every
 * report write updates it by the exact difference it makes (reportTallyDelta),
 * so concurrent writes stay exact, as rating aggregates do.
 */
export interface ReportTally {
  open: number;
  byReason: Record<ReportReason, number>;
  /** Open reports that name a source. */
  withSource: number;
}

export function emptyReportTally(): ReportTally {
  return {
    open: 0,
    byReason: { INACCURATE: 0, MISLEADING: 0, OUTDATED: 0, UNVERIFIABLE: 0, OTHER: 0 },
    withSource: 0,
  };
}

/** What replacing `previous` (null: none open) with `next` changes in the fact's tally. */
export function reportTallyDelta(
  previous: Pick<ReportRecord, 'reason' | 'sourceUrl'> | null,
  next: Pick<ReportRecord, 'reason' | 'sourceUrl'>,
): ReportTally {
  const delta = emptyReportTally();
  delta.open = previous === null ? 1 : 0;
  delta.byReason[next.reason] += 1;
  if (next.sourceUrl !== null) delta.withSource += 1;
  if (previous !== null) {
    delta.byReason[previous.reason] -= 1;
    if (previous.sourceUrl !== null) delta.withSource -= 1;
  }
  return delta;
}

/** The tally plus a delta: what a store's atomic increments compute. */
export function addToTally(tally: ReportTally, delta: ReportTally): ReportTally {
  const byReason = { ...tally.byReason };
  for (const reason of Object.values(ReportReason)) byReason[reason] += delta.byReason[reason];
  return {
    open: tally.open + delta.open,
    byReason,
    withSource: tally.withSource + delta.withSource,
  };
}

/** Recounts a tally from reports: the reference the maintained one must equal. */
export function tallyOf(reports: Iterable<ReportRecord>): ReportTally {
  let tally = emptyReportTally();
  for (const report of reports) {
    if (report.state === ReportState.OPEN)
      tally = addToTally(tally, reportTallyDelta(null, report));
  }
  return tally;
}

// ---- writes --------------------------------------------------------------------------

/**
 * A voter's report of a fact. `open` is that voter's OPEN report of the fact
 * (null when there is none): it is replaced, keeping its id and createdAt.
 * Returns the record to store and the change to the fact's tally.
 */
export function fileReport(
  ctx: { now: Date; newId(): string },
  open: ReportRecord | null,
  about: Pick<ReportRecord, 'factId' | 'titleId'>,
  report: ValidReport,
): { report: ReportRecord; tallyDelta: ReportTally } {
  if (
    open !== null &&
    (open.state !== ReportState.OPEN ||
      open.factId !== about.factId ||
      open.voterId !== report.voterId)
  ) {
    // A caller's mistake, never a viewer's: the store looked up the wrong report.
    throw new Error(`Report ${open.id} is not this voter's open report of fact ${about.factId}`);
  }
  const record: ReportRecord = {
    id: open?.id ?? ctx.newId(),
    ...about,
    ...report,
    createdAt: open?.createdAt ?? ctx.now,
    updatedAt: ctx.now,
    state: ReportState.OPEN,
    closedBy: null,
  };
  return { report: record, tallyDelta: reportTallyDelta(open, report) };
}

/** The fact's open reports, closed by the review `reviewId` that resolved it. */
export function closeReports(
  reports: readonly ReportRecord[],
  reviewId: string,
  now: Date,
): ReportRecord[] {
  return reports
    .filter((report) => report.state === ReportState.OPEN)
    .map((report) => ({
      ...report,
      state: ReportState.CLOSED,
      closedBy: reviewId,
      updatedAt: now,
    }));
}
