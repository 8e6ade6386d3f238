/**
 * ## Audit trail: the records travel with the change
 *
 * The change records of a write are stored IN the document it changes
 * (`pendingChanges` on a title, `pendingChange` on a rating), by the same
 * atomic update: a change never exists without its record, and a record
 * never exists for a change that did not happen. Step 3 copies them to the
 * `changes` collection (upserts by id: repeating it is harmless) and unsets
 * them (only if the document has not moved on). A crash between 2 and 3
 * leaves them in the document, where (a) the next write to that document
 * copies them before replacing them, and (b) changesOfTitle copies them
 * before listing, so a listing never misses one. Tested by failing the copy
 * (test/integration/mongo-audit-crash.test.ts). An editor's review transition
 * keeps its record in the fact's review document (`pendingTransition`,
 * review-transitions.ts) the same way.
 */
import type { Collection, Filter } from 'mongodb';
import type { ChangeRecord } from '../../model';
import type { AuditTrail, Page, PageRequest } from '../port';
import {
  afterCursor,
  assertString,
  assertStrings,
  type ChangeDoc,
  type RatingDoc,
  type TitleDoc,
  toChange,
} from './documents';
import type { MongoGate } from './gate';
import type { FactReviewDoc } from './review-documents';

/** The `changes` collection, and the copying of records that writes leave in their documents. */
export class MongoAudit implements AuditTrail {
  private readonly titles: Collection<TitleDoc>;
  private readonly ratings: Collection<RatingDoc>;
  private readonly changes: Collection<ChangeDoc>;
  private readonly reviews: Collection<FactReviewDoc>;

  constructor(private readonly gate: MongoGate) {
    this.titles = gate.titles;
    this.ratings = gate.ratings;
    this.changes = gate.changes;
    this.reviews = gate.factReviews;
  }

  /**
   * Copies records a crash left inside documents first (see the comment at the top
   * of this file), so a change that happened is always listed.
   */
  async changesOfTitle(titleId: string, page: PageRequest): Promise<Page<ChangeRecord>> {
    assertString(titleId, 'title id');
    return this.gate.op(async () => {
      await this.flushPendingOfTitle(titleId);
      const docs = await this.changes
        .find({ titleId, ...afterCursor('at', page.after) } as Filter<ChangeDoc>)
        .sort({ at: -1, _id: -1 })
        .limit(page.first + 1)
        .toArray();
      return {
        items: docs.slice(0, page.first).map(toChange),
        hasNextPage: docs.length > page.first,
      };
    });
  }

  async changesByIds(ids: readonly string[]): Promise<Array<ChangeRecord | null>> {
    const keys = assertStrings(ids, 'change ids');
    if (keys.length === 0) return [];
    const docs = await this.gate.op(() => this.changes.find({ _id: { $in: keys } }).toArray());
    const byId = new Map(docs.map((doc) => [doc._id, toChange(doc)]));
    return ids.map((id) => byId.get(id) ?? null);
  }

  /**
   * Copies a title's pending change records to `changes` (upserts by id:
   * repeating it is harmless), then clears them if the title has not been
   * written since.
   */
  async flushPending(doc: Pick<TitleDoc, '_id' | 'version' | 'pendingChanges'>) {
    const pending = doc.pendingChanges ?? [];
    if (pending.length > 0) await this.copyChanges(pending);
    await this.titles.updateOne(
      { _id: doc._id, version: doc.version },
      { $unset: { pendingChanges: '' } },
    );
  }

  /** Stores change records by id (upserts: storing one again is harmless). */
  async copyChanges(changes: ChangeDoc[]): Promise<void> {
    await this.changes.bulkWrite(
      changes.map((change) => ({
        replaceOne: { filter: { _id: change._id }, replacement: change, upsert: true },
      })),
      { ordered: false },
    );
  }

  /** Before a title's changes are listed: copies what a crash left in its documents. */
  private async flushPendingOfTitle(titleId: string): Promise<void> {
    const title = await this.titles.findOne(
      { _id: titleId, pendingChanges: { $exists: true } },
      { projection: { version: 1, pendingChanges: 1 } },
    );
    if (title) await this.flushPending(title);
    const ratings = await this.ratings
      .find(
        { 'pendingChange.titleId': titleId },
        { projection: { moderationVersion: 1, pendingChange: 1 } },
      )
      .toArray();
    for (const rating of ratings) await this.flushRatingChange(rating);
    // A review transition copies its record itself (the sweep does after a crash); copied
    // here too so a listing never waits for that. Left in place: the transition clears it.
    const reviews = await this.reviews
      .find(
        { titleId, pendingTransition: { $exists: true } },
        { projection: { 'pendingTransition.change': 1 } },
      )
      .toArray();
    const changes = reviews.flatMap((review) =>
      review.pendingTransition ? [review.pendingTransition.change] : [],
    );
    if (changes.length > 0) await this.copyChanges(changes);
  }

  async flushRatingChange(
    doc: Pick<RatingDoc, '_id' | 'moderationVersion' | 'pendingChange'>,
  ): Promise<void> {
    if (doc.pendingChange) await this.copyChanges([doc.pendingChange]);
    await this.ratings.updateOne(
      { _id: doc._id, moderationVersion: doc.moderationVersion },
      { $unset: { pendingChange: '' } },
    );
  }
}
