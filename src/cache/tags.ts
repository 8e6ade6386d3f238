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
  upsertRating: { writes: ([write]) => [targetTag(targetKey(write.target)), UNKNOWN_RATINGS] },
  moderateRating: {
    writes: (_args, rating) =>
      rating === undefined ? EVERYTHING : rating ? [targetTag(rating.targetKey), CATALOG] : [],
  },
  editTitles: { writes: ([edits]) => [CATALOG, ...edits.map((edit) => titleTag(edit.titleId))] },
  saveTmdbSnapshot: { writes: ([titleId]) => [titleTag(titleId)] },
  rebuildAggregates: {
    writes: ([options], report) =>
      options?.dryRun ? [] : report && report.drift.length === 0 ? [] : EVERYTHING,
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
