/**
 * The MongoDB read side of store:copy: a database read as the model's
 * records (find and aggregate only), the records still riding in their
 * documents after a crash included. mongo-side.ts is the write side, built
 * on this one (as sqlite-target.ts is on sqlite-side.ts).
 */
import type { Db, Document, MongoClient } from 'mongodb';
import type {
  AccuracyAggregate,
  ChangeRecord,
  CuratedTitle,
  RatingRecord,
  ReportRecord,
  ReviewResolution,
} from '../../model';
import { COLLECTION, LEGACY_COLLECTION } from '../mongo/collections';
import {
  type AggregateDoc,
  type ChangeDoc,
  type RatingDoc,
  type TitleDoc,
  toAggregate,
  toChange,
  toCuratedTitle,
  toRating,
} from '../mongo/documents';
import {
  type FactReviewDoc,
  type ReportDoc,
  type ResolutionDoc,
  toReport,
  toResolution,
  toReview,
} from '../mongo/review-documents';
import type { Contents, RatingKey, StoreReader, StoredReview } from './sides';

/** Ids of the embedded store's form ("42"): a MongoDB source yields these ratings first. */
const EMBEDDED_ID = { $regex: '^[1-9][0-9]{0,14}$' };

/** A MongoDB database as a copy reads it (MongoSide.open connects one). */
export class MongoReader implements StoreReader {
  readonly description: string;

  protected constructor(
    protected readonly client: MongoClient,
    protected readonly db: Db,
    description: string,
  ) {
    this.description = `MongoDB database ${description}`;
  }

  protected get titleDocs() {
    return this.db.collection<TitleDoc>(COLLECTION.titles);
  }
  protected get ratingDocs() {
    return this.db.collection<RatingDoc>(COLLECTION.ratings);
  }
  protected get changeDocs() {
    return this.db.collection<ChangeDoc>(COLLECTION.changes);
  }
  private get aggregateDocs() {
    return this.db.collection<AggregateDoc>(COLLECTION.aggregates);
  }
  private get reportDocs() {
    return this.db.collection<ReportDoc>(COLLECTION.reports);
  }
  private get reviewDocs() {
    return this.db.collection<FactReviewDoc>(COLLECTION.factReviews);
  }
  private get resolutionDocs() {
    return this.db.collection<ResolutionDoc>(COLLECTION.reviewResolutions);
  }

  async contents(): Promise<Contents> {
    const count = (name: string) => this.db.collection(name).countDocuments({});
    return {
      titles: await count(COLLECTION.titles),
      ratings: await count(COLLECTION.ratings),
      changes: await count(COLLECTION.changes),
      reports: await count(COLLECTION.reports),
      resolutions: await count(COLLECTION.reviewResolutions),
      factReviews: await count(COLLECTION.factReviews),
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
   * (pendingChanges of titles, pendingChange of ratings, pendingTransition of
   * fact reviews: a crash left them there, and the store lists them too). One
   * may also be in `changes` already; the target's upsert by id and the
   * check's key make it one.
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
    for await (const doc of this.reviewDocs.find(
      { pendingTransition: { $exists: true } },
      { projection: { pendingTransition: 1 } },
    )) {
      if (doc.pendingTransition) pending.push(toChange(doc.pendingTransition.change));
    }
    for (let i = 0; i < pending.length; i += batchSize) yield pending.slice(i, i + batchSize);
  }

  async *reports(batchSize: number): AsyncIterable<ReportRecord[]> {
    yield* batches(
      this.reportDocs.find({}).sort({ _id: 1 }).batchSize(batchSize),
      batchSize,
      toReport,
    );
  }

  /**
   * The resolutions collection, then those a crash left on their fact
   * reviews (pendingTransition), as the store's allResolutions lists them.
   */
  async *resolutions(batchSize: number): AsyncIterable<ReviewResolution[]> {
    yield* batches(
      this.resolutionDocs.find({}).sort({ _id: 1 }).batchSize(batchSize),
      batchSize,
      toResolution,
    );
    const pending: ReviewResolution[] = [];
    for await (const doc of this.reviewDocs.find(
      { 'pendingTransition.resolution': { $type: 'object' } },
      { projection: { pendingTransition: 1 } },
    )) {
      const resolution = doc.pendingTransition?.resolution;
      if (resolution) pending.push(toResolution(resolution));
    }
    for (let i = 0; i < pending.length; i += batchSize) yield pending.slice(i, i + batchSize);
  }

  async *factReviews(batchSize: number): AsyncIterable<StoredReview[]> {
    yield* batches(
      this.reviewDocs.find({}).sort({ _id: 1 }).batchSize(batchSize),
      batchSize,
      (doc) => ({ factId: doc._id, titleId: doc.titleId, review: toReview(doc) }),
    );
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

  async close(): Promise<void> {
    await this.client.close();
  }
}

/** A cursor's documents as records, `size` at a time. */
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
