import {
  type AccuracyAggregate,
  type ChangeRecord,
  type CommentModeration,
  type CuratedTitle,
  type FactCategory,
  type FactRecord,
  type FactVerification,
  type RatingRecord,
  ratingDelta,
  type RecommendationRecord,
  type TitleRecord,
  type TmdbSnapshot,
} from '../../model';
import { normalizeForSearch, trigramsOf } from '../search';

/**
 * How records are stored as MongoDB documents. Pure functions, no driver calls.
 *
 * A title is ONE document with everything curated on its page (the
 * CuratedTitle aggregate): its fields, every slug it has or had (`slugs`, a
 * unique multikey index: a slug resolves to one title, forever), its facts in
 * page order and its recommendations in order (positions are array order).
 * So every editor write is a single-document atomic update (see
 * curation.ts), and `version` is the compare-and-set token every such
 * write checks and moves. The change records of the last write ride along in
 * `pendingChanges` until they are copied to the `changes` collection.
 *
 * A rating keeps `commented` (it has a comment) for the comment-list index
 * and, when an editor hid its comment, `hidden`; `moderationVersion` and
 * `pendingChange` do for its moderation what `version` and `pendingChanges`
 * do for a title.
 */

/** A fact as stored inside its title: no titleId (the parent's) and no position (array order). */
export interface FactEntry {
  id: string;
  category: FactCategory;
  text: string;
  verification: FactVerification;
  revision: number;
  updatedAt: Date;
}

/** A recommendation inside its title: position is array order. */
export type RecommendationEntry = Pick<
  RecommendationRecord,
  'recommendedTitleId' | 'label' | 'reason'
>;

/** A change record as stored: its id is the document's `_id`. */
export type ChangeDoc = Omit<ChangeRecord, 'id'> & { _id: string };

export type TitleDoc = Omit<TitleRecord, 'id'> & {
  _id: string;
  /**
   * "<mediaType>:<tmdbId>" when the title has a TMDB id, absent otherwise: the
   * key of the unique sparse index that gives a TMDB identity to one title.
   */
  tmdbKey?: string;
  slugs: string[];
  /**
   * The name as search compares it (normalizeForSearch: NFKC, lower case) and
   * its trigrams (multikey index titles_name_trigrams), kept with every write
   * of the name; written by this version on (upgrade.ts adds them to older titles).
   */
  nameKey?: string;
  nameTrigrams?: string[];
  facts: FactEntry[];
  recommendations: RecommendationEntry[];
  version: number;
  pendingChanges?: ChangeDoc[];
};

export type RatingDoc = Omit<RatingRecord, 'id'> & {
  _id: string;
  commented: boolean;
  moderationVersion?: number;
  pendingChange?: ChangeDoc;
  /**
   * Score changes written with the rating whose aggregate $inc may not have
   * been applied yet (ratings.ts, "Ratings without transactions"): written
   * by the same atomic update as the score, removed once the aggregate has it.
   */
  pendingAggregate?: PendingAggregate[];
};

/** One rating write's aggregate delta, carried by the rating until its aggregate has it. */
export interface PendingAggregate {
  /** Unique per write: the aggregate records which ones it has applied (AggregateDoc.applied). */
  op: string;
  /** Wall clock of the writer when it wrote the rating: the sweep settles markers older than its age. */
  at: Date;
  /** The score before this write (null: it was the voter's first rating of the target). */
  from: number | null;
  to: number;
}

export type ScoreField = 'd1' | 'd2' | 'd3' | 'd4' | 'd5';

/** _id is the target key; flat per-score counters (d1..d5) so a write is a single $inc. */
/** An aggregate's counters (flat per-score counters d1..d5, so a write is a single $inc). */
export type AggregateCounts = { count: number; sum: number } & Record<ScoreField, number>;

