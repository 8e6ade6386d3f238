import {
  type AccuracyAggregate,
  type ChangeEntityType,
  type ChangeOperation,
  type ChangeRecord,
  type FactCategory,
  type FactRecord,
  type MediaType,
  type RatingRecord,
  type RecommendationRecord,
  type TitleRecord,
  type VerificationStatus,
} from '../../model';
import type { Page } from '../port';
import { normalizeForSearch } from '../search';

/**
 * How records map to the embedded store's rows (snake_case columns, dates as
 * milliseconds since the epoch, a TMDB snapshot as three nullable columns).
 * Pure functions: no statements here.
 */

export interface TitleRow {
  pk: number;
  id: string;
  slug: string;
  name: string;
  name_norm: string;
  media_type: MediaType;
  year: number | null;
  tagline: string | null;
  overview: string | null;
  tmdb_id: number | null;
  tmdb_vote_average: number | null;
  tmdb_vote_count: number | null;
  tmdb_fetched_at: number | null;
  verdict_blurb: string | null;
  original_name: string | null;
  /** JSON array of genre names. */
  genres: string;
  poster_path: string | null;
  revision: number;
  updated_at: number;
}

export interface FactRow {
  id: string;
  title_id: string;
  category: FactCategory;
  position: number;
  text: string;
  revision: number;
  updated_at: number;
  verification_status: VerificationStatus;
  verification_note: string | null;
  /** JSON array of { url, label }. */
  verification_sources: string;
  verification_updated_at: number | null;
}

export interface RecommendationRow {
  title_id: string;
  position: number;
  recommended_title_id: string;
  label: string;
  reason: string;
}

export interface RatingRow {
  id: number;
  target_key: string;
  title_id: string;
  fact_id: string | null;
  voter_id: string;
  score: number;
  comment: string | null;
  hidden_reason: string | null;
  hidden_at: number | null;
  created_at: number;
  updated_at: number;
}

export interface ChangeRow {
  id: string;
  title_id: string;
  at: number;
  operation: ChangeOperation;
  entity_type: ChangeEntityType;
  entity_id: string;
  revision: number | null;
  /** JSON array of { field, before, after }. */
  fields: string;
}

export interface AggregateRow {
  target_key: string;
  count: number;
  sum: number;
  d1: number;
  d2: number;
  d3: number;
  d4: number;
  d5: number;
}

export function toTitle(row: TitleRow): TitleRecord {
  return {
    id: row.id,
    slug: row.slug,
    name: row.name,
    mediaType: row.media_type,
    year: row.year,
    tagline: row.tagline,
    overview: row.overview,
    tmdbId: row.tmdb_id,
    tmdbSnapshot:
      row.tmdb_fetched_at === null
        ? null
        : {
            voteAverage: row.tmdb_vote_average ?? 0,
            voteCount: row.tmdb_vote_count ?? 0,
            fetchedAt: new Date(row.tmdb_fetched_at),
          },
    verdictBlurb: row.verdict_blurb,
    originalName: row.original_name,
    genres: JSON.parse(row.genres) as string[],
    posterPath: row.poster_path,
    revision: row.revision,
    updatedAt: new Date(row.updated_at),
  };
}

/** Named parameters for writing a title (the search form of its name included). */
export function titleParams(title: TitleRecord): Omit<TitleRow, 'pk'> {
  const snapshot = title.tmdbSnapshot;
  return {
    id: title.id,
    slug: title.slug,
    name: title.name,
    name_norm: normalizeForSearch(title.name),
    media_type: title.mediaType,
    year: title.year ?? null,
    tagline: title.tagline ?? null,
    overview: title.overview ?? null,
    tmdb_id: title.tmdbId ?? null,
    tmdb_vote_average: snapshot?.voteAverage ?? null,
    tmdb_vote_count: snapshot?.voteCount ?? null,
    // A catalog read from JSON may carry the date as a string.
    tmdb_fetched_at: snapshot ? new Date(snapshot.fetchedAt).getTime() : null,
    verdict_blurb: title.verdictBlurb ?? null,
    original_name: title.originalName,
    genres: JSON.stringify(title.genres),
    poster_path: title.posterPath,
    revision: title.revision,
    updated_at: title.updatedAt.getTime(),
  };
}

