import { targetKey } from '../model';
import type { Store } from '../store/port';

/**
 * What a cached response depends on, named by tags: each read through the
 * store port tags the response being computed with what it read, and each
 * write through the port invalidates the tags of what it changed. Per title
 * and per rated target, so a rating makes unreadable only the responses that
 * showed that title or fact, not every cached page.
 */
export type Tag = string;

/** Which titles exist: listings, counts, searches, and lookups that found nothing. */
export const CATALOG: Tag = 'catalog';
/** Lookups of rating ids that found nothing (any new rating may be one of them). */
export const UNKNOWN_RATINGS: Tag = 'ratings';
/** A title's own fields, slugs, facts, recommendations and TMDB snapshot. */
export const titleTag = (titleId: string): Tag => `t:${titleId}`;
/** A rated target's ratings and aggregate (a page or a fact: "title:<id>" / "fact:<id>"). */
export const targetTag = (key: string): Tag => `r:${key}`;

/** A fact's review: its status, last outcome, open reports and their tally. */
export const reviewTag = (factId: string): Tag => `v:${factId}`;
/** Lookups of report ids that found nothing (any new report may be one of them). */
export const UNKNOWN_REPORTS: Tag = 'reports';
/**
 * The review queue's order and membership: moved by reports, transitions,
 * the threshold, ratings of facts and removed facts. Editors' reads only
 * (never kept in a response), tagged so that would stay true if one were.
 */
export const REVIEW_QUEUE: Tag = 'queue';

/** A write that may have changed anything (an aggregate repair): every response is dropped. */
export const EVERYTHING = 'everything';

type Method = Exclude<keyof Store, 'kind'>;
type Args<M extends Method> = Parameters<Store[M]>;
type Answer<M extends Method> = Awaited<ReturnType<Store[M]>>;

/**
 * What one port method does to cached responses. `reads`: the tags of what
 * the answer showed. `writes`: the tags of what the write changed (`answer`
 * is undefined when the write threw: it may have changed part of it).
 */
type Effect<M extends Method> =
  | { reads(args: Args<M>, answer: Answer<M>): Tag[] }
  | { writes(args: Args<M>, answer: Answer<M> | undefined): Tag[] | typeof EVERYTHING }
  | 'none';

const titles = (records: ReadonlyArray<{ id: string } | null>): Tag[] =>
  records.map((record) => (record ? titleTag(record.id) : CATALOG));

/**
 * Every port method, classified; the type makes a new method fail to compile
 * until it says what it reads or writes, so the cache can never miss a write.
 */