export type AggregateDoc = { _id: string } & AggregateCounts & {
    /** Pending rating writes this aggregate already has (op ids), until their markers are cleared. */
    applied?: Array<{ op: string; at: Date }>;
    /** Writers may apply their own delta only for markers newer than this (sweeps own older ones). */
    horizon?: Date;
    /** Bumped by every delta a sweep applies: the compare-and-set between concurrent sweeps. */
    sweeps?: number;
  };

/** The stored form of a TMDB identity (TitleDoc.tmdbKey); TMDB numbers films and series apart. */
export function tmdbKeyOf(identity: Pick<TitleRecord, 'mediaType'> & { tmdbId: number }): string {
  return `${identity.mediaType}:${identity.tmdbId}`;
}

/** Title reads that need only the title's own fields leave the page's parts on the server. */
export const TITLE_AND_SLUGS = {
  nameKey: 0,
  nameTrigrams: 0,
  facts: 0,
  recommendations: 0,
  pendingChanges: 0,
} as const;
export const TITLE_FIELDS_ONLY = { ...TITLE_AND_SLUGS, slugs: 0 } as const;

export function toTitle(doc: Omit<TitleDoc, 'slugs' | 'facts' | 'recommendations'>): TitleRecord {
  return {
    id: doc._id,
    slug: doc.slug,
    name: doc.name,
    originalName: doc.originalName ?? null,
    mediaType: doc.mediaType,
    year: doc.year ?? null,
    tagline: doc.tagline ?? null,
    overview: doc.overview ?? null,
    genres: doc.genres ?? [],
    posterPath: doc.posterPath ?? null,
    tmdbId: doc.tmdbId ?? null,
    tmdbSnapshot: doc.tmdbSnapshot ? toSnapshot(doc.tmdbSnapshot) : null,
    verdictBlurb: doc.verdictBlurb ?? null,
    revision: doc.revision,
    updatedAt: doc.updatedAt,
  };
}

/** Also the write form: fetchedAt always a Date. */
export function toSnapshot(snapshot: TmdbSnapshot): TmdbSnapshot {
  return {
    voteAverage: snapshot.voteAverage,
    voteCount: snapshot.voteCount,
    fetchedAt:
      snapshot.fetchedAt instanceof Date ? snapshot.fetchedAt : new Date(snapshot.fetchedAt),
  };
}

/** A title's facts as records: positions from array order within each category. */
export function toFacts(doc: Pick<TitleDoc, '_id' | 'facts'>): FactRecord[] {
  const counters = new Map<FactCategory, number>();
  return (doc.facts ?? []).map((entry) => {
    const position = (counters.get(entry.category) ?? 0) + 1;
    counters.set(entry.category, position);
    return {
      id: entry.id,
      titleId: doc._id,
      category: entry.category,
      position,
      text: entry.text,
      verification: entry.verification,
      revision: entry.revision,
      updatedAt: entry.updatedAt,
    };
  });
}

export function toRecommendations(
  doc: Pick<TitleDoc, '_id' | 'recommendations'>,
): RecommendationRecord[] {
  return (doc.recommendations ?? []).map((entry, i) => ({
    titleId: doc._id,
    recommendedTitleId: entry.recommendedTitleId,
    position: i + 1,
    label: entry.label,
    reason: entry.reason,
  }));
}

export function toCuratedTitle(doc: TitleDoc): CuratedTitle {
  return {
    title: toTitle(doc),
    formerSlugs: doc.slugs.filter((slug) => slug !== doc.slug),
    facts: toFacts(doc),
    recommendations: toRecommendations(doc),
  };
}

/**
 * Everything of an aggregate a curated write sets (all but the TMDB
 * snapshot, which the caller adds when the edit changed it, and the
 * bookkeeping of the document itself). Facts must be in page order.
 */
