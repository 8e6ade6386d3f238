import {
  type AnyBulkWriteOperation,
  type Collection,
  type Db,
  type Document,
  MongoClient,
} from 'mongodb';
import type { AccuracyAggregate, ChangeRecord, CuratedTitle, RatingRecord } from '../../model';
import { COLLECTION, LEGACY_COLLECTION } from '../mongo/collections';
import { boundedServerSelectionTimeout, redactCredentials } from '../mongo/connection';
import {
  type AggregateDoc,
  type ChangeDoc,
  curatedFields,
  type RatingDoc,
  type TitleDoc,
  toAggregate,
  toChange,
  toChangeDoc,
  toCuratedTitle,
  toRating,
  toSnapshot,
} from '../mongo/documents';
import { ensureSchema } from '../mongo/ensure-schema';
import { silentLogger } from '../mongo/log';
import { MongoStore } from '../mongo/mongo-store';
import { isEmbeddedRatingId } from './sqlite-side';
import type { Contents, ProgressMarker, RatingKey, StoreReader, StoreWriter } from './sides';

/** The collection of a copy's progress marker in a MongoDB target (one document, removed at the end). */
export const MARKER_COLLECTION = 'store_copy';
const MARKER_ID = 'progress';

/** Ids of the embedded store's form ("42"): a MongoDB source yields these ratings first. */
const EMBEDDED_ID = { $regex: '^[1-9][0-9]{0,14}$' };

/**
 * A MongoDB database as a copy reads it (the source only reads: find and
 * aggregate) or writes it (the target: bulk upserts by _id).
 */
export class MongoSide implements StoreReader, StoreWriter {
  readonly description: string;

  private constructor(
    private readonly client: MongoClient,
    private readonly db: Db,
    private readonly uri: string,
    private readonly dbName: string,
    description: string,
  ) {
    this.description = `MongoDB database ${description}`;
  }

  static async open(uri: string, dbName: string, description: string): Promise<MongoSide> {
    let client: MongoClient;
    try {
      client = new MongoClient(uri, {
        serverSelectionTimeoutMS: boundedServerSelectionTimeout(10_000),
      });
      await client.connect();
    } catch (error) {
      throw new Error(
        `cannot connect to MongoDB ${description}: ${redactCredentials((error as Error).message, uri)}`,
        { cause: error },
      );
    }
    return new MongoSide(client, client.db(dbName), uri, dbName, description);
  }

  private get titleDocs() {
    return this.db.collection<TitleDoc>(COLLECTION.titles);
  }
  private get ratingDocs() {
    return this.db.collection<RatingDoc>(COLLECTION.ratings);
  }
  private get changeDocs() {
    return this.db.collection<ChangeDoc>(COLLECTION.changes);
  }
  private get aggregateDocs() {
    return this.db.collection<AggregateDoc>(COLLECTION.aggregates);
  }
  private get markers() {
    return this.db.collection<Document & { _id: string }>(MARKER_COLLECTION);
  }

  async contents(): Promise<Contents> {
    const count = (name: string) => this.db.collection(name).countDocuments({});
    return {
      titles: await count(COLLECTION.titles),
      ratings: await count(COLLECTION.ratings),
      changes: await count(COLLECTION.changes),
      aggregates: await count(COLLECTION.aggregates),
      other:
        (await count(LEGACY_COLLECTION.facts)) + (await count(LEGACY_COLLECTION.recommendations)),
    };
  }

  /**
   * Titles of the first document model (facts and recommendations in
   * collections of their own) are upgraded by the server at start; a source
   * is never written, so it must have been upgraded already.
   */
  async assertCurrentModel(): Promise<void> {
    const { other } = await this.contents();
    if (other > 0) {
      throw new Error(
        `${this.description} still has ${other} documents of the first document model (facts, ` +
          'recommendations collections): start this version of the server on it once (it upgrades ' +
          'them into the title documents), then copy again',
      );
    }
  }

  async *titles(batchSize: number): AsyncIterable<CuratedTitle[]> {
    yield* batches(
      this.titleDocs.find({}).sort({ _id: 1 }).batchSize(batchSize),
      batchSize,
      toCuratedTitle,
    );
  }

  /** Embedded-form ids first (see SqliteTarget.writeRatings), each group in _id order. */
  async *ratings(batchSize: number): AsyncIterable<RatingRecord[]> {
    for (const filter of [{ _id: EMBEDDED_ID }, { _id: { $not: EMBEDDED_ID } }]) {
      yield* batches(
        this.ratingDocs
          .find(filter as Document)
          .sort({ _id: 1 })
          .batchSize(batchSize),
        batchSize,
        toRating,
      );
    }
  }

