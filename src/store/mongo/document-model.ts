import {
  type AccuracyAggregate,
  type FactRecord,
  type RatingRecord,
  ratingDelta,
  type RecommendationRecord,
  type TitleRecord,
  type TmdbSnapshot,
} from '../../model';

/**
 * How records are stored as MongoDB documents: the record's id becomes `_id`,
 * and an aggregate keeps flat per-score counters (d1..d5) so a rating write is
 * a single $inc. Pure functions, no driver calls.
 */

/** A record as stored: its id is the document's `_id`. */
type Stored<T extends { id: string }> = Omit<T, 'id'> & { _id: string };

export type TitleDoc = Stored<TitleRecord>;
export type FactDoc = Stored<FactRecord>;
export type RatingDoc = Stored<RatingRecord>;
/** Recommendations have no id of their own in the port; `_id` is the store's. */
export type RecommendationDoc = RecommendationRecord & { _id: string };

export type ScoreField = 'd1' | 'd2' | 'd3' | 'd4' | 'd5';

/** _id is the target key; flat per-score counters (d1..d5) so a write is a single $inc. */
export type AggregateDoc = { _id: string; count: number; sum: number } & Record<ScoreField, number>;

export function toTitle(doc: TitleDoc): TitleRecord {
  return {
    id: doc._id,
    slug: doc.slug,
    name: doc.name,
    mediaType: doc.mediaType,
    year: doc.year ?? null,
    tagline: doc.tagline ?? null,
    overview: doc.overview ?? null,
    tmdbId: doc.tmdbId ?? null,
    tmdbSnapshot: doc.tmdbSnapshot ? toSnapshot(doc.tmdbSnapshot) : null,
    verdictBlurb: doc.verdictBlurb ?? null,
  };
}

/** Also the write form: fetchedAt always a Date (a catalog read from JSON may carry a string). */
export function toSnapshot(snapshot: TmdbSnapshot): TmdbSnapshot {
  return {
    voteAverage: snapshot.voteAverage,
    voteCount: snapshot.voteCount,
    fetchedAt:
      snapshot.fetchedAt instanceof Date ? snapshot.fetchedAt : new Date(snapshot.fetchedAt),
  };
}

export function toFact(doc: FactDoc): FactRecord {
  return {
    id: doc._id,
    titleId: doc.titleId,
    category: doc.category,
    position: doc.position,
    text: doc.text,
  };
}

export function toRecommendation(doc: RecommendationDoc): RecommendationRecord {
  return {
    titleId: doc.titleId,
    recommendedTitleId: doc.recommendedTitleId,
    position: doc.position,
    label: doc.label,
    reason: doc.reason,
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
    createdAt: doc.createdAt,
    updatedAt: doc.updatedAt,
  };
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
export function aggregateFields(aggregate: AccuracyAggregate): Omit<AggregateDoc, '_id'> {
  const [d1, d2, d3, d4, d5] = aggregate.distribution;
  return { count: aggregate.count, sum: aggregate.sum, d1, d2, d3, d4, d5 };
}

/**
 * The $inc that moves an aggregate from "previous score" (null: the voter had
 * not rated) to "score" (the model's ratingDelta as flat counters). Every
 * counter is present (zeros included), so an upserted aggregate document is
 * complete from its first write.
 */
export function aggregateIncrement(
  previous: number | null,
  score: number,
): Omit<AggregateDoc, '_id'> {
  const delta = ratingDelta(previous, score);
  const [d1, d2, d3, d4, d5] = delta.distribution;
  return { count: delta.count, sum: delta.sum, d1, d2, d3, d4, d5 };
}
