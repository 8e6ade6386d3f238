import type { Document, Filter, UpdateFilter } from 'mongodb';
import { escapeRegExp, normalizeForSearch, trigramsOf } from '../search';
import { type RatingDoc } from './document-model';
import { assertScore, targetKey } from '../../model';
import { type RatingWrite } from '../port';

/**
 * MongoDB write builders and input checks over the document model
 * (./document-model.ts). Pure functions (no driver calls), so they are
 * unit-tested without a server.
 */
export * from './document-model';

/**
 * The filter for a client's search text, matched literally after the same
 * normalisation as stored names (NFKC, lower case: "ｇｌｏｒｙ" finds The Glory):
 * a substring of the stored `nameKey`. From 3 characters on, also every
 * trigram of the search in `nameTrigrams`, which the titles_name_trigrams
 * index answers (then the substring check on the titles it found); shorter
 * searches have no trigram to look up and are checked on every name.
 * The pattern is a string with the client's text escaped (RegExp.source
 * would re-escape characters such as U+2028 into "\u2028", which the
 * server's PCRE does not read); a NUL becomes the PCRE escape \x00.
 */
export function searchFilter(search: string | null | undefined): {
  nameKey?: { $regex: string };
  nameTrigrams?: { $all: string[] };
} {
  if (search === null || search === undefined || search === '') return {};
  assertString(search, 'search');
  const normalized = normalizeForSearch(search);
  const nameKey = { $regex: escapeRegExp(normalized).replace(/\0/g, '\\x00') };
  const grams = trigramsOf(normalized);
  return grams.length > 0 ? { nameTrigrams: { $all: grams }, nameKey } : { nameKey };
}

/**
 * The voter's rating upsert (step 1 of a rating write, see ratings.ts):
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
    $set: Pick<RatingDoc, 'score' | 'comment' | 'commented' | 'updatedAt'>;
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
      $set: { score, comment, commented: comment !== null, updatedAt: now },
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
 * Keyset paging newest first on (time field, _id), both descending: the
 * items strictly after the cursor. An index on (equality fields..., time -1,
 * _id -1) serves it as one bounded walk.
 */
export function afterCursor(
  timeField: string,
  after: { at: Date; id: string } | null | undefined,
): Document {
  if (!after) return {};
  assertString(after.id, 'cursor id');
  if (!(after.at instanceof Date) || Number.isNaN(after.at.getTime())) {
    throw new TypeError('cursor time must be a valid Date');
  }
  return {
    $or: [{ [timeField]: { $lt: after.at } }, { [timeField]: after.at, _id: { $lt: after.id } }],
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
