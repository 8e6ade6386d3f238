/**
 * ## The stored rank without transactions
 *
 * A fact's place in the queue (`queued`, `priority` and its `figures` on the
 * fact_reviews document) is rankForReview of three things kept apart: the
 * review document (status, tally, ratings baseline), the fact's rating
 * aggregate, and whether the fact still exists in its title. Every write that
 * changes one of them re-ranks the fact afterwards (`rerank`):
 *
 * 1. read the review document, with its `rev`;
 * 2. THEN read the aggregate and the title;
 * 3. write the rank with `$inc: { rev: 1 }`, conditioned on `{ rev }` as read;
 *    on a miss, go back to 1.
 *
 * Every write to the review document moves `rev` (tally $inc, transitions,
 * re-ranks), so a rank is stored only if the review it was computed from is
 * still the stored one. Why the stored rank converges to the rank of the
 * final state: take the last successful re-rank. A write to the review after
 * its read would have failed its condition; a write to the aggregate or the
 * title after its read would have been followed by its writer's own re-rank,
 * whose success would come later (it is the last) or whose failure means
 * someone else's re-rank succeeded after it read `rev` (later again).
 *
 * Two misses end the loop: the re-rank that beat the second attempt read a
 * `rev` written after this writer's first read, so after its own write; that
 * re-rank (and any later) includes this write. So a re-rank cannot livelock
 * under a burst of writes to one fact.
 *
 * Crash windows: each writer re-ranks before it clears the marker of its write
 * (a rating's pendingAggregate, a report's pendingTally, a transition's
 * pendingTransition), so the sweep that settles a marker a crash left also
 * re-ranks. A title edit has no marker: a crash between a title write that
 * removed a fact and its re-rank leaves the fact flagged queued, and the queue
 * re-ranks (drops) such a fact when it reads it (review-queue.ts, reviewQueue).
 */
import type { AnyBulkWriteOperation, Collection } from 'mongodb';
import {
  DEFAULT_QUEUE_THRESHOLD,
  type QueueThreshold,
  rankForReview,
  StoreUnavailableError,
  targetKey,
} from '../../model';
import { type AggregateDoc, type TitleDoc, toAggregate } from './documents';
import type { MongoGate } from './gate';
import { type FactReviewDoc, freshReviewDoc, toReview } from './review-documents';
import { CAS_ATTEMPTS, retryOnDuplicateKey } from './retries';

/** Review documents re-ranked per query when the threshold changes. */
const RERANK_BATCH = 200;

/** Re-ranking of facts: one after a write, or all of them after a threshold change. */
export class ReviewRanks {
  /** The threshold every re-rank of this process uses (ReviewStore.useQueueThreshold). */
  threshold: QueueThreshold = DEFAULT_QUEUE_THRESHOLD;
  private readonly reviews: Collection<FactReviewDoc>;
  private readonly aggregates: Collection<AggregateDoc>;
  private readonly titles: Collection<TitleDoc>;

  constructor(gate: MongoGate) {
    this.reviews = gate.factReviews;
    this.aggregates = gate.aggregates;
    this.titles = gate.titles;
  }

  /**
   * Makes sure the fact has a review document (notReviewed(), out of the
   * queue), so tally increments and compare-and-sets have one to match.
   * Upsert-safe: concurrent creations make one document.
   */
  async ensureReview(factId: string, titleId: string): Promise<void> {
    const { _id, ...fresh } = freshReviewDoc(factId, titleId);
    await retryOnDuplicateKey(() =>
      this.reviews.updateOne({ _id }, { $setOnInsert: fresh }, { upsert: true }),
    );
  }

  /**
   * Recomputes the fact's stored rank after a write to one of its inputs (see
   * the top of this file), creating its review document first when `create`
   * and the fact exists. Returns the review document as it stands afterwards,
   * null when the fact has none.
   */
  async rerank(factId: string, create = false): Promise<FactReviewDoc | null> {
    let misses = 0;
    for (let attempt = 1; attempt <= CAS_ATTEMPTS; attempt++) {
      const doc = await this.reviews.findOne({ _id: factId });
      if (!doc) {
        if (!create) return null;
        const titleId = await this.titleOfFact(factId);
        if (titleId === null) return null; // the fact is gone: nothing to rank
        await this.ensureReview(factId, titleId);
        continue;
      }
      const aggregate = await this.aggregates.findOne({ _id: factKey(factId) });
      const present = await this.factExists(doc);
      const written = await this.reviews.findOneAndUpdate(
        { _id: factId, rev: doc.rev },
        { $set: this.rankOf(doc, aggregate, present), $inc: { rev: 1 } },
        { returnDocument: 'after', includeResultMetadata: false },
      );
      if (written) return written;
      // Someone else's re-rank read after this write (see "Two misses" above).
      if (++misses >= 2) return this.reviews.findOne({ _id: factId });
    }
    throw new StoreUnavailableError(`The review of fact ${factId} kept changing; retry`);
  }

