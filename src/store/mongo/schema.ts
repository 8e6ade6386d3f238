import type { Db, Document } from 'mongodb';
import { MongoSchemaError, serverCode } from './errors';
import type { StoreLogger } from './log';
import { COLLECTION } from './collections';

/**
 * The database schema the MongoDB adapter relies on: four collections of the
 * store (titles, ratings, aggregates, changes) plus the rating limit's
 * counters (rate_limits), with $jsonSchema
 * validators, and the indexes that make batch reads cheap and (the unique
 * ones) make upserts correct under concurrency.
 *
 * ensureSchema() is idempotent and safe when several processes start at once:
 * - createCollection; NamespaceExists (another process, or an older version,
 *   created it) -> compare the stored validator and collMod only when it differs;
 * - createIndexes with explicit names; the same spec created concurrently is a
 *   no-op on the server. A conflicting index (same key or name, other options)
 *   is accepted when it is equivalent for our purposes, skipped for helper
 *   indexes, and a MongoSchemaError (operator action needed) for the indexes
 *   correctness depends on.
 *
 * Servers that speak MongoDB's protocol without all of its commands (Amazon
 * DocumentDB, Azure Cosmos DB for MongoDB, FerretDB, test doubles) must not
 * keep the store from starting over something optional: a validator, collMod or
 * helper-index option the server rejects as unsupported (CommandNotFound,
 * CommandNotSupported, InvalidOptions), or a collMod the user may not run, is
 * skipped, and one warning per start-up names everything skipped.
 *
 * Validators guard against foreign or corrupt writes; they never reject what the
 * adapter writes. Note what they deliberately do NOT check: aggregate counters
 * have no minimum, because under concurrency a counter can be transiently
 * negative (a re-rating's -1 landing before the first rating's +1) and a
 * rejected $inc would make the aggregate drift for good.
 */

export { COLLECTION, LEGACY_COLLECTION } from './collections';

export type CollectionName = (typeof COLLECTION)[keyof typeof COLLECTION];

export interface IndexSpec {
  name: string;
  key: Record<string, 1 | -1>;
  unique: boolean;
  /** Correctness depends on it: a conflicting existing index stops the store from becoming ready. */
  required: boolean;
  /** A TTL index: the server deletes a document this long after the date in its (single) key. */
  expireAfterSeconds?: number;
  /** Leaves out documents without the key (few documents have it). */
  sparse?: boolean;
  purpose: string;
  /** A unique index: how an operator resolves documents that share a key (shown when it cannot be built). */
  resolveDuplicates?: string;
}

export interface CollectionSpec {
  name: CollectionName;
  /** The $jsonSchema (draft 4 subset with bsonType, as MongoDB implements it). */
  jsonSchema: Document;
  indexes: IndexSpec[];
}

const string = { bsonType: 'string' };
const nullableString = { bsonType: ['string', 'null'] };
const number = { bsonType: 'number' };
const nullableNumber = { bsonType: ['number', 'null'] };
const date = { bsonType: 'date' };
const nullableDate = { bsonType: ['date', 'null'] };
const storeId = { bsonType: 'string', minLength: 1 };
const strings = { bsonType: 'array', items: string };
const changeRecord = {
  bsonType: 'object',
  required: ['_id', 'titleId', 'at', 'operation', 'entityType', 'entityId', 'fields'],
  properties: {
    _id: storeId,
    titleId: string,
    at: date,
    operation: string,
    entityType: { enum: ['TITLE', 'FACT', 'RECOMMENDATIONS', 'RATING_COMMENT'] },
    entityId: string,
    revision: nullableNumber,
    fields: { bsonType: 'array' },
  },
};

/** What an operator does about titles that share a TMDB identity (the store is not ready meanwhile). */
export const SHARED_TMDB_IDENTITY_FIX =
  'A TMDB identity must name one title: keep it on one title of each group and clear it on the ' +
  "others, e.g. db.titles.updateOne({ _id: '<id>' }, { $set: { tmdbId: null }, $unset: { tmdbKey: '' } })";

