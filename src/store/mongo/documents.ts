import type { AnyBulkWriteOperation, Filter, UpdateFilter } from 'mongodb';
import { newStoreId } from '../ids';
import { escapeRegExp } from '../search';
import {
  type FactDoc,
  type RatingDoc,
  type RecommendationDoc,
  type TitleDoc,
  toSnapshot,
} from './document-model';
import {
  assertScore,
  type Catalog,
  type FactRecord,
  type RecommendationRecord,
  targetKey,
} from '../../model';
import { type RatingWrite } from '../port';

/**
 * MongoDB write builders and input checks over the document model
 * (./document-model.ts). Pure functions (no driver calls), so they are
 * unit-tested without a server.
 */
export * from './document-model';

/**
 * The name filter for a client's search text, matched literally and
 * case-insensitively; NFKC folds full-width text ("ｇｌｏｒｙ" finds The Glory).
 * Sent as a pattern string with $options rather than a RegExp: RegExp.source re-escapes characters (U+2028 becomes "\u2028") in a
 * way the server's PCRE does not read. A NUL becomes the PCRE escape \x00.
 */
export function searchFilter(search: string | null | undefined): {
  name?: { $regex: string; $options: 'i' };
} {
  if (search === null || search === undefined || search === '') return {};
  assertString(search, 'search');
  const pattern = escapeRegExp(search.normalize('NFKC')).replace(/\0/g, '\\x00');
  return { name: { $regex: pattern, $options: 'i' } };
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

/** Caller values only ever reach a query as checked strings, never as objects (operators). */
export function assertString(value: unknown, what: string): asserts value is string {
  if (typeof value !== 'string') throw new TypeError(`${what} must be a string`);
}

export function assertStrings(values: readonly unknown[], what: string): string[] {
  if (!Array.isArray(values)) throw new TypeError(`${what} must be an array of strings`);
  values.forEach((value) => assertString(value, what));
  return [...new Set(values as string[])];
}
