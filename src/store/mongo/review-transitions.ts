/**
 * ## An editor's transition without multi-document transactions
 *
 * transitionReview, the finishing of what a crash left of one, and the
 * resolutions transitions store. Part of the ReviewStore role (reviews.ts
 * composes it).
 *
 * 1. Read the review (and its `rev`), then the fact's aggregate; run `apply`.
 *    A throw: nothing is written.
 * 2. The title edit, when given, through editTitles (one atomic title write;
 *    a throw: nothing is written).
 * 3. The review's new state with its change record and resolution
 *    (`pendingTransition`) in one compare-and-set on `rev`. A miss (a report,
 *    a rating's re-rank or another editor came first) reads again and runs
 *    `apply` again; the edit is not repeated. The tally is not set: only
 *    report writes change it (5 takes the closed reports back).
 * 4. The change record is copied to `changes`, the resolution to
 *    `review_resolutions` (upserts by id: repeating them is harmless).
 * 5. With a resolution: each report OPEN at this point is closed (a report
 *    write with its tally marker: review-reports.ts, report-tallies.ts); a
 *    report filed after this point stays OPEN and reopens the fact's queue entry.
 * 6. Re-rank, then `pendingTransition` off.
 *
 * Crash windows:
 * - between 2 and 3: the edit is written and the review is not (the fact is
 *   still queued, as it was). The editor resolves again; an edit at an
 *   expected revision then conflicts, and the resolution goes through
 *   without it. The same holds when the `apply` run again at a miss of 3
 *   throws (another editor resolved the fact meanwhile): the edit stays.
 * - after 3: `pendingTransition` stays on the review. Its status is the new
 *   one already; its change record is listed (changesOfTitle copies it); the
 *   next transition of the fact, allResolutions (the resolution) and the
 *   sweep of pending markers (all of 4-6, for transitions older than
 *   pendingSweepAgeMs) finish the rest. Until then its reports are OPEN and
 *   counted, so the fact stays queued, showing its new status.
 */
import type { Collection, Filter } from 'mongodb';
import {
  type FactReview,
  notReviewed,
  type ReviewResolution,
  StoreUnavailableError,
} from '../../model';
import type {
  ReviewTransition,
  ReviewTransitionOutcome,
  TitleEdit,
  TitleEditOutcome,
} from '../port';
import type { MongoAudit } from './audit';
import type { MongoCuration } from './curation';
import {
  type AggregateDoc,
  assertString,
  assertStrings,
  toAggregate,
  toChangeDoc,
} from './documents';
import { isDuplicateKeyError } from './errors';
import type { MongoGate } from './gate';
import {
  type FactReviewDoc,
  freshReviewDoc,
  type PendingTransition,
  resolutionDoc,
  type ResolutionDoc,
  reviewFields,
  toResolution,
  toReview,
} from './review-documents';
import { factKey, type ReviewRanks } from './review-ranks';
import { CAS_ATTEMPTS } from './retries';

/** Documents read per query by allResolutions and the sweep of transitions. */
const BATCH = 500;

/** Step 5: closes the fact's OPEN reports with the resolution (a report write each). */
export type CloseOpenReports = (
  review: Pick<FactReviewDoc, '_id' | 'titleId'>,
  resolution: ResolutionDoc,
) => Promise<void>;

/** Editors' transitions of a fact's review, their crash recovery, and the resolutions. */
export class ReviewTransitions {
  private readonly reviews: Collection<FactReviewDoc>;
  private readonly resolutions: Collection<ResolutionDoc>;
  private readonly aggregates: Collection<AggregateDoc>;

  constructor(
    private readonly gate: MongoGate,
    private readonly curation: Pick<MongoCuration, 'editTitles'>,
    private readonly audit: Pick<MongoAudit, 'copyChanges'>,
    private readonly ranks: ReviewRanks,
    private readonly closeOpenReports: CloseOpenReports,
  ) {
    this.reviews = gate.factReviews;
    this.resolutions = gate.reviewResolutions;
    this.aggregates = gate.aggregates;
  }

  /** Steps 1-6 at the top of this file. */
  async transitionReview(
    factId: string,
    titleId: string,
    apply: ReviewTransition,
    edit?: TitleEdit,
  ): Promise<ReviewTransitionOutcome> {
    assertString(factId, 'factId');
    assertString(titleId, 'titleId');
    return this.gate.op(async () => {
      let edited: TitleEditOutcome | null = null;
      let editWritten = false;
      for (let attempt = 1; attempt <= CAS_ATTEMPTS; attempt++) {
        const doc = await this.reviews.findOne({ _id: factId });
        if (doc?.pendingTransition) {
          // An earlier transition's steps 4-6 first: its record must not be overwritten.
          await this.finishTransition(doc);
          continue;
        }
        const aggregate = await this.aggregates.findOne({ _id: factKey(factId) });
        const result = apply({
          review: doc ? toReview(doc) : notReviewed(),
          distribution: toAggregate(aggregate ?? { _id: factKey(factId) }).distribution,
        });
        if (edit && !editWritten) {
          [edited] = await this.curation.editTitles([edit]);
          editWritten = true;
        }
        const pending: PendingTransition = {
          at: new Date(),
          change: toChangeDoc(result.change),
          resolution: result.resolution ? resolutionDoc(result.resolution) : null,
        };
        const written = await this.writeTransition(factId, titleId, doc, result.review, pending);
        if (!written) continue;
        const after = (await this.finishTransition(written)) ?? written;
        return { review: toReview(after), resolution: result.resolution, edit: edited };
      }
      throw new StoreUnavailableError(
        `The review of fact ${factId} kept changing during the transition; ` +
          (editWritten
            ? 'the title edit was written, the review was not: retry'
            : 'nothing was written, retry'),
      );
    });
  }

