/**
 * ## The review queue: its threshold, what re-ranks it from outside, its reads
 *
 * The queue is the stored rank of each fact's review document (`queued`,
 * `priority`; review-ranks.ts says why it converges without transactions).
 * This file holds what sets the threshold it ranks with, the hooks through
 * which other roles' writes re-rank (a rating reached its aggregate, a title
 * edit removed or added facts), and the reads: reviews by fact, and the
 * queue's pages. Part of the ReviewStore role (reviews.ts composes it).
 */
import type { Collection, Filter } from 'mongodb';
import {
  DEFAULT_QUEUE_THRESHOLD,
  type FactReview,
  notReviewed,
  type QueueThreshold,
  ReviewStatus,
} from '../../model';
import type { Page, ReviewQueueEntry, ReviewQueueQuery } from '../port';
import { assertString, assertStrings } from './documents';
import type { MongoGate } from './gate';
import {
  type FactReviewDoc,
  QUEUE_THRESHOLD_ID,
  type SettingsDoc,
  toReview,
} from './review-documents';
import { factOfKey, type ReviewRanks } from './review-ranks';

/** Times reviewQueue drops facts that are gone and reads its page again. */
const QUEUE_READS = 3;

/** The queue's threshold, the re-ranks other roles' writes owe it, and its reads. */
export class ReviewQueue {
  private readonly reviews: Collection<FactReviewDoc>;
  private readonly settings: Collection<SettingsDoc>;

  constructor(
    private readonly gate: MongoGate,
    private readonly ranks: ReviewRanks,
  ) {
    this.reviews = gate.factReviews;
    this.settings = gate.settings;
  }

  /**
   * This process ranks with `threshold` from now on; when the stored flags
   * were computed with another one (none stored: the default), every fact is
   * re-ranked first and the threshold stored last, so a crash in between
   * re-ranks again at the next start.
   */
  async useQueueThreshold(threshold: QueueThreshold): Promise<void> {
    const { minRatings, minLowerBound } = threshold;
    if (!Number.isSafeInteger(minRatings) || minRatings < 0) {
      throw new RangeError('minRatings must be a non-negative integer');
    }
    if (!Number.isFinite(minLowerBound) || minLowerBound < 0 || minLowerBound > 1) {
      throw new RangeError('minLowerBound must be a number from 0 to 1');
    }
    this.ranks.threshold = { minRatings, minLowerBound };
    await this.gate.op(async () => {
      const stored = await this.settings.findOne({ _id: QUEUE_THRESHOLD_ID });
      const current = stored ?? DEFAULT_QUEUE_THRESHOLD;
      if (current.minRatings === minRatings && current.minLowerBound === minLowerBound) return;
      const ranked = await this.ranks.rerankAll();
      await this.settings.replaceOne(
        { _id: QUEUE_THRESHOLD_ID },
        { minRatings, minLowerBound },
        { upsert: true },
      );
      this.gate.logger.info(
        { minRatings, minLowerBound, facts: ranked },
        'Review queue threshold changed: every fact re-ranked',
      );
    });
  }

  /** A rating's delta reached its aggregate: a fact's rating re-ranks the fact (creating its review). */
  async aggregateChanged(key: string): Promise<void> {
    const factId = factOfKey(key);
    if (factId !== null) await this.ranks.rerank(factId, true);
  }

  /** A title write removed (or added back) these facts: a removed fact leaves the queue. */
  async factsChanged(factIds: readonly string[]): Promise<void> {
    // One query first: an import adds many facts, and few of them have a review yet.
    const reviewed = await this.reviews
      .find({ _id: { $in: [...factIds] } }, { projection: { _id: 1 } })
      .toArray();
    for (const { _id } of reviewed) await this.ranks.rerank(_id);
  }

  /** The review of each fact, notReviewed() for one without a review document, in the order asked. */
  async reviewsOfFacts(factIds: readonly string[]): Promise<FactReview[]> {
    const keys = assertStrings(factIds, 'fact ids');
    if (keys.length === 0) return [];
    const docs = await this.gate.op(() => this.reviews.find({ _id: { $in: keys } }).toArray());
    const byId = new Map(docs.map((doc) => [doc._id, toReview(doc)]));
    return factIds.map((id) => byId.get(id) ?? notReviewed());
  }

  /**
   * One bounded walk of fact_reviews_queue (or its title / status variant):
   * queued, priority descending then fact id ascending, strictly after the
   * cursor, first + 1 documents. A fact on the page that is gone from its
   * title (a crash cut a title edit before its re-rank) is re-ranked, which
   * drops it, and the page read again. Entries show the rank as stored: the
   * cursor of the next page is the (priority, factId) the walk compares.
   */
  async reviewQueue(query: ReviewQueueQuery): Promise<Page<ReviewQueueEntry>> {
    const filter = queueFilter(query);
    const { first } = query;
    return this.gate.op(async () => {
      for (let read = 1; ; read++) {
        const docs = await this.reviews
          .find(filter)
          .sort({ priority: -1, _id: 1 })
          .limit(first + 1)
          .toArray();
        const present = await this.ranks.existingFacts(docs);
        const gone = docs.filter((doc) => !present.has(doc._id));
        if (gone.length === 0 || read >= QUEUE_READS) {
          const shown = docs.filter((doc) => present.has(doc._id));
          return {
            items: shown.slice(0, first).map(toQueueEntry),
            hasNextPage: shown.length > first,
          };
        }
        for (const doc of gone) await this.ranks.rerank(doc._id);
      }
    });
  }
}

/** The entry of a queued review document: its review, and its rank as stored. */
function toQueueEntry(doc: FactReviewDoc): ReviewQueueEntry {
  return {
    factId: doc._id,
    titleId: doc.titleId,
    review: toReview(doc),
    rank: { queued: doc.queued, priority: doc.priority, figures: { ...doc.figures } },
  };
}

/** The queue's filter, every caller value checked before it reaches the query. */
function queueFilter(query: ReviewQueueQuery): Filter<FactReviewDoc> {
  const { first, titleId, status, after } = query;
  if (!Number.isSafeInteger(first) || first < 0) {
    throw new RangeError('first must be a non-negative integer');
  }
  const filter: Filter<FactReviewDoc> = { queued: true };
  if (titleId !== null && titleId !== undefined) {
    assertString(titleId, 'titleId');
    filter.titleId = titleId;
  }
  if (status !== null && status !== undefined) {
    if (!Object.values<string>(ReviewStatus).includes(status)) {
      throw new TypeError(`status must be one of ${Object.values(ReviewStatus).join(', ')}`);
    }
    filter.status = status;
  }
  if (after) {
    assertString(after.factId, 'cursor factId');
    if (typeof after.priority !== 'number' || !Number.isFinite(after.priority)) {
      throw new TypeError('cursor priority must be a finite number');
    }
    filter.$or = [
      { priority: { $lt: after.priority } },
      { priority: after.priority, _id: { $gt: after.factId } },
    ];
  }
  return filter;
}