  /**
   * Re-ranks every fact with a review document (a threshold change), a batch
   * at a time: one read each of reviews, aggregates and titles, one bulk write
   * of compare-and-sets. A batch where some document moved meanwhile is
   * re-ranked one fact at a time. Returns how many facts it ranked.
   */
  async rerankAll(): Promise<number> {
    let after: string | null = null;
    let ranked = 0;
    for (;;) {
      const docs: FactReviewDoc[] = await this.reviews
        .find(after === null ? {} : { _id: { $gt: after } })
        .sort({ _id: 1 })
        .limit(RERANK_BATCH)
        .toArray();
      if (docs.length === 0) return ranked;
      after = docs[docs.length - 1]._id;
      const aggregates = await this.aggregates
        .find({ _id: { $in: docs.map((doc) => factKey(doc._id)) } })
        .toArray();
      const byKey = new Map(aggregates.map((doc) => [doc._id, doc]));
      const present = await this.existingFacts(docs);
      const writes: AnyBulkWriteOperation<FactReviewDoc>[] = docs.map((doc) => ({
        updateOne: {
          filter: { _id: doc._id, rev: doc.rev },
          update: {
            $set: this.rankOf(doc, byKey.get(factKey(doc._id)) ?? null, present.has(doc._id)),
            $inc: { rev: 1 },
          },
        },
      }));
      const result = await this.reviews.bulkWrite(writes, { ordered: false });
      if (result.matchedCount < docs.length) {
        for (const doc of docs) await this.rerank(doc._id);
      }
      ranked += docs.length;
    }
  }

  /** The facts of these review documents that still exist in their titles (one query). */
  async existingFacts(
    docs: readonly Pick<FactReviewDoc, '_id' | 'titleId'>[],
  ): Promise<Set<string>> {
    if (docs.length === 0) return new Set();
    const titles = await this.titles
      .find(
        { _id: { $in: [...new Set(docs.map((doc) => doc.titleId))] } },
        { projection: { 'facts.id': 1 } },
      )
      .toArray();
    const present = new Set(titles.flatMap((title) => (title.facts ?? []).map((fact) => fact.id)));
    return new Set(docs.filter((doc) => present.has(doc._id)).map((doc) => doc._id));
  }

  private rankOf(
    doc: FactReviewDoc,
    aggregate: AggregateDoc | null,
    present: boolean,
  ): Pick<FactReviewDoc, 'queued' | 'priority' | 'figures'> {
    const key = factKey(doc._id);
    const { distribution } = toAggregate(aggregate ?? { _id: key });
    const rank = rankForReview(toReview(doc), distribution, this.threshold);
    return { queued: present && rank.queued, priority: rank.priority, figures: rank.figures };
  }

  private async factExists(doc: Pick<FactReviewDoc, '_id' | 'titleId'>): Promise<boolean> {
    const title = await this.titles.findOne(
      { _id: doc.titleId, 'facts.id': doc._id },
      { projection: { _id: 1 } },
    );
    return title !== null;
  }

  /** The title holding the fact (titles_fact_ids), null when no title has it. */
  private async titleOfFact(factId: string): Promise<string | null> {
    const title = await this.titles.findOne({ 'facts.id': factId }, { projection: { _id: 1 } });
    return title?._id ?? null;
  }
}

/** The aggregate key of a fact's ratings. */
export function factKey(factId: string): string {
  return targetKey({ kind: 'FACT', titleId: '', factId });
}

/** The fact id of a fact's aggregate key, null for a title's. */
export function factOfKey(key: string): string | null {
  const prefix = factKey('');
  return key.startsWith(prefix) ? key.slice(prefix.length) : null;
}
