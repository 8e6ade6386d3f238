import fs from 'node:fs';
import path from 'node:path';
import { MongoClient } from 'mongodb';
import { writeCatalog } from '../../src/catalog/write';
import type { Catalog, CuratedTitle } from '../../src/model';
import { newStoreId } from '../../src/store/ids';
import {
  curatedFields,
  type RatingDoc,
  type TitleDoc,
  toSnapshot,
} from '../../src/store/mongo/document-model';
import { MongoStore } from '../../src/store/mongo/mongo-store';
import { COLLECTION } from '../../src/store/mongo/schema';
import { connect, storeFile } from '../../src/store/sqlite/database';
import { rebuildAllAggregates } from '../../src/store/sqlite/migrations';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store';

/**
 * Bench data, written in bulk so that large catalogs take seconds: titles
 * through the catalog import's bulk path on SQLite (writeCatalog: one
 * transaction), on MongoDB as the adapter's own documents (curatedFields)
 * inserted in batches; ratings straight into the ratings table or collection (the
 * port writes one at a time), then aggregates derived from them by the
 * store's own rebuild. The bench measures only through the HTTP API and the
 * port; these internals only build its fixtures.
 */

/** A new directory `name` in the bench's temporary directory (stores, response files). */
export function workSubdir(workDir: string, name: string): string {
  const created = path.join(workDir, name);
  fs.mkdirSync(created, { recursive: true });
  return created;
}

/** Title names pair a word and a noun; one title in eight is a "Glory", which the search case looks for. */
const NAME_WORDS = ['Crimson', 'Silent', 'Golden', 'Hidden', 'Broken', 'Last', 'Paper', 'Iron'];
const NAME_NOUNS = ['Harbor', 'Glory', 'Garden', 'Signal', 'Empire', 'River', 'Crown', 'Mirror'];

/** The slug of the title at `position` (0-based) in listing order: slugs sort as their numbers. */
export function slugAt(position: number): string {
  return `title-${String(position).padStart(7, '0')}`;
}

/** The id of the title at `position`. */
export function titleIdAt(position: number): string {
  return `bench-${position}`;
}

function nameAt(position: number): string {
  const word = NAME_WORDS[position % NAME_WORDS.length];
  const noun = NAME_NOUNS[Math.floor(position / NAME_WORDS.length) % NAME_NOUNS.length];
  return `${word} ${noun} ${position}`;
}

/** How many titles of a catalog of `size` have "Glory" in their name. */
export function gloryTitles(size: number): number {
  let count = 0;
  for (let position = 0; position < size; position++) {
    if (nameAt(position).includes('Glory')) count++;
  }
  return count;
}

/** `size` titles named from a few words (so searches match a fixed share), without facts. */
export function benchCatalog(size: number): Catalog {
  const now = new Date();
  const titles: CuratedTitle[] = Array.from({ length: size }, (_, position) => ({
    title: {
      id: titleIdAt(position),
      slug: slugAt(position),
      name: nameAt(position),
      originalName: null,
      mediaType: position % 3 === 0 ? 'MOVIE' : 'TV',
      year: 1950 + (position % 75),
      tagline: null,
      overview: `Overview of title ${position}.`,
      genres: [],
      posterPath: null,
      tmdbId: null,
      tmdbSnapshot: null,
      verdictBlurb: null,
      revision: 1,
      updatedAt: now,
    },
    formerSlugs: [],
    facts: [],
    recommendations: [],
  }));
  return { titles };
}

/** Every title of benchCatalog(titles) rated `perTitle` times. */
export function everyTitleRated(titles: number, perTitle: number): RatingsOf[] {
  return Array.from({ length: titles }, (_, position) => ({
    titleId: titleIdAt(position),
    count: perTitle,
  }));
}

/** `count` ratings of one title's page by voters bench-voter-0, -1, ...; scores cycle 1..5. */
export interface RatingsOf {
  titleId: string;
  count: number;
}

function* ratingsOf(specs: readonly RatingsOf[]) {
  for (const { titleId, count } of specs) {
    for (let i = 0; i < count; i++) {
      yield {
        titleId,
        targetKey: `title:${titleId}`,
        voterId: `bench-voter-${i}`,
        score: 1 + (i % 5),
      };
    }
  }
}

/** Writes the catalog and ratings into a new embedded store under `dataDir` (it must not be open). */
export async function buildSqliteStore(
  dataDir: string,
  catalog: Catalog,
  ratings: readonly RatingsOf[] = [],
): Promise<void> {
  const store = await SqliteStore.open({ dataDir });
  try {
    await writeCatalog(store, catalog);
  } finally {
    await store.close();
  }
  if (ratings.length === 0) return;
  const db = connect(storeFile(dataDir), dataDir);
  try {
    const insert = db.prepare(
      `INSERT INTO ratings (target_key, title_id, fact_id, voter_id, score, comment, created_at, updated_at)
       VALUES (?, ?, NULL, ?, ?, NULL, ?, ?)`,
    );
    const now = Date.now();
    db.transaction(() => {
      for (const r of ratingsOf(ratings)) {
        insert.run(r.targetKey, r.titleId, r.voterId, r.score, now, now);
      }
      rebuildAllAggregates(db);
    })();
  } finally {
    db.close();
  }
}

/** Writes the catalog and ratings into database `dbName` (expected empty) on the server `uri` names. */
export async function buildMongoDatabase(
  uri: string,
  dbName: string,
  catalog: Catalog,
  ratings: readonly RatingsOf[] = [],
): Promise<void> {
  const store = MongoStore.create({
    uri,
    dbNameOverride: dbName,
    serverSelectionTimeoutMs: 5000,
    rebuildSettleMs: 0,
  });
  const client = new MongoClient(uri);
  try {
    await store.ping(); // creates collections and indexes
    // The adapter's own document for each title, inserted in batches: through
    // the port a title costs three round trips (insert, change records, clear),
    // about 6 minutes for 100,000 on the test double.
    const titles = client.db(dbName).collection<TitleDoc>(COLLECTION.titles);
    for (let start = 0; start < catalog.titles.length; start += 10_000) {
      const batch = catalog.titles.slice(start, start + 10_000).map((curated): TitleDoc => ({
        _id: curated.title.id,
        ...curatedFields(curated),
        tmdbSnapshot: curated.title.tmdbSnapshot && toSnapshot(curated.title.tmdbSnapshot),
        version: 1,
      }));
      await titles.insertMany(batch, { ordered: false });
    }
    const collection = client.db(dbName).collection<RatingDoc>(COLLECTION.ratings);
    const now = new Date();
    let batch: RatingDoc[] = [];
    for (const r of ratingsOf(ratings)) {
      batch.push({
        _id: newStoreId(),
        factId: null,
        comment: null,
        hidden: null,
        commented: false,
        createdAt: now,
        updatedAt: now,
        ...r,
      });
      if (batch.length === 10_000) {
        await collection.insertMany(batch, { ordered: false });
        batch = [];
      }
    }
    if (batch.length > 0) await collection.insertMany(batch, { ordered: false });
    if (ratings.length > 0) await store.rebuildAggregates();
  } finally {
    await Promise.allSettled([store.close(), client.close()]);
  }
}

/** Drops a bench database; never throws (cleanup). */
export async function dropMongoDatabase(uri: string, dbName: string): Promise<void> {
  const client = new MongoClient(uri, { serverSelectionTimeoutMS: 5000 });
  try {
    await client.db(dbName).dropDatabase();
  } catch {
    // best effort: the test server forgets everything when stopped anyway
  } finally {
    await client.close();
  }
}