export const SCHEMA: readonly CollectionSpec[] = [
  {
    name: COLLECTION.titles,
    jsonSchema: {
      bsonType: 'object',
      required: [
        '_id',
        'slug',
        'slugs',
        'name',
        'mediaType',
        'genres',
        'revision',
        'updatedAt',
        'facts',
        'recommendations',
        'version',
      ],
      properties: {
        _id: storeId,
        slug: string,
        slugs: { bsonType: 'array', minItems: 1, items: string },
        name: string,
        nameKey: string,
        nameTrigrams: strings,
        originalName: nullableString,
        mediaType: { enum: ['MOVIE', 'TV'] },
        year: nullableNumber,
        tagline: nullableString,
        overview: nullableString,
        genres: strings,
        posterPath: nullableString,
        tmdbId: nullableNumber,
        tmdbKey: string,
        verdictBlurb: nullableString,
        revision: number,
        updatedAt: date,
        version: number,
        tmdbSnapshot: {
          anyOf: [
            { bsonType: 'null' },
            {
              bsonType: 'object',
              required: ['voteAverage', 'voteCount', 'fetchedAt'],
              properties: { voteAverage: number, voteCount: number, fetchedAt: date },
            },
          ],
        },
        facts: {
          bsonType: 'array',
          items: {
            bsonType: 'object',
            required: ['id', 'category', 'text', 'verification', 'revision', 'updatedAt'],
            properties: {
              id: storeId,
              category: { enum: ['BEHIND_THE_SCENES', 'DID_YOU_KNOW'] },
              text: string,
              revision: number,
              updatedAt: date,
              verification: {
                bsonType: 'object',
                required: ['status', 'sources'],
                properties: {
                  status: { enum: ['UNVERIFIED', 'VERIFIED', 'DISPUTED', 'FALSE'] },
                  note: nullableString,
                  sources: {
                    bsonType: 'array',
                    items: {
                      bsonType: 'object',
                      required: ['url', 'label'],
                      properties: { url: string, label: string },
                    },
                  },
                  updatedAt: nullableDate,
                },
              },
            },
          },
        },
        recommendations: {
          bsonType: 'array',
          items: {
            bsonType: 'object',
            required: ['recommendedTitleId', 'label', 'reason'],
            properties: { recommendedTitleId: string, label: string, reason: string },
          },
        },
        pendingChanges: { bsonType: 'array', items: changeRecord },
      },
    },
    indexes: [
      {
        name: 'titles_slug_unique',
        key: { slug: 1 },
        unique: true,
        required: true,
        purpose: 'listTitles order and cursor (slug > after), one title per current slug',
      },
      {
        name: 'titles_slugs_unique',
        key: { slugs: 1 },
        unique: true,
        required: true,
        purpose:
          'titlesBySlugs through the slug history; a slug (current or former) belongs to one ' +
          'title, checked atomically by every write',
      },
      {
        name: 'titles_fact_ids',
        key: { 'facts.id': 1 },
        unique: false,
        required: false,
        purpose: 'factsByIds: the title document holding a fact',
      },
      {
        // Sparse rather than partial: for one field that is absent when unset they mean
        // the same, and servers that ignore partialFilterExpression still honour sparse.
        name: 'titles_tmdb_key_unique',
        key: { tmdbKey: 1 },
        unique: true,
        required: true,
        sparse: true,
        purpose:
          'one title per TMDB identity (federation entities keyed by tmdbId mediaType, TMDB ' +
          'imports): titlesByTmdbIds, and checked atomically by every write',
        resolveDuplicates: SHARED_TMDB_IDENTITY_FIX,
      },
      {
        name: 'titles_name_trigrams',
        key: { nameTrigrams: 1, slug: 1 },
        unique: false,
        required: false,
        purpose:
          'search of 3+ characters: the titles holding a trigram of the search, in slug order ' +
          '(a page reads what it returns), each then checked for the whole search in nameKey',
      },
      {
        name: 'titles_name_key',
        key: { nameKey: 1 },
        unique: false,
        required: false,
        purpose:
          'search of 1-2 characters (no trigram to look up): the substring check scans these ' +
          'keys rather than whole documents',
      },
    ],
  },
  {
    name: COLLECTION.ratings,
    jsonSchema: {
      bsonType: 'object',
      required: ['_id', 'targetKey', 'titleId', 'voterId', 'score', 'createdAt', 'updatedAt'],
      properties: {
        _id: storeId,
        targetKey: string,
        titleId: string,
        factId: nullableString,
        voterId: string,
        score: { bsonType: 'number', minimum: 1, maximum: 5, multipleOf: 1 },
        comment: nullableString,
        commented: { bsonType: 'bool' },
        hidden: {
          anyOf: [
            { bsonType: 'null' },
            {
              bsonType: 'object',
              required: ['reason', 'at'],
              properties: { reason: string, at: date },
            },
          ],
        },
        moderationVersion: number,
        pendingChange: changeRecord,
        pendingAggregate: {
          bsonType: 'array',
          items: {
            bsonType: 'object',
            required: ['op', 'at', 'to'],
            properties: { op: storeId, at: date, from: nullableNumber, to: number },
          },
        },
        createdAt: date,
        updatedAt: date,
      },
    },
    indexes: [
      {
        name: 'ratings_visible_comments',
        key: { targetKey: 1, commented: 1, hidden: 1, updatedAt: -1, _id: -1 },
        unique: false,
        required: false,
        purpose:
          "commentsOf: a target's visible comments newest first, one bounded walk per page " +
          'whatever the number of ratings',
      },
      {
        name: 'ratings_pending_change',
        key: { 'pendingChange.titleId': 1 },
        unique: false,
        required: false,
        sparse: true,
        purpose: 'changesOfTitle: moderation records not yet copied to changes (a crash window)',
      },
      {
        name: 'ratings_pending_aggregate',
        key: { 'pendingAggregate.at': 1 },
        unique: false,
        required: false,
        sparse: true,
        purpose:
          'the pending-aggregate sweep: rating writes whose aggregate $inc a crash may have cut, ' +
          'oldest first (few documents have the field, and only for moments)',
      },
      {
        name: 'ratings_target_voter_unique',
        key: { targetKey: 1, voterId: 1 },
        unique: true,
        required: true,
        purpose:
          'one rating per (voter, target): the atomic upsert relies on it; ' +
          'also serves ratingsByTarget and per-target rebuilds by its targetKey prefix',
      },
    ],
  },
  {
    name: COLLECTION.aggregates,
    jsonSchema: {
      bsonType: 'object',
      required: ['_id', 'count', 'sum', 'd1', 'd2', 'd3', 'd4', 'd5'],
      properties: {
        _id: string,
        count: number,
        sum: number,
        d1: number,
        d2: number,
        d3: number,
        d4: number,
        d5: number,
        applied: {
          bsonType: 'array',
          items: {
            bsonType: 'object',
            required: ['op', 'at'],
            properties: { op: storeId, at: date },
          },
        },
        horizon: date,
        sweeps: number,
      },
    },
    // Keyed by _id = targetKey: the default _id index serves reads and writes.
    indexes: [
      {
        name: 'aggregates_applied_at',
        key: { 'applied.at': 1 },
        unique: false,
        required: false,
        sparse: true,
        purpose:
          'the pending-aggregate sweep: op ids a crash left in `applied` after their marker ' +
          'was cleared (housekeeping)',
      },
    ],
  },
  {
    name: COLLECTION.changes,
    jsonSchema: changeRecord,
    indexes: [
      {
        name: 'changes_title_at',
        key: { titleId: 1, at: -1, _id: -1 },
        unique: false,
        required: false,
        purpose: "changesOfTitle: a title's audit trail newest first, one bounded walk per page",
      },
    ],
  },
  {
    // rate-limiter-flexible's RateLimiterMongo documents (rate-limit.ts): one per
    // key and window, { key, points, expire }, with the driver's ObjectId as _id.
    name: COLLECTION.rateLimits,
    jsonSchema: {
      bsonType: 'object',
      required: ['key', 'points'],
      properties: {
        key: string,
        points: number,
        expire: { bsonType: ['date', 'null'] },
      },
    },
    indexes: [
      {
        name: 'rate_limits_key_unique',
        key: { key: 1 },
        unique: true,
        required: true,
        purpose:
          'one counter per key: concurrent first hits of a window count on one document, and a ' +
          'window that has expired but is not yet deleted is replaced, not duplicated',
      },
      {
        name: 'rate_limits_expire_ttl',
        key: { expire: 1 },
        unique: false,
        required: false,
        expireAfterSeconds: 0,
        purpose:
          'deletes counters of windows that have ended; housekeeping only (an expired counter is ' +
          'ignored and replaced whether or not it was deleted)',
      },
    ],
  },
];

