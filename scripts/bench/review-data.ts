import {
  type AccuracyAggregate,
  type Catalog,
  DEFAULT_QUEUE_THRESHOLD,
  type FactRecord,
  type FactReview,
  fileReport,
  notReviewed,
  type QueueRank,
  rankForReview,
  recordReport,
  ReportReason,
  type ReportRecord,
  UNVERIFIED,
  validateReport,
} from '../../src/model';
import { benchCatalog, titleIdAt } from './fixtures';

/**
 * Issue 22's bench data: a catalog of `facts` facts (ten per title), every
 * fact rated ten times, some reported, in a pattern that repeats every 100
 * facts, so the small catalog (100 facts) and the large one (100,000) put
 * the same share of facts in the review queue (12%: a queue of 12 and one of
 * 12,000 entries) and their queues look alike page by page. Pure: the store
 * writers are review-fixtures.ts; the expected queue is the model's own
 * rankForReview, so the bench checks each store's answer against it.
 */

export const FACTS_PER_TITLE = 10;
export const RATINGS_PER_FACT = 10;
/** The pattern's length: a catalog's fact count must be a multiple of it. */
export const PATTERN_FACTS = 100;

interface PlannedReport {
  reason: ReportReason;
  source: boolean;
}

/** How one fact is rated (low: how many of its ten ratings are 1 or 2) and reported. */
interface FactPlan {
  low: number;
  reports: readonly PlannedReport[];
}

const { INACCURATE, MISLEADING, OUTDATED, UNVERIFIABLE, OTHER } = ReportReason;

/** An ordinary fact: scores 1-5 twice, 4 low of 10 (lower bound 0.17: under the threshold). */
const UNDOUBTED: FactPlan = { low: 4, reports: [] };

/**
 * The facts of each block of 100 that differ from UNDOUBTED, by position in
 * the block. The first title of a block has four queued facts (the
 * title's-entries case), titles 1-8 one each, title 9 none; each is queued by
 * its ratings (8 low of 10: lower bound 0.49), its reports, or both; one
 * fact (95) is doubted just under the threshold (5 of 10: 0.24).
 */
const PLANS: ReadonlyMap<number, FactPlan> = new Map([
  [
    0,
    {
      low: 8,
      reports: [
        { reason: INACCURATE, source: true },
        { reason: INACCURATE, source: true },
        { reason: MISLEADING, source: false },
      ],
    },
  ],
  [
    1,
    {
      low: 4,
      reports: [
        { reason: MISLEADING, source: false },
        { reason: OUTDATED, source: true },
      ],
    },
  ],
  [2, { low: 8, reports: [] }],
  [3, { low: 4, reports: [{ reason: OTHER, source: false }] }],
  [11, { low: 9, reports: [] }],
  [22, { low: 4, reports: [{ reason: UNVERIFIABLE, source: false }] }],
  [33, { low: 6, reports: [{ reason: INACCURATE, source: false }] }],
  [44, { low: 4, reports: [{ reason: INACCURATE, source: true }] }],
  [55, { low: 7, reports: [] }],
  [
    66,
    {
      low: 4,
      reports: [
        { reason: OUTDATED, source: false },
        { reason: OTHER, source: true },
      ],
    },
  ],
  [77, { low: 8, reports: [] }],
  [88, { low: 4, reports: [{ reason: MISLEADING, source: true }] }],
  [95, { low: 5, reports: [] }],
]);

/** The plan of the fact at `position`: the pattern repeats every PATTERN_FACTS facts. */
function planOf(position: number): FactPlan {
  return PLANS.get(position % PATTERN_FACTS) ?? UNDOUBTED;
}

/** The fact at `position` (0-based, in title then page order): ids sort as their positions. */
export function reviewFactId(position: number): string {
  return `bench-fact-${String(position).padStart(7, '0')}`;
}

/** The title of the fact at `position` (benchCatalog's ids). */
export function titleIdOfFact(position: number): string {
  return titleIdAt(Math.floor(position / FACTS_PER_TITLE));
}

/** Titles of a catalog of `facts` facts; refuses a count the pattern does not divide. */
export function titlesFor(facts: number): number {
  if (!Number.isInteger(facts) || facts <= 0 || facts % PATTERN_FACTS !== 0) {
    throw new RangeError(
      `a review bench catalog holds a positive multiple of ${PATTERN_FACTS} facts, not ${facts}`,
    );
  }
  return facts / FACTS_PER_TITLE;
}