  /**
   * The changes collection, then the records still riding in their documents
   * (pendingChanges of titles, pendingChange of ratings: a crash left them
   * there, and the store lists them too). One may also be in `changes`
   * already; the target's upsert by id and the check's key make it one.
   */
  async *changes(batchSize: number): AsyncIterable<ChangeRecord[]> {
    yield* batches(
      this.changeDocs.find({}).sort({ _id: 1 }).batchSize(batchSize),
      batchSize,
      toChange,
    );
    const pending: ChangeRecord[] = [];
    for await (const doc of this.titleDocs.find(
      { pendingChanges: { $exists: true, $ne: [] } },
      { projection: { pendingChanges: 1 } },
    )) {
      pending.push(...(doc.pendingChanges ?? []).map(toChange));
    }
    for await (const doc of this.ratingDocs.find(
      { pendingChange: { $exists: true, $ne: null } } as Document,
      { projection: { pendingChange: 1 } },
    )) {
      if (doc.pendingChange) pending.push(toChange(doc.pendingChange));
    }
    for (let i = 0; i < pending.length; i += batchSize) yield pending.slice(i, i + batchSize);
  }

  async *aggregates(batchSize: number): AsyncIterable<AccuracyAggregate[]> {
    yield* batches(
      this.aggregateDocs.find({}).sort({ _id: 1 }).batchSize(batchSize),
      batchSize,
      toAggregate,
    );
  }

  async ratingKeysByIds(ids: readonly string[]): Promise<Map<string, RatingKey>> {
    const docs = await this.ratingDocs
      .find({ _id: { $in: [...ids] } }, { projection: { targetKey: 1, voterId: 1 } })
      .toArray();
    return new Map(docs.map((d) => [d._id, { targetKey: d.targetKey, voterId: d.voterId }]));
  }

  async readMarker(): Promise<ProgressMarker | null> {
    const doc = await this.markers.findOne({ _id: MARKER_ID });
    if (!doc) return null;
    return {
      source: String(doc.source),
      startedAt: String(doc.startedAt),
      done: Array.isArray(doc.done) ? doc.done.map(String) : [],
    };
  }

  async writeMarker(marker: ProgressMarker): Promise<void> {
    await this.markers.replaceOne(
      { _id: MARKER_ID },
      { ...marker, state: 'partial copy', note: `partial copy from ${marker.source}` },
      { upsert: true },
    );
  }

  async clearMarker(): Promise<void> {
    await this.markers.deleteOne({ _id: MARKER_ID });
  }

  /** The store's own ensureSchema: collections, validators, indexes (unique ones included). */
  async prepare(): Promise<void> {
    await ensureSchema(this.db, silentLogger);
  }

  async writeTitles(batch: readonly CuratedTitle[]): Promise<void> {
    await this.bulk(
      this.titleDocs,
      batch.map((curated) => {
        const snapshot = curated.title.tmdbSnapshot;
        const doc: TitleDoc = {
          _id: curated.title.id,
          ...curatedFields(curated),
          tmdbSnapshot: snapshot ? toSnapshot(snapshot) : null,
          version: 1,
        };
        return {
          replaceOne: { filter: { _id: doc._id }, replacement: doc, upsert: true },
        } as const;
      }),
    );
  }

  async writeRatings(batch: readonly RatingRecord[]): Promise<void> {
    await this.bulk(
      this.ratingDocs,
      batch.map((rating) => {
        const doc: RatingDoc = {
          _id: rating.id,
          targetKey: rating.targetKey,
          titleId: rating.titleId,
          factId: rating.factId,
          voterId: rating.voterId,
          score: rating.score,
          comment: rating.comment,
          commented: rating.comment !== null,
          hidden: rating.hidden ? { reason: rating.hidden.reason, at: rating.hidden.at } : null,
          createdAt: rating.createdAt,
          updatedAt: rating.updatedAt,
        };
        return {
          replaceOne: { filter: { _id: doc._id }, replacement: doc, upsert: true },
        } as const;
      }),
    );
  }

  async writeChanges(batch: readonly ChangeRecord[]): Promise<void> {
    await this.bulk(
      this.changeDocs,
      batch.map((change) => {
        const doc = toChangeDoc(change);
        return {
          replaceOne: { filter: { _id: doc._id }, replacement: doc, upsert: true },
        } as const;
      }),
    );
  }

  /** MongoStore.rebuildAggregates (what `npm run ratings:rebuild` runs), then its dry run. */
  async rebuildAggregates(): Promise<{ targets: number; ratings: number; drift: number }> {
    const store = MongoStore.create({
      uri: this.uri,
      dbNameOverride: this.dbName,
      serverSelectionTimeoutMs: 10_000,
      rebuildSettleMs: 0,
    });
    try {
      await store.ping();
      await store.rebuildAggregates();
      const check = await store.rebuildAggregates({ dryRun: true });
      return { targets: check.targets, ratings: check.ratings, drift: check.drift.length };
    } finally {
      await store.close();
    }
  }

  async close(): Promise<void> {
    await this.client.close();
  }

  private async bulk<T extends Document>(
    collection: Collection<T>,
    operations: AnyBulkWriteOperation<T>[],
  ): Promise<void> {
    if (operations.length === 0) return;
    await collection.bulkWrite(operations, { ordered: false });
  }
}

async function* batches<D, R>(
  cursor: AsyncIterable<D>,
  size: number,
  map: (doc: D) => R,
): AsyncIterable<R[]> {
  let batch: R[] = [];
  for await (const doc of cursor) {
    batch.push(map(doc));
    if (batch.length >= size) {
      yield batch;
      batch = [];
    }
  }
  if (batch.length > 0) yield batch;
}

export { isEmbeddedRatingId };