/** Indexes earlier versions created that nothing reads any more: dropped at start. */
const OBSOLETE_INDEXES: ReadonlyArray<{ collection: CollectionName; name: string }> = [
  // Non-unique { tmdbId, mediaType }; replaced by titles_tmdb_key_unique.
  { collection: COLLECTION.titles, name: 'titles_tmdb' },
];

const INDEX_NOT_FOUND = 27;
const NAMESPACE_EXISTS = 48;
const UNAUTHORIZED = 13;
/** A server that lacks a command or an option: skip what is optional, never fail on it. */
const UNSUPPORTED_CODES = new Set([
  59, // CommandNotFound
  72, // InvalidOptions
  115, // CommandNotSupported
]);
const INDEX_ALREADY_EXISTS = 68;
const INDEX_OPTIONS_CONFLICT = 85;
const INDEX_KEY_SPECS_CONFLICT = 86;
const INDEX_BUILD_ALREADY_IN_PROGRESS = 276;
const DUPLICATE_KEY = 11000;

export const VALIDATION = { validationLevel: 'strict', validationAction: 'error' } as const;

/** Something optional that ensureSchema went on without, and why. */
export interface SchemaSkip {
  collection: CollectionName;
  what: string;
  reason: string;
}

/**
 * Creates or updates collections, validators and indexes. Idempotent; safe to
 * race. Returns (and logs in one warning) what it skipped; throws when the
 * store cannot work correctly (MongoSchemaError) or the server fails.
 */