/** benchCatalog with ten facts per title (five per category), as an editor would have written them. */
export function reviewCatalog(facts: number, now: Date): Catalog {
  const catalog = benchCatalog(titlesFor(facts));
  catalog.titles.forEach((curated, title) => {
    curated.facts = Array.from({ length: FACTS_PER_TITLE }, (_, i): FactRecord => {
      const position = title * FACTS_PER_TITLE + i;
      const half = FACTS_PER_TITLE / 2;
      return {
        id: reviewFactId(position),
        titleId: curated.title.id,
        category: i < half ? 'BEHIND_THE_SCENES' : 'DID_YOU_KNOW',
        position: (i % half) + 1,
        text: `Fact ${i + 1} about ${curated.title.name}: filmed in ${1950 + (position % 70)}.`,
        verification: UNVERIFIED,
        revision: 1,
        updatedAt: now,
      };
    });
  });
  return catalog;
}

/** The fact's ten scores (voters bench-voter-0..9): `low` of 1 and 2, then 3, 4, 5 in turn. */
export function scoresOf(position: number): number[] {
  const { low } = planOf(position);
  return Array.from({ length: RATINGS_PER_FACT }, (_, i) =>
    i < low ? 1 + (i % 2) : 3 + ((i - low) % 3),
  );
}

/** The voter of a fact's i-th bulk rating (new ratings in the bench use other ids). */
export function ratingVoter(i: number): string {
  return `bench-voter-${i}`;
}

type Distribution = AccuracyAggregate['distribution'];

/** Ratings per score, as the aggregates hold them (score i + 1 at index i). */
export function distributionOf(scores: readonly number[]): Distribution {
  const distribution: Distribution = [0, 0, 0, 0, 0];
  for (const score of scores) distribution[score - 1] += 1;
  return distribution;
}

/** A fact as the stores hold it: its ratings, its open reports, its review and its rank. */
export interface ReviewFact {
  position: number;
  factId: string;
  titleId: string;
  scores: number[];
  distribution: Distribution;
  reports: ReportRecord[];
  review: FactReview;
  /** rankForReview under the default threshold (what the bench's servers run with). */
  rank: QueueRank;
}

/**
 * The fact at `position`, its reports filed through the model (validateReport,
 * fileReport, recordReport) as the API would file them, at `now`.
 */
export function reviewFact(position: number, now: Date): ReviewFact {
  const factId = reviewFactId(position);
  const titleId = titleIdOfFact(position);
  const scores = scoresOf(position);
  const distribution = distributionOf(scores);
  let review = notReviewed();
  const reports = planOf(position).reports.map(({ reason, source }, k) => {
    const valid = validateReport({
      voterId: `bench-reporter-${k}`,
      reason,
      note: k === 0 ? 'The credits say otherwise.' : null,
      sourceUrl: source ? `https://example.org/sources/${position}/${k}` : null,
    });
    const filed = fileReport(
      { now, newId: () => `bench-report-${position}-${k}` },
      null,
      { factId, titleId },
      valid,
    );
    review = recordReport(review, filed.tallyDelta);
    return filed.report;
  });
  const rank = rankForReview(review, distribution, DEFAULT_QUEUE_THRESHOLD);
  return { position, factId, titleId, scores, distribution, reports, review, rank };
}

/** Every fact of a catalog of `facts`, in position order (a generator: 100,000 are not kept). */
export function* reviewFacts(facts: number, now: Date): Generator<ReviewFact> {
  titlesFor(facts);
  for (let position = 0; position < facts; position++) yield reviewFact(position, now);
}

export interface QueuedFact {
  factId: string;
  titleId: string;
  priority: number;
}

/**
 * The queue the stores must return for a catalog of `facts`: queued facts,
 * highest priority first, then fact id (the port's order). Ranks come from the
 * pattern (100 facts), so this is cheap for any size.
 */
export function expectedQueue(facts: number): QueuedFact[] {
  titlesFor(facts);
  const epoch = new Date(0);
  const ranks = Array.from({ length: PATTERN_FACTS }, (_, p) => reviewFact(p, epoch).rank);
  const queued: QueuedFact[] = [];
  for (let position = 0; position < facts; position++) {
    const rank = ranks[position % PATTERN_FACTS];
    if (rank.queued) {
      queued.push({
        factId: reviewFactId(position),
        titleId: titleIdOfFact(position),
        priority: rank.priority,
      });
    }
  }
  return queued.sort((a, b) =>
    a.priority !== b.priority ? b.priority - a.priority : a.factId < b.factId ? -1 : 1,
  );
}

/** What a catalog of `facts` holds, as the report prints it. */
export interface ReviewFixtureSize {
  titles: number;
  facts: number;
  ratings: number;
  openReports: number;
  queued: number;
}

/** The counts of a catalog of `facts`, from the pattern. */
export function fixtureSize(facts: number): ReviewFixtureSize {
  const blocks = titlesFor(facts) / (PATTERN_FACTS / FACTS_PER_TITLE);
  let reportsPerBlock = 0;
  for (const plan of PLANS.values()) reportsPerBlock += plan.reports.length;
  return {
    titles: facts / FACTS_PER_TITLE,
    facts,
    ratings: facts * RATINGS_PER_FACT,
    openReports: blocks * reportsPerBlock,
    queued: expectedQueue(facts).length,
  };
}
