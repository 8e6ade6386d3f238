import type { Collection, Db, Document } from 'mongodb';
import { UNVERIFIED } from '../../model';
import type { StoreLogger } from './log';
import { COLLECTION, LEGACY_COLLECTION } from './collections';
import { nameSearchFields, tmdbKeyOf } from './document-model';
import { isDuplicateKeyError, MongoSchemaError } from './errors';
import { SHARED_TMDB_IDENTITY_FIX } from './schema';

/**
 * Brings documents of earlier document models (titles without facts inside,
 * facts and recommendations in collections of their own, ratings without
 * `commented`, titles without `tmdbKey`) to the current one. Runs in ensureSchema before the indexes,
 * on every start; idempotent, and safe when several processes run it at once:
 * each title is one conditional update that only an un-upgraded title matches.
 * The legacy `facts` and `recommendations` collections are read, never
 * changed or dropped (drop them once every process runs this version).
 */
export async function upgradeDocuments(db: Db, logger: StoreLogger): Promise<void> {
  const titles = db.collection<Document>(COLLECTION.titles);
  const facts = db.collection<Document>(LEGACY_COLLECTION.facts);
  const recommendations = db.collection<Document>(LEGACY_COLLECTION.recommendations);
  let upgraded = 0;
  for await (const title of titles.find({ version: { $exists: false } })) {
    const now = new Date();
    const ownFacts = await facts
      .find({ titleId: title._id })
      .sort({ category: 1, position: 1 })
      .toArray();
    const ownRecommendations = await recommendations
      .find({ titleId: title._id })
      .sort({ position: 1 })
      .toArray();
    const result = await titles.updateOne(
      { _id: title._id, version: { $exists: false } },
      {
        $set: {
          slugs: [title.slug],
          originalName: title.originalName ?? null,
          genres: title.genres ?? [],
          posterPath: title.posterPath ?? null,
          revision: 1,
          updatedAt: now,
          // BEHIND_THE_SCENES sorts before DID_YOU_KNOW: page order.
          facts: ownFacts.map((fact) => ({
            id: fact._id,
            category: fact.category,
            text: fact.text,
            verification: UNVERIFIED,
            revision: 1,
            updatedAt: now,
          })),
          recommendations: ownRecommendations.map((rec) => ({
            recommendedTitleId: rec.recommendedTitleId,
            label: rec.label,
            reason: rec.reason,
          })),
          version: 1,
        },
      },
    );
    upgraded += result.modifiedCount;
  }
  const keyed = await keyTmdbIdentities(titles);
  const ratings = db.collection<Document>(COLLECTION.ratings);
  const commented = await ratings.updateMany(
    { commented: { $exists: false }, comment: { $type: 'string' } },
    { $set: { commented: true } },
  );
  const uncommented = await ratings.updateMany(
    { commented: { $exists: false } },
    { $set: { commented: false } },
  );
  const ratingsUpgraded = commented.modifiedCount + uncommented.modifiedCount;
  if (upgraded > 0 || ratingsUpgraded > 0 || keyed > 0) {
    logger.info(
      { titles: upgraded, ratings: ratingsUpgraded, tmdbKeys: keyed },
      'MongoDB documents upgraded to the current model',
    );
  }
  await upgradeNameSearch(titles, logger);
}

/**
 * Titles written before search used the stored normalised name get their
 * `nameKey` and `nameTrigrams` (what titles_name_trigrams indexes); each is
 * one update that applies only while the name is the one it was computed
 * from. The index they replace (titles_name, on the raw name) is dropped.
 */
async function upgradeNameSearch(titles: Collection<Document>, logger: StoreLogger): Promise<void> {
  let keyed = 0;
  const missing = titles.find({ nameKey: { $exists: false } }, { projection: { name: 1 } });
  for await (const { _id, name } of missing) {
    if (typeof name !== 'string') continue;
    const result = await titles.updateOne(
      { _id, name, nameKey: { $exists: false } },
      { $set: nameSearchFields(name) },
    );
    keyed += result.modifiedCount;
  }
  if (keyed > 0) logger.info({ titles: keyed }, 'MongoDB titles keyed for search');
  try {
    await titles.dropIndex(FORMER_NAME_INDEX);
    logger.info({ index: FORMER_NAME_INDEX }, 'MongoDB index no longer used dropped');
  } catch (error) {
    if ((error as { code?: unknown }).code === INDEX_NOT_FOUND) return;
    // Only a waste of space: say so and go on.
    logger.warn(
      { index: FORMER_NAME_INDEX, reason: (error as Error).message },
      'MongoDB index no longer used could not be dropped; drop it by hand',
    );
  }
}

const FORMER_NAME_INDEX = 'titles_name';
const INDEX_NOT_FOUND = 27;

/**
 * Gives titles written before `tmdbKey` existed their key (the unique index
 * on it makes a TMDB identity name one title). Two titles sharing an identity
 * are left as they are: building the index then fails and names them; one
 * that collides with a title already keyed stops the start here, named too.
 */
async function keyTmdbIdentities(titles: Collection<Document>): Promise<number> {
  let keyed = 0;
  const unkeyed = titles.find(
    { tmdbId: { $type: 'number' }, tmdbKey: { $exists: false } },
    { projection: { tmdbId: 1, mediaType: 1 } },
  );
  for await (const title of unkeyed) {
    const tmdbKey = tmdbKeyOf({ tmdbId: title.tmdbId, mediaType: title.mediaType });
    try {
      const result = await titles.updateOne(
        { _id: title._id, tmdbId: title.tmdbId, tmdbKey: { $exists: false } },
        { $set: { tmdbKey } },
      );
      keyed += result.modifiedCount;
    } catch (error) {
      if (!isDuplicateKeyError(error)) throw error;
      const holder = await titles.findOne({ tmdbKey }, { projection: { _id: 1 } });
      throw new MongoSchemaError(
        `The titles ${String(title._id)} and ${String(holder?._id)} share the TMDB identity ` +
          `${tmdbKey}. ${SHARED_TMDB_IDENTITY_FIX}; the store retries on its own.`,
        { cause: error },
      );
    }
  }
  return keyed;
}