export async function ensureSchema(
  db: Db,
  logger: StoreLogger,
  beforeIndexes: () => Promise<void> = async () => undefined,
): Promise<SchemaSkip[]> {
  const skipped: SchemaSkip[] = [];
  for (const spec of SCHEMA) await ensureCollection(db, spec, logger, skipped);
  // The document upgrade (upgrade.ts): the unique slug history index needs every title upgraded.
  await beforeIndexes();
  for (const spec of SCHEMA) {
    for (const index of spec.indexes) await ensureIndex(db, spec.name, index, logger, skipped);
  }
  for (const obsolete of OBSOLETE_INDEXES) await dropObsoleteIndex(db, obsolete, skipped);
  if (skipped.length > 0) {
    logger.warn(
      { skipped },
      `MongoDB schema: skipped what this server or user does not allow: ${skipped
        .map((skip) => `${skip.collection} ${skip.what} (${skip.reason})`)
        .join('; ')}`,
    );
  }
  return skipped;
}

async function ensureCollection(
  db: Db,
  spec: CollectionSpec,
  logger: StoreLogger,
  skipped: SchemaSkip[],
): Promise<void> {
  const validator = { $jsonSchema: spec.jsonSchema };
  try {
    await db.createCollection(spec.name, { validator, ...VALIDATION });
    logger.info({ collection: spec.name }, 'MongoDB collection created');
    return;
  } catch (error) {
    const reason = unsupported(error, 'create with a validator');
    if (reason) {
      // The server takes no validators: the collection, without one, is all it can have.
      skipped.push({ collection: spec.name, what: 'validator', reason });
      await createCollectionIfMissing(db, spec.name);
      return;
    }
    if (serverCode(error) !== NAMESPACE_EXISTS) throw error;
  }
  // It exists (created by another process a moment ago, by an older version, or
  // implicitly by a write): make its validator ours if it is not already.
  const [info] = await db.listCollections({ name: spec.name }, { nameOnly: false }).toArray();
  if (info && info.type !== undefined && info.type !== 'collection') {
    throw new MongoSchemaError(
      `MongoDB namespace ${spec.name} exists but is a ${info.type}, not a collection`,
    );
  }
  const options = (info?.options ?? {}) as Document;
  if (
    canonicalJson(options.validator) === canonicalJson(validator) &&
    (options.validationLevel ?? 'strict') === VALIDATION.validationLevel &&
    (options.validationAction ?? 'error') === VALIDATION.validationAction
  ) {
    return;
  }
  try {
    await db.command({ collMod: spec.name, validator, ...VALIDATION });
    logger.info({ collection: spec.name }, 'MongoDB collection validator updated');
  } catch (error) {
    // The validator is a guard, not something correctness depends on.
    const reason =
      serverCode(error) === UNAUTHORIZED
        ? 'the user lacks the collMod privilege; the existing validator stays'
        : unsupported(error, 'collMod');
    if (!reason) throw error;
    skipped.push({ collection: spec.name, what: 'validator update', reason });
  }
}

async function createCollectionIfMissing(db: Db, name: CollectionName): Promise<void> {
  try {
    await db.createCollection(name);
  } catch (error) {
    if (serverCode(error) !== NAMESPACE_EXISTS) throw error;
  }
}