export function curatedFields(
  next: CuratedTitle,
): Omit<TitleDoc, '_id' | 'version' | 'tmdbSnapshot' | 'pendingChanges'> {
  const { title } = next;
  return {
    slug: title.slug,
    slugs: [title.slug, ...next.formerSlugs.filter((slug) => slug !== title.slug)],
    name: title.name,
    ...nameSearchFields(title.name),
    originalName: title.originalName,
    mediaType: title.mediaType,
    year: title.year,
    tagline: title.tagline,
    overview: title.overview,
    genres: title.genres,
    posterPath: title.posterPath,
    tmdbId: title.tmdbId,
    // Left out, not null, without a TMDB id: the sparse unique index skips only missing keys.
    ...(title.tmdbId === null ? {} : { tmdbKey: tmdbKeyOf({ ...title, tmdbId: title.tmdbId }) }),
    verdictBlurb: title.verdictBlurb,
    revision: title.revision,
    updatedAt: title.updatedAt,
    facts: next.facts.map((fact) => ({
      id: fact.id,
      category: fact.category,
      text: fact.text,
      verification: fact.verification,
      revision: fact.revision,
      updatedAt: fact.updatedAt,
    })),
    recommendations: next.recommendations.map(({ recommendedTitleId, label, reason }) => ({
      recommendedTitleId,
      label,
      reason,
    })),
  };
}

/** What search reads of a name: see TitleDoc.nameKey. */
export function nameSearchFields(
  name: string,
): Required<Pick<TitleDoc, 'nameKey' | 'nameTrigrams'>> {
  const nameKey = normalizeForSearch(name);
  return { nameKey, nameTrigrams: trigramsOf(nameKey) };
}

export function toChangeDoc(change: ChangeRecord): ChangeDoc {
  const { id, ...rest } = change;
  return { _id: id, ...rest };
}

export function toChange(doc: ChangeDoc): ChangeRecord {
  const { _id, ...rest } = doc;
  return {
    id: _id,
    titleId: rest.titleId,
    at: rest.at,
    operation: rest.operation,
    entityType: rest.entityType,
    entityId: rest.entityId,
    revision: rest.revision ?? null,
    fields: rest.fields,
  };
}

export function toRating(doc: RatingDoc): RatingRecord {
  return {
    id: doc._id,
    targetKey: doc.targetKey,
    titleId: doc.titleId,
    factId: doc.factId ?? null,
    voterId: doc.voterId,
    score: doc.score,
    comment: doc.comment ?? null,
    hidden: doc.hidden ? toModeration(doc.hidden) : null,
    createdAt: doc.createdAt,
    updatedAt: doc.updatedAt,
  };
}

function toModeration(hidden: CommentModeration): CommentModeration {
  return { reason: hidden.reason, at: hidden.at };
}

export function toAggregate(doc: Partial<AggregateDoc> & { _id: string }): AccuracyAggregate {
  return {
    targetKey: doc._id,
    count: Number(doc.count ?? 0),
    sum: Number(doc.sum ?? 0),
    distribution: [
      Number(doc.d1 ?? 0),
      Number(doc.d2 ?? 0),
      Number(doc.d3 ?? 0),
      Number(doc.d4 ?? 0),
      Number(doc.d5 ?? 0),
    ],
  };
}

/** The aggregate's fields without _id: a full replacement document. */
export function aggregateFields(aggregate: AccuracyAggregate): AggregateCounts {
  const [d1, d2, d3, d4, d5] = aggregate.distribution;
  return { count: aggregate.count, sum: aggregate.sum, d1, d2, d3, d4, d5 };
}

/**
 * The $inc that moves an aggregate from "previous score" (null: the voter had
 * not rated) to "score" (the model's ratingDelta as flat counters). Every
 * counter is present (zeros included), so an upserted aggregate document is
 * complete from its first write.
 */
export function aggregateIncrement(previous: number | null, score: number): AggregateCounts {
  const delta = ratingDelta(previous, score);
  const [d1, d2, d3, d4, d5] = delta.distribution;
  return { count: delta.count, sum: delta.sum, d1, d2, d3, d4, d5 };
}
