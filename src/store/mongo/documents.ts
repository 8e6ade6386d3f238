import type { AnyBulkWriteOperation, Filter, UpdateFilter } from 'mongodb';
import { newStoreId } from '../ids';
import { literalSubstringPattern } from '../search';
import {
  type AccuracyAggregate,
  type Catalog,
  type FactCategory,
  type FactRecord,
  type MediaType,
  type RatingRecord,
  type RatingWrite,
  type RecommendationRecord,
  targetKey,
  type TitleRecord,
  type TmdbSnapshot,
} from '../types';

/**
 * Document shapes in MongoDB and their mapping to the port's records. Pure
 * functions (no driver calls), so they are unit-tested without a server.
 */

export interface TitleDoc {
  _id: string;
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

export interface FactDoc {
  _id: string;
  titleId: string;
  category: FactCategory;
  position: number;
  text: string;
}

export interface RecommendationDoc {
  _id: string;
  titleId: string;
  recommendedTitleId: string;
  position: number;
  label: string;
  reason: string;
}

export interface RatingDoc {
  _id: string;
  targetKey: string;
  titleId: string;
  factId: string | null;
  voterId: string;
  score: number;
  comment: string | null;
  createdAt: Date;
  updatedAt: Date;
}

export type ScoreField = 'd1' | 'd2' | 'd3' | 'd4' | 'd5';

/** _id is the target key; flat per-score counters (d1..d5) so a write is a single $inc. */
export type AggregateDoc = { _id: string; count: number; sum: number } & Record<ScoreField, number>;

const SCORE_FIELDS: readonly ScoreField[] = ['d1', 'd2', 'd3', 'd4', 'd5'];

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
 * not rated) to "score". Every counter is present (zeros included), so an
 * upserted aggregate document is complete from its first write.
 */
export function aggregateIncrement(
  previous: number | null,
  score: number,
): Omit<AggregateDoc, '_id'> {
  assertScore(score);
  if (previous !== null) assertScore(previous);
  const inc: Omit<AggregateDoc, '_id'> = {
    count: previous === null ? 1 : 0,
    sum: score - (previous ?? 0),
    d1: 0,
    d2: 0,
    d3: 0,
    d4: 0,
    d5: 0,
  };
  inc[SCORE_FIELDS[score - 1]] += 1;
  if (previous !== null) inc[SCORE_FIELDS[previous - 1]] -= 1;
  return inc;
}

/**
 * The name filter for a client's search text, matched literally and
 * case-insensitively (literalSubstringPattern escapes every metacharacter).
 * BSON regexes are C strings, so a NUL becomes the PCRE escape \x00.
 */
export function searchFilter(search: string | null | undefined): { name?: { $regex: RegExp } } {
  if (search === null || search === undefined || search === '') return {};
  assertString(search, 'search');
  const pattern = literalSubstringPattern(search);
  return {
    name: { $regex: new RegExp(pattern.source.replace(/\0/g, '\\x00'), pattern.flags) },
  };
}

/**
 * The voter's rating upsert (step 1 of a rating write, see mongo-store.ts):
 * filter on the unique (targetKey, voterId), $set what the write changes,
 * $setOnInsert what only a first rating sets. Checks every caller value.
 */
export function ratingUpsert(
  write: RatingWrite,
  now: Date,
  insertedId: string,
): {
  filter: Filter<RatingDoc> & { targetKey: string; voterId: string };
  update: UpdateFilter<RatingDoc> & {
    $set: Pick<RatingDoc, 'score' | 'comment' | 'updatedAt'>;
    $setOnInsert: Pick<RatingDoc, '_id' | 'titleId' | 'factId' | 'createdAt'>;
  };
} {
  const { target, voterId, score } = write;
  assertString(target.titleId, 'titleId');
  if (target.kind === 'FACT') assertString(target.factId, 'factId');
  assertString(voterId, 'voterId');
  assertScore(score);
  const comment = write.comment ?? null;
  if (comment !== null) assertString(comment, 'comment');
  if (!(now instanceof Date) || Number.isNaN(now.getTime())) {
    throw new TypeError('now must be a valid Date');
  }
  return {
    filter: { targetKey: targetKey(target), voterId },
    update: {
      $set: { score, comment, updatedAt: now },
      $setOnInsert: {
        _id: insertedId,
        titleId: target.titleId,
        factId: target.kind === 'FACT' ? target.factId : null,
        createdAt: now,
      },
    },
  };
}

/**
 * Catalog title upserts by _id. An existing TMDB snapshot is kept: the catalog's
 * is only a starting value, set on insert, or on an existing title without one.
 */
export function titleUpsertOps(
  title: Catalog['titles'][number],
): AnyBulkWriteOperation<TitleDoc>[] {
  assertString(title.id, 'title id');
  assertString(title.slug, 'title slug');
  const snapshot = title.tmdbSnapshot ? toSnapshot(title.tmdbSnapshot) : null;
  const ops: AnyBulkWriteOperation<TitleDoc>[] = [
    {
      updateOne: {
        filter: { _id: title.id },
        update: {
          $set: {
            slug: title.slug,
            name: title.name,
            mediaType: title.mediaType,
            year: title.year ?? null,
            tagline: title.tagline ?? null,
            overview: title.overview ?? null,
            tmdbId: title.tmdbId ?? null,
            verdictBlurb: title.verdictBlurb ?? null,
          },
          $setOnInsert: { tmdbSnapshot: snapshot },
        },
        upsert: true,
      },
    },
  ];
  if (snapshot) {
    // { tmdbSnapshot: null } matches a null or missing snapshot.
    ops.push({
      updateOne: {
        filter: { _id: title.id, tmdbSnapshot: null },
        update: { $set: { tmdbSnapshot: snapshot } },
      },
    });
  }
  return ops;
}

/** Catalog fact upsert by _id (a full replacement: the catalog owns facts). */
export function factUpsertOp(fact: FactRecord): AnyBulkWriteOperation<FactDoc> {
  assertString(fact.id, 'fact id');
  assertString(fact.titleId, 'fact titleId');
  return {
    replaceOne: {
      filter: { _id: fact.id },
      replacement: {
        titleId: fact.titleId,
        category: fact.category,
        position: fact.position,
        text: fact.text,
      },
      upsert: true,
    },
  };
}

/** Catalog recommendation upsert by (titleId, position); a new one gets a store id. */
export function recommendationUpsertOp(
  rec: RecommendationRecord,
): AnyBulkWriteOperation<RecommendationDoc> {
  assertString(rec.titleId, 'recommendation titleId');
  assertString(rec.recommendedTitleId, 'recommendedTitleId');
  return {
    updateOne: {
      filter: { titleId: rec.titleId, position: rec.position },
      update: {
        $set: { recommendedTitleId: rec.recommendedTitleId, label: rec.label, reason: rec.reason },
        $setOnInsert: { _id: newStoreId() },
      },
      upsert: true,
    },
  };
}

export function assertScore(score: unknown): asserts score is number {
  if (typeof score !== 'number' || !Number.isInteger(score) || score < 1 || score > 5) {
    throw new RangeError('A rating score must be an integer from 1 to 5');
  }
}

/** Caller values only ever reach a query as checked strings, never as objects (operators). */
export function assertString(value: unknown, what: string): asserts value is string {
  if (typeof value !== 'string') throw new TypeError(`${what} must be a string`);
}

export function assertStrings(values: readonly unknown[], what: string): string[] {
  if (!Array.isArray(values)) throw new TypeError(`${what} must be an array of strings`);
  values.forEach((value) => assertString(value, what));
  return [...new Set(values as string[])];
}