/**
 * "<attempt>: <CodeName> <code>" when the server rejected it as unsupported
 * (a missing command or option), else undefined: any other error is real.
 */
function unsupported(error: unknown, attempt: string): string | undefined {
  const code = serverCode(error);
  if (code === undefined || !UNSUPPORTED_CODES.has(code)) return undefined;
  const codeName = (error as { codeName?: unknown }).codeName;
  return `${attempt}: ${typeof codeName === 'string' ? `${codeName} ` : ''}${code}`;
}

async function ensureIndex(
  db: Db,
  collection: CollectionName,
  index: IndexSpec,
  logger: StoreLogger,
  skipped: SchemaSkip[],
): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await db.collection(collection).createIndex(index.key, {
        name: index.name,
        ...(index.unique ? { unique: true } : {}),
        ...(index.expireAfterSeconds !== undefined
          ? { expireAfterSeconds: index.expireAfterSeconds }
          : {}),
        ...(index.sparse ? { sparse: true } : {}),
      });
      return;
    } catch (error) {
      const code = serverCode(error);
      const reason = unsupported(error, 'createIndexes');
      if (reason && !index.required) {
        skipped.push({ collection, what: `index ${index.name}`, reason });
        return;
      }
      if (reason) {
        throw new MongoSchemaError(
          `The server refused the index ${index.name} on ${collection} (${reason}); the store ` +
            `relies on it (${index.purpose}). Use a server that supports it.`,
          { cause: error },
        );
      }
      if (code === INDEX_BUILD_ALREADY_IN_PROGRESS && attempt < 20) {
        // Another process is building the same index: wait for it, then re-check.
        await new Promise((resolve) => setTimeout(resolve, 250));
        continue;
      }
      if (
        code === INDEX_OPTIONS_CONFLICT ||
        code === INDEX_KEY_SPECS_CONFLICT ||
        code === INDEX_ALREADY_EXISTS
      ) {
        await resolveIndexConflict(db, collection, index, logger, skipped, error);
        return;
      }
      if (code === DUPLICATE_KEY && index.unique) {
        // Not logged here: the caller retrying start-up logs it (once, not per attempt).
        const shared = await sharedKeys(db, collection, index);
        throw new MongoSchemaError(
          `Cannot create the unique index ${index.name} on ${collection}: documents share a ` +
            `${Object.keys(index.key).join(' + ')} value${shared ? ` (${shared})` : ''}. ` +
            `${index.resolveDuplicates ?? 'Remove the duplicates'}; the store retries on its own.`,
          { cause: error },
        );
      }
      throw error;
    }
  }
}

/**
 * Which documents share a key of a unique index that cannot be built, as
 * `tmdbKey "TV:136283": _id a, b; ...` (at most 5 groups), so the operator
 * knows what to fix. Best effort: when the server cannot group them, null,
 * and the message still says what to do.
 */
async function sharedKeys(
  db: Db,
  collection: CollectionName,
  index: IndexSpec,
): Promise<string | null> {
  const fields = Object.keys(index.key);
  const keyOf = (field: string) => field.replace(/\./g, '_');
  try {
    const groups = await db
      .collection(collection)
      .aggregate<{ _id: Document; ids: unknown[] }>([
        ...(index.sparse
          ? [{ $match: Object.fromEntries(fields.map((f) => [f, { $exists: true }])) }]
          : []),
        {
          $group: {
            _id: Object.fromEntries(fields.map((f) => [keyOf(f), `$${f}`])),
            ids: { $push: '$_id' },
            count: { $sum: 1 },
          },
        },
        { $match: { count: { $gt: 1 } } },
        { $limit: 5 },
      ])
      .toArray();
    if (groups.length === 0) return null;
    return groups
      .map(
        (group) =>
          `${fields.map((f) => `${f} ${JSON.stringify(group._id[keyOf(f)])}`).join(' ')}: ` +
          `_id ${group.ids.map(String).join(', ')}`,
      )
      .join('; ');
  } catch {
    return null;
  }
}

const NAMESPACE_NOT_FOUND = 26;

/**
 * The required (unique) indexes the database lacks right now, as
 * "collection.index" (empty when all are there). An index ensureSchema would
 * accept in its place (same key, uniqueness and sparseness under another
 * name) counts as present. A missing collection lacks all of its indexes.
 * Cheap (one listIndexes per collection): the store runs it on every
 * reconnection and at an interval, and rebuilds the schema when it finds one
 * missing (a database restored or recreated without its indexes).
 */