export function toFact(row: FactRow): FactRecord {
  return {
    id: row.id,
    titleId: row.title_id,
    category: row.category,
    position: row.position,
    text: row.text,
    verification: {
      status: row.verification_status,
      note: row.verification_note,
      sources: JSON.parse(row.verification_sources) as FactRecord['verification']['sources'],
      updatedAt:
        row.verification_updated_at === null ? null : new Date(row.verification_updated_at),
    },
    revision: row.revision,
    updatedAt: new Date(row.updated_at),
  };
}

export function factParams(fact: FactRecord): FactRow {
  const { verification } = fact;
  return {
    id: fact.id,
    title_id: fact.titleId,
    category: fact.category,
    position: fact.position,
    text: fact.text,
    revision: fact.revision,
    updated_at: fact.updatedAt.getTime(),
    verification_status: verification.status,
    verification_note: verification.note,
    verification_sources: JSON.stringify(verification.sources),
    verification_updated_at: verification.updatedAt?.getTime() ?? null,
  };
}

export function toRecommendation(row: RecommendationRow): RecommendationRecord {
  return {
    titleId: row.title_id,
    recommendedTitleId: row.recommended_title_id,
    position: row.position,
    label: row.label,
    reason: row.reason,
  };
}

export function recommendationParams(rec: RecommendationRecord): RecommendationRow {
  return {
    title_id: rec.titleId,
    position: rec.position,
    recommended_title_id: rec.recommendedTitleId,
    label: rec.label,
    reason: rec.reason,
  };
}

export function toRating(row: RatingRow): RatingRecord {
  return {
    id: String(row.id),
    targetKey: row.target_key,
    titleId: row.title_id,
    factId: row.fact_id,
    voterId: row.voter_id,
    score: row.score,
    comment: row.comment,
    hidden:
      row.hidden_at === null
        ? null
        : { reason: row.hidden_reason ?? '', at: new Date(row.hidden_at) },
    createdAt: new Date(row.created_at),
    updatedAt: new Date(row.updated_at),
  };
}

export function toAggregate(row: AggregateRow): AccuracyAggregate {
  return {
    targetKey: row.target_key,
    count: row.count,
    sum: row.sum,
    distribution: [row.d1, row.d2, row.d3, row.d4, row.d5],
  };
}

export function aggregateParams(aggregate: {
  targetKey: string;
  count: number;
  sum: number;
  distribution: readonly number[];
}): AggregateRow {
  const [d1, d2, d3, d4, d5] = aggregate.distribution;
  return {
    target_key: aggregate.targetKey,
    count: aggregate.count,
    sum: aggregate.sum,
    d1,
    d2,
    d3,
    d4,
    d5,
  };
}

export function toChange(row: ChangeRow): ChangeRecord {
  return {
    id: row.id,
    titleId: row.title_id,
    at: new Date(row.at),
    operation: row.operation,
    entityType: row.entity_type,
    entityId: row.entity_id,
    revision: row.revision,
    fields: JSON.parse(row.fields) as ChangeRecord['fields'],
  };
}

export function changeParams(change: ChangeRecord): ChangeRow {
  return {
    id: change.id,
    title_id: change.titleId,
    at: change.at.getTime(),
    operation: change.operation,
    entity_type: change.entityType,
    entity_id: change.entityId,
    revision: change.revision,
    fields: JSON.stringify(change.fields),
  };
}

/** A keyset page from the first + 1 rows read: the extra one only says a next page exists. */
export function pageOf<R, T>(rows: R[], first: number, map: (row: R) => T): Page<T> {
  return { items: rows.slice(0, first).map(map), hasNextPage: rows.length > first };
}
