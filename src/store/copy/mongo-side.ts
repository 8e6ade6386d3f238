/**
 * The MongoDB write side of store:copy, built on the read side
 * (mongo-reader.ts): the progress marker, the schema, bulk upserts by _id,
 * and what goes through the target's own store (review records, the
 * aggregates' rebuild). A MongoSide is opened for either role: a source
 * only reads.
 */
import {
  type AnyBulkWriteOperation,
  type Collection,
  type Db,
  type Document,
  MongoClient,
} from 'mongodb';
import type { ChangeRecord, CuratedTitle, RatingRecord } from '../../model';
import { boundedServerSelectionTimeout, redactCredentials } from '../mongo/connection';
import {
  curatedFields,
  type RatingDoc,
  type TitleDoc,
  toChangeDoc,
  toSnapshot,
} from '../mongo/documents';
import { ensureSchema } from '../mongo/ensure-schema';
import { silentLogger } from '../mongo/log';
import { MongoStore } from '../mongo/mongo-store';
import type { ReviewRecords } from '../port';
import { MongoReader } from './mongo-reader';
import type { ProgressMarker, StoreWriter } from './sides';
import { isEmbeddedRatingId } from './sqlite-side';

/** The collection of a copy's progress marker in a MongoDB target (one document, removed at the end). */
export const MARKER_COLLECTION = 'store_copy';
const MARKER_ID = 'progress';

/**
 * A MongoDB database as a copy reads it (the source only reads: find and
 * aggregate; mongo-reader.ts) or writes it (the target: bulk upserts by _id).
 */
export class MongoSide extends MongoReader implements StoreWriter {
  /** The target's own store (review records, the aggregates' rebuild), opened when first needed. */
  private store: MongoStore | null = null;

  private constructor(
    client: MongoClient,
    db: Db,
    private readonly uri: string,
    private readonly dbName: string,
    description: string,
  ) {
    super(client, db, description);
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

  private get markers() {
    return this.db.collection<Document & { _id: string }>(MARKER_COLLECTION);
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

  /** The store's own putReviewRecords: report writes with their tallies, then re-ranks. */
  async writeReviewRecords(records: ReviewRecords): Promise<void> {
    await (await this.targetStore()).putReviewRecords(records);
  }

  /**
   * MongoStore.rebuildAggregates (what `npm run ratings:rebuild` runs: each
   * aggregate it writes re-ranks its fact), then its dry run.
   */
  async rebuildAggregates(): Promise<{ targets: number; ratings: number; drift: number }> {
    const store = await this.targetStore();
    await store.rebuildAggregates();
    const check = await store.rebuildAggregates({ dryRun: true });
    return { targets: check.targets, ratings: check.ratings, drift: check.drift.length };
  }

  /** The target's own store first (when opened), then the connection. */
  override async close(): Promise<void> {
    try {
      await this.store?.close();
    } finally {
      await super.close();
    }
  }

  /** This database as the server opens it, once (closed with this side). */
  private async targetStore(): Promise<MongoStore> {
    if (!this.store) {
      const store = MongoStore.create({
        uri: this.uri,
        dbNameOverride: this.dbName,
        serverSelectionTimeoutMs: 10_000,
        rebuildSettleMs: 0,
      });
      try {
        await store.ping();
      } catch (error) {
        await store.close();
        throw error;
      }
      this.store = store;
    }
    return this.store;
  }

  private async bulk<T extends Document>(
    collection: Collection<T>,
    operations: AnyBulkWriteOperation<T>[],
  ): Promise<void> {
    if (operations.length === 0) return;
    await collection.bulkWrite(operations, { ordered: false });
  }
}

export { isEmbeddedRatingId };