export const STORE_EFFECTS: { [M in Method]: Effect<M> } = {
  titlesByIds: { reads: (_args, answer) => titles(answer) },
  titlesBySlugs: { reads: (_args, answer) => titles(answer) },
  titlesByTmdbIds: { reads: (_args, answer) => titles(answer) },
  listTitles: { reads: (_args, page) => [CATALOG, ...titles(page.titles)] },
  countTitles: { reads: () => [CATALOG] },
  curatedTitlesByIds: {
    reads: (_args, answer) => titles(answer.map((curated) => curated && curated.title)),
  },
  factsByTitleIds: { reads: ([titleIds]) => titleIds.map(titleTag) },
  recommendationsByTitleIds: { reads: ([titleIds]) => titleIds.map(titleTag) },
  factsByIds: {
    reads: (_args, facts) => facts.map((fact) => (fact ? titleTag(fact.titleId) : CATALOG)),
  },
  aggregatesByTargets: { reads: ([keys]) => keys.map(targetTag) },
  ratingsOfVoter: { reads: ([, keys]) => keys.map(targetTag) },
  ratingsByTarget: { reads: ([key]) => [targetTag(key)] },
  commentsOf: { reads: ([key]) => [targetTag(key)] },
  ratingsByIds: {
    reads: (_args, ratings) =>
      ratings.map((rating) => (rating ? targetTag(rating.targetKey) : UNKNOWN_RATINGS)),
  },
  changesOfTitle: { reads: ([titleId]) => [titleTag(titleId)] },
  changesByIds: {
    reads: (_args, changes) =>
      changes.map((change) => (change ? titleTag(change.titleId) : CATALOG)),
  },
  upsertRating: {
    writes: ([write]) => [
      targetTag(targetKey(write.target)),
      UNKNOWN_RATINGS,
      // A fact's ratings move its rank (never its review).
      ...(write.target.kind === 'FACT' ? [REVIEW_QUEUE] : []),
    ],
  },
  moderateRating: {
    writes: (_args, rating) =>
      rating === undefined ? EVERYTHING : rating ? [targetTag(rating.targetKey), CATALOG] : [],
  },
  // A removed fact leaves the queue.
  editTitles: {
    writes: ([edits]) => [CATALOG, REVIEW_QUEUE, ...edits.map((edit) => titleTag(edit.titleId))],
  },
  saveTmdbSnapshot: { writes: ([titleId]) => [titleTag(titleId)] },
  rebuildAggregates: {
    writes: ([options], report) =>
      options?.dryRun ? [] : report && report.drift.length === 0 ? [] : EVERYTHING,
  },
  reviewsOfFacts: { reads: ([factIds]) => factIds.map(reviewTag) },
  openReportsOfFacts: { reads: ([factIds]) => factIds.map(reviewTag) },
  reportsByIds: {
    reads: (_args, reports) =>
      reports.map((report) => (report ? reviewTag(report.factId) : UNKNOWN_REPORTS)),
  },
  reviewQueue: { reads: () => [REVIEW_QUEUE] },
  fileReport: { writes: ([write]) => [reviewTag(write.factId), UNKNOWN_REPORTS, REVIEW_QUEUE] },
  // With an edit, also what that edit changes (as editTitles says).
  transitionReview: {
    writes: ([factId, , , edit]) => [
      reviewTag(factId),
      REVIEW_QUEUE,
      ...(edit ? [CATALOG, titleTag(edit.titleId)] : []),
    ],
  },
  // Only which facts are queued: no review, no public answer.
  useQueueThreshold: { writes: () => [REVIEW_QUEUE] },
  // Exports, imports and store copies read them outside any request: nothing to note.
  allReports: 'none',
  allResolutions: 'none',
  resolutionsByIds: 'none',
  // Imports and store copies: every named fact's review and reports, and the queue.
  putReviewRecords: {
    writes: ([records]) => [
      ...new Set(
        [...records.reports, ...records.resolutions, ...records.reviews].map((record) =>
          reviewTag(record.factId),
        ),
      ),
      UNKNOWN_REPORTS,
      REVIEW_QUEUE,
    ],
  },
  ping: 'none',
  close: 'none',
};

/** The port methods, each classified in STORE_EFFECTS. */
export type StoreMethod = Method;

/** An effect whatever its method, as the store front (records.ts) applies it. */
type AnyEffect =
  | { reads(args: unknown[], answer: unknown): Tag[] }
  | { writes(args: unknown[], answer: unknown): Tag[] | typeof EVERYTHING }
  | 'none';

/** The tags of what a read answered (none for a method that does not read). */
export function readTags(method: Method, args: unknown[], answer: unknown): Tag[] {
  const effect = STORE_EFFECTS[method] as unknown as AnyEffect;
  return effect !== 'none' && 'reads' in effect ? effect.reads(args, answer) : [];
}

/** The tags of what a write changed; `answer` undefined when it threw (none for a read). */
export function writtenTags(
  method: Method,
  args: unknown[],
  answer: unknown,
): Tag[] | typeof EVERYTHING {
  const effect = STORE_EFFECTS[method] as unknown as AnyEffect;
  return effect !== 'none' && 'writes' in effect ? effect.writes(args, answer) : [];
}
