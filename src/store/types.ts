/**
 * Records as the store port speaks them: plain data, string ids, no driver types.
 * Both adapters (embedded nedb, MongoDB) map their documents to these shapes.
 */

export type MediaType = 'MOVIE' | 'TV';
export type FactCategory = 'BEHIND_THE_SCENES' | 'DID_YOU_KNOW';

/** The last TMDB score we fetched (or seeded), kept so a page never waits on TMDB for it. */
export interface TmdbSnapshot {
  voteAverage: number;
  voteCount: number;
  fetchedAt: Date;
}

export interface TitleRecord {
  id: string;
  slug: string;
  name: string;
  mediaType: MediaType;
  year: number | null;
  tagline: string | null;
  overview: string | null;
  tmdbId: number | null;
  tmdbSnapshot: TmdbSnapshot | null;
  verdictBlurb: string | null;
}

export interface FactRecord {
  id: string;
  titleId: string;
  category: FactCategory;
  /** 1-based order within (title, category), as on the page. */
  position: number;
  text: string;
}

export interface RecommendationRecord {
  titleId: string;
  recommendedTitleId: string;
  /** 1-based order within the title's "Watch Next" list. */
  position: number;
  label: string;
  reason: string;
}

/**
 * What a rating is about: a whole title page, or one fact on it. The key is the
 * identity of the target in ratings and aggregates ("title:<id>" / "fact:<id>").
 */
export type RatingTarget =
  { kind: 'TITLE'; titleId: string } | { kind: 'FACT'; titleId: string; factId: string };

export function targetKey(target: RatingTarget): string {
  return target.kind === 'TITLE' ? `title:${target.titleId}` : `fact:${target.factId}`;
}

export interface RatingRecord {
  id: string;
  targetKey: string;
  titleId: string;
  factId: string | null;
  voterId: string;
  score: number;
  comment: string | null;
  createdAt: Date;
  updatedAt: Date;
}

/**
 * The maintained aggregate of one target's ratings. Reading it costs the same
 * for 10 ratings or 1,000,000; every rating write updates it.
 * distribution[i] counts ratings with score i + 1.
 */
export interface AccuracyAggregate {
  targetKey: string;
  count: number;
  sum: number;
  distribution: [number, number, number, number, number];
}

export function emptyAggregate(key: string): AccuracyAggregate {
  return { targetKey: key, count: 0, sum: 0, distribution: [0, 0, 0, 0, 0] };
}

/** Recomputes an aggregate from raw ratings: the reference the maintained one must equal. */
export function aggregateOf(key: string, scores: Iterable<number>): AccuracyAggregate {
  const aggregate = emptyAggregate(key);
  for (const score of scores) {
    aggregate.count += 1;
    aggregate.sum += score;
    aggregate.distribution[score - 1] += 1;
  }
  return aggregate;
}

export function sameAggregate(a: AccuracyAggregate, b: AccuracyAggregate): boolean {
  return (
    a.count === b.count &&
    a.sum === b.sum &&
    a.distribution.every((n, i) => n === b.distribution[i])
  );
}

export interface RatingWrite {
  target: RatingTarget;
  voterId: string;
  score: number;
  comment: string | null;
}

export interface RatingWriteResult {
  rating: RatingRecord;
  /** The target's aggregate including this write (read-your-writes). */
  aggregate: AccuracyAggregate;
  /** false when the voter's earlier rating of the target was replaced. */
  created: boolean;
}

export interface TitleListQuery {
  /** Case-insensitive substring of the name; matched literally, never as a pattern. */
  search?: string | null;
  first: number;
  /** Exclusive lower bound on slug: titles are listed in slug order. */
  afterSlug?: string | null;
}

export interface TitlePage {
  titles: TitleRecord[];
  hasNextPage: boolean;
  totalCount: number;
}

/** The curated content the seed writes: titles with their facts and recommendations. */
export interface Catalog {
  titles: Array<Omit<TitleRecord, 'tmdbSnapshot'> & { tmdbSnapshot: TmdbSnapshot | null }>;
  facts: FactRecord[];
  recommendations: RecommendationRecord[];
}

export interface CatalogReport {
  titles: number;
  facts: number;
  recommendations: number;
}

export interface AggregateDrift {
  targetKey: string;
  stored: AccuracyAggregate;
  actual: AccuracyAggregate;
}

export interface RebuildReport {
  targets: number;
  ratings: number;
  /** Aggregates that differed from the raw ratings (and were repaired unless dryRun). */
  drift: AggregateDrift[];
}
