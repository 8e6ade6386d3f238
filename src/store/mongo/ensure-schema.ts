import type { Db, Document } from 'mongodb';
import { MongoSchemaError, serverCode } from './errors';
import type { StoreLogger } from './log';
import {
  type CollectionName,
  type CollectionSpec,
  type IndexSpec,
  OBSOLETE_INDEXES,
  SCHEMA,
} from './schema';
import { VALIDATION } from './validators';

/**
 * Installs the schema (schema.ts) on a database.
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
 */

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