export async function missingRequiredIndexes(db: Db): Promise<string[]> {
  const missing: string[] = [];
  for (const spec of SCHEMA) {
    const required = spec.indexes.filter((index) => index.required);
    if (required.length === 0) continue;
    let existing: Document[];
    try {
      existing = await db.collection(spec.name).listIndexes().toArray();
    } catch (error) {
      if (serverCode(error) !== NAMESPACE_NOT_FOUND) throw error;
      existing = [];
    }
    for (const index of required) {
      const present = existing.some(
        (ix) =>
          sameKey(ix.key as Document, index.key) &&
          Boolean(ix.unique) === index.unique &&
          Boolean(ix.sparse) === Boolean(index.sparse) &&
          ix.partialFilterExpression === undefined,
      );
      if (!present) missing.push(`${spec.name}.${index.name}`);
    }
  }
  return missing;
}

/**
 * Drops an index an earlier version created (OBSOLETE_INDEXES). Housekeeping:
 * a server or user that may not drop it leaves it, with a warning.
 */
async function dropObsoleteIndex(
  db: Db,
  { collection, name }: { collection: CollectionName; name: string },
  skipped: SchemaSkip[],
): Promise<void> {
  const existing = await db.collection(collection).listIndexes().toArray();
  if (!existing.some((ix) => ix.name === name)) return;
  try {
    await db.collection(collection).dropIndex(name);
  } catch (error) {
    if (serverCode(error) === INDEX_NOT_FOUND) return; // another process dropped it first
    const reason =
      serverCode(error) === UNAUTHORIZED
        ? 'the user may not drop indexes'
        : unsupported(error, 'dropIndexes');
    if (!reason) throw error;
    skipped.push({ collection, what: `drop of the obsolete index ${name}`, reason });
  }
}

/**
 * An index with our key or our name exists with other options. Accept an
 * equivalent one (same key, uniqueness, sparseness and TTL, no partial filter or collation)
 * under another name; otherwise stop for required indexes and skip others.
 */
async function resolveIndexConflict(
  db: Db,
  collection: CollectionName,
  index: IndexSpec,
  logger: StoreLogger,
  skipped: SchemaSkip[],
  cause: unknown,
): Promise<void> {
  const existing = await db.collection(collection).listIndexes().toArray();
  const equivalent = existing.find(
    (ix) =>
      sameKey(ix.key as Document, index.key) &&
      Boolean(ix.unique) === index.unique &&
      Boolean(ix.sparse) === Boolean(index.sparse) &&
      ix.expireAfterSeconds === index.expireAfterSeconds &&
      ix.partialFilterExpression === undefined &&
      ix.collation === undefined,
  );
  if (equivalent) {
    logger.warn(
      { collection, expected: index.name, existing: equivalent.name },
      'MongoDB index exists under another name with the same key and options; using it',
    );
    return;
  }
  const conflicting = existing
    .filter((ix) => ix.name === index.name || sameKey(ix.key as Document, index.key))
    .map((ix) => ({ name: ix.name, key: ix.key, unique: Boolean(ix.unique) }));
  const message =
    `MongoDB index conflict on ${collection}: cannot create ${index.name} ` +
    `${JSON.stringify(index.key)}${index.unique ? ' (unique)' : ''}; an existing index has the ` +
    `same name or key with other options: ${JSON.stringify(conflicting)}. ` +
    'Drop or rename that index; the store retries on its own.';
  if (index.required) throw new MongoSchemaError(message, { cause });
  skipped.push({
    collection,
    what: `index ${index.name}`,
    reason: `an existing index has its name or key with other options: ${JSON.stringify(conflicting)}`,
  });
}

function sameKey(a: Document, b: Record<string, 1 | -1>): boolean {
  const left = Object.entries(a);
  const right = Object.entries(b);
  return (
    left.length === right.length &&
    left.every(([field, dir], i) => field === right[i][0] && Number(dir) === right[i][1])
  );
}

/** JSON with object keys sorted: compares validators regardless of the key order the server returns. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value !== null && typeof value === 'object' && !(value instanceof Date)) {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((key) => [key, sortKeys((value as Record<string, unknown>)[key])]),
    );
  }
  return value;
}