  /** Step 3: a compare-and-set on `rev` (an insert when the fact had no review). Null on a miss. */
  private async writeTransition(
    factId: string,
    titleId: string,
    doc: FactReviewDoc | null,
    review: FactReview,
    pending: PendingTransition,
  ): Promise<FactReviewDoc | null> {
    const fields = { ...reviewFields(review), pendingTransition: pending };
    if (doc) {
      return this.reviews.findOneAndUpdate(
        { _id: factId, rev: doc.rev },
        { $set: fields, $inc: { rev: 1 } },
        { returnDocument: 'after', includeResultMetadata: false },
      );
    }
    const fresh: FactReviewDoc = { ...freshReviewDoc(factId, titleId), ...fields, rev: 1 };
    try {
      await this.reviews.insertOne(fresh);
      return fresh;
    } catch (error) {
      if (isDuplicateKeyError(error)) return null; // created meanwhile: read it
      throw error;
    }
  }

  /**
   * Steps 4-6 of a transition, by its writer or by whoever finds them left
   * (the next transition of the fact, the sweep). Each is idempotent, so two
   * finishing at once do no harm. Returns the review afterwards.
   */
  private async finishTransition(doc: FactReviewDoc): Promise<FactReviewDoc | null> {
    const pending = doc.pendingTransition;
    if (!pending) return doc;
    await this.audit.copyChanges([pending.change]);
    if (pending.resolution) {
      await saveResolutions(this.resolutions, [pending.resolution]);
      await this.closeOpenReports(doc, pending.resolution);
    }
    await this.ranks.rerank(doc._id);
    await this.reviews.updateOne(
      { _id: doc._id, 'pendingTransition.change._id': pending.change._id },
      { $unset: { pendingTransition: '' } },
    );
    return this.reviews.findOne({ _id: doc._id });
  }

  /**
   * Finishes transitions a crash left (steps 4-6) older than `olderThanMs`,
   * a batch per sweep. Returns how many it finished.
   */
  async sweep(olderThanMs: number): Promise<number> {
    const cutoff = new Date(Date.now() - olderThanMs);
    const left = await this.reviews
      .find({ 'pendingTransition.at': { $lte: cutoff } })
      .limit(BATCH)
      .toArray();
    for (const doc of left) await this.finishTransition(doc);
    if (left.length > 0) {
      this.gate.logger.info(
        { transitions: left.length },
        'Finished review transitions that a stopped or slow write had left pending',
      );
    }
    return left.length;
  }

  /** Resolutions a crash left on their reviews are stored first, so none is missed. */
  async *allResolutions(): AsyncIterable<ReviewResolution> {
    await this.gate.op(async () => {
      const left = await this.reviews
        .find(
          { pendingTransition: { $exists: true }, 'pendingTransition.resolution': { $ne: null } },
          { projection: { pendingTransition: 1 } },
        )
        .toArray();
      const resolutions = left.flatMap((doc) => doc.pendingTransition?.resolution ?? []);
      if (resolutions.length > 0) await saveResolutions(this.resolutions, resolutions);
    });
    let after: string | null = null;
    for (;;) {
      const filter: Filter<ResolutionDoc> = after === null ? {} : { _id: { $gt: after } };
      const docs = await this.gate.op(() =>
        this.resolutions.find(filter).sort({ _id: 1 }).limit(BATCH).toArray(),
      );
      for (const doc of docs) yield toResolution(doc);
      if (docs.length < BATCH) return;
      after = docs[docs.length - 1]._id;
    }
  }

  /** Resolutions by id, null for an unknown one, in the order asked. */
  async resolutionsByIds(ids: readonly string[]): Promise<Array<ReviewResolution | null>> {
    const keys = assertStrings(ids, 'resolution ids');
    if (keys.length === 0) return [];
    const docs = await this.gate.op(() => this.resolutions.find({ _id: { $in: keys } }).toArray());
    const byId = new Map(docs.map((doc) => [doc._id, toResolution(doc)]));
    return ids.map((id) => byId.get(id) ?? null);
  }
}

/** Upserts by id (step 4, and review-records.ts): storing a resolution again is harmless. */
export async function saveResolutions(
  collection: Collection<ResolutionDoc>,
  resolutions: ResolutionDoc[],
): Promise<void> {
  await collection.bulkWrite(
    resolutions.map((resolution) => ({
      replaceOne: { filter: { _id: resolution._id }, replacement: resolution, upsert: true },
    })),
    { ordered: false },
  );
}
