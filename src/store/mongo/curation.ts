/**
 * ## Curated content without multi-document transactions
 *
 * A title is one document holding its whole aggregate: fields, slug history
 * (`slugs`), facts in page order and recommendations in order
 * (document-model.ts). So every editor write (an edit of one title, see
 * Store.editTitles) is ONE atomic single-document operation:
 *
 * 1. Read the title; apply the edit (a pure function of the model) to it.
 * 2. `updateOne({ _id, version: v }, { $set: next aggregate + pendingChanges,
 *    $inc: { version: 1 } })` (an `insertOne` for a new title). `version`
 *    moves with every curated write, so the update applies only to the very
 *    state the edit was computed from; when it matches nothing, another write
 *    came first, and the title is read and the edit applied again (an
 *    expectedRevision that no longer holds then throws, nothing written).
 *    The unique multikey index on `slugs` makes "a slug resolves to one title,
 *    forever" part of the same atomic write (E11000 -> SlugTakenError), and
 *    the unique sparse index on `tmdbKey` "a TMDB identity names one title"
 *    (E11000 -> TmdbIdentityTakenError).
 */
/**
 * ## Batches (imports)
 *
 * editTitles applies every edit to the current state before the first write
 * (and checks slugs), so a refusal writes nothing. Then each title is written
 * as above, one after the other: a crash in between leaves some titles
 * written, each complete and consistent for readers, and running the same
 * import again completes it (edits that find their title already as wanted
 * write nothing). A TMDB import writes the recommended titles first and the
 * title that links them last, so a reader never sees a link to a missing title.
 */
import type { Collection, Document, Filter, MongoServerError } from 'mongodb';
import {
  type CuratedTitle,
  type RatingRecord,
  sameValue,
  SlugTakenError,
  StoreUnavailableError,
  TmdbIdentityTakenError,
  type TitleEditResult,
  type TmdbSnapshot,
} from '../../model';
import type {
  CurationStore,
  Page,
  PageRequest,
  RatingModeration,
  TitleEdit,
  TitleEditOutcome,
} from '../port';
import type { MongoAudit } from './audit';
import {
  afterCursor,
  assertString,
  assertStrings,
  curatedFields,
  type RatingDoc,
  tmdbKeyOf,
  type TitleDoc,
  toChangeDoc,
  toCuratedTitle,
  toRating,
  toSnapshot,
} from './documents';
import { isDuplicateKeyError } from './errors';
import type { MongoGate } from './gate';
import { CAS_ATTEMPTS } from './retries';

/** Editor reads and writes on MongoDB: one atomic single-document write per title or rating. */
export class MongoCuration implements CurationStore {
  private readonly titles: Collection<TitleDoc>;
  private readonly ratings: Collection<RatingDoc>;
  /**
   * Called after a title write removed (or added back) facts, with their ids:
   * the review queue re-ranks them (a removed fact leaves the queue). Set by
   * MongoStore; a crash before it runs is covered where the queue is read.
   */
  factsChanged: (factIds: string[]) => Promise<void> = async () => undefined;

  constructor(
    private readonly gate: MongoGate,
    private readonly audit: MongoAudit,
  ) {
    this.titles = gate.titles;
    this.ratings = gate.ratings;
  }

  async curatedTitlesByIds(ids: readonly string[]): Promise<Array<CuratedTitle | null>> {
    const keys = assertStrings(ids, 'title ids');
    if (keys.length === 0) return [];
    const docs = await this.gate.op(() =>
      this.titles.find({ _id: { $in: keys } }, { projection: { pendingChanges: 0 } }).toArray(),
    );
    const byId = new Map(docs.map((doc) => [doc._id, toCuratedTitle(doc)]));
    return ids.map((id) => byId.get(id) ?? null);
  }

  /** One walk of ratings_visible_comments: equality on the target, newest first from the cursor. */
  async commentsOf(key: string, page: PageRequest): Promise<Page<RatingRecord>> {
    assertString(key, 'target key');
    const docs = await this.gate.op(() =>
      this.ratings
        .find({
          targetKey: key,
          commented: true,
          hidden: null,
          ...afterCursor('updatedAt', page.after),
        } as Filter<RatingDoc>)
        .sort({ updatedAt: -1, _id: -1 })
        .limit(page.first + 1)
        .toArray(),
    );
    return {
      items: docs.slice(0, page.first).map(toRating),
      hasNextPage: docs.length > page.first,
    };
  }

  async saveTmdbSnapshot(titleId: string, snapshot: TmdbSnapshot): Promise<void> {
    assertString(titleId, 'titleId');
    const value = toSnapshot(snapshot);
    await this.gate.op(() =>
      this.titles.updateOne({ _id: titleId }, { $set: { tmdbSnapshot: value } }),
    );
  }

  /**
   * Every edit is applied to the current state first (a throw aborts with
   * nothing written; a slug another title holds is SlugTakenError then too),
   * then each title is written by writeTitle, one atomic update each.
   */
  async editTitles(edits: readonly TitleEdit[]): Promise<TitleEditOutcome[]> {
    edits.forEach((edit) => assertString(edit.titleId, 'title id'));
    return this.gate.op(async () => {
      const ids = edits.map((edit) => edit.titleId);
      const docs = await this.titles.find({ _id: { $in: ids } }).toArray();
      const byId = new Map(docs.map((doc) => [doc._id, doc]));
      const planned = edits.map((edit) => {
        const doc = byId.get(edit.titleId) ?? null;
        return { edit, doc, result: edit.apply(doc ? toCuratedTitle(doc) : null) };
      });
      await this.checkOwnership(planned.flatMap(({ result }) => (result ? [result.next] : [])));
      const outcomes: TitleEditOutcome[] = [];
      for (const step of planned) outcomes.push(await this.writeTitle(step));
      return outcomes;
    });
  }

  /**
   * Writes one edit: a compare-and-set on the title's `version` (or an insert
   * for a new title) that sets the next aggregate and its change records
   * (`pendingChanges`) in one atomic single-document update, then copies the
   * records to `changes` and clears them. A concurrent write to the same
   * title makes the compare-and-set miss: the title is read again and the
   * edit applied again to it (it may now throw, e.g. a revision conflict).
   */
  private async writeTitle(step: {
    edit: TitleEdit;
    doc: TitleDoc | null;
    result: TitleEditResult | null;
  }): Promise<TitleEditOutcome> {
    let { doc, result } = step;
    for (let attempt = 1; ; attempt++) {
      if (!result) return { title: doc ? toCuratedTitle(doc) : null, changes: [] };
      // Records of an earlier write go to `changes` before this write replaces them.
      if (doc?.pendingChanges) await this.audit.flushPending(doc);
      const changes = result.changes.map(toChangeDoc);
      const fields = curatedFields(result.next);
      const snapshot = result.next.title.tmdbSnapshot;
      const snapshotChanged = !sameValue(doc?.tmdbSnapshot ?? null, snapshot);
      let written: TitleDoc | null = null;
      try {
        if (!doc) {
          written = {
            _id: step.edit.titleId,
            ...fields,
            tmdbSnapshot: snapshot ? toSnapshot(snapshot) : null,
            version: 1,
            pendingChanges: changes,
          };
          const own = written;
          await this.gate.insertUnique(
            () => this.titles.insertOne(own),
            async () =>
              (await this.titles.findOne(
                {
                  _id: { $ne: own._id },
                  $or: [
                    { slugs: { $in: own.slugs } },
                    ...(own.tmdbKey === undefined ? [] : [{ tmdbKey: own.tmdbKey }]),
                  ],
                },
                { projection: { _id: 1 } },
              )) !== null,
            async () =>
              (await this.titles.deleteOne({ _id: own._id, version: own.version })).deletedCount ===
              1,
          );
        } else {
          const set = {
            ...fields,
            pendingChanges: changes,
            ...(snapshotChanged ? { tmdbSnapshot: snapshot ? toSnapshot(snapshot) : null } : {}),
          };
          const updated = await this.titles.updateOne(
            { _id: doc._id, version: doc.version },
            {
              $set: set,
              $inc: { version: 1 },
              ...(set.tmdbKey === undefined ? { $unset: { tmdbKey: '' } } : {}),
            },
          );
          if (updated.matchedCount === 1) {
            written = { ...doc, ...set, version: doc.version + 1 };
          }
        }
      } catch (error) {
        if (!isDuplicateKeyError(error)) throw error;
        // Another title took a slug or the TMDB identity since the check (say which);
        // or, for a new title, another writer created it first (apply the edit again).
        if (doc || !duplicateOfId(error)) {
          await this.checkOwnership([result.next]);
          throw new SlugTakenError(result.next.title.slug);
        }
      }
      if (written) {
        await this.audit.flushPending(written);
        const before = new Set((doc?.facts ?? []).map((fact) => fact.id));
        const after = new Set(result.next.facts.map((fact) => fact.id));
        const gone = [...before].filter((id) => !after.has(id));
        const back = [...after].filter((id) => !before.has(id));
        if (gone.length + back.length > 0) await this.factsChanged([...gone, ...back]);
        return { title: result.next, changes: result.changes };
      }
      if (attempt >= CAS_ATTEMPTS) {
        throw new StoreUnavailableError(
          `Title ${step.edit.titleId} kept changing during the write; nothing was written, retry`,
        );
      }
      doc = await this.titles.findOne({ _id: step.edit.titleId });
      result = step.edit.apply(doc ? toCuratedTitle(doc) : null);
    }
  }

  /**
   * Before anything is written: SlugTakenError for a slug another title
   * holds, TmdbIdentityTakenError for a TMDB identity another title has.
   */
  private async checkOwnership(nexts: CuratedTitle[]): Promise<void> {
    await this.checkSlugsFree(nexts);
    const owners = new Map(
      nexts.flatMap(({ title }) =>
        title.tmdbId === null ? [] : [[tmdbKeyOf({ ...title, tmdbId: title.tmdbId }), title]],
      ),
    );
    if (owners.size === 0) return;
    const holders = await this.titles
      .find({ tmdbKey: { $in: [...owners.keys()] } }, { projection: { slug: 1, tmdbKey: 1 } })
      .toArray();
    for (const holder of holders) {
      const owner = owners.get(holder.tmdbKey!);
      if (owner && owner.id !== holder._id) {
        throw new TmdbIdentityTakenError(owner.tmdbId!, owner.mediaType, {
          id: holder._id,
          slug: holder.slug,
        });
      }
    }
  }

  private async checkSlugsFree(nexts: CuratedTitle[]): Promise<void> {
    const owners = new Map<string, string>();
    for (const next of nexts) {
      for (const slug of [next.title.slug, ...next.formerSlugs]) owners.set(slug, next.title.id);
    }
    if (owners.size === 0) return;
    const holders = await this.titles
      .find({ slugs: { $in: [...owners.keys()] } }, { projection: { slugs: 1 } })
      .toArray();
    for (const holder of holders) {
      for (const slug of holder.slugs) {
        const owner = owners.get(slug);
        if (owner !== undefined && owner !== holder._id) throw new SlugTakenError(slug);
      }
    }
  }

  /**
   * Like a title write: a compare-and-set on the rating's
   * `moderationVersion` sets `hidden` and its change record in one atomic
   * update; then the record is copied to `changes`. The rating's score and
   * its aggregate are not touched.
   */
  async moderateRating(ratingId: string, apply: RatingModeration): Promise<RatingRecord | null> {
    assertString(ratingId, 'rating id');
    return this.gate.op(async () => {
      for (let attempt = 1; attempt <= CAS_ATTEMPTS; attempt++) {
        const doc = await this.ratings.findOne({ _id: ratingId });
        if (!doc) return null;
        if (doc.pendingChange) await this.audit.flushRatingChange(doc);
        const current = toRating(doc);
        const result = apply(current);
        if (!result) return current;
        const version = doc.moderationVersion ?? 0;
        const pendingChange = toChangeDoc(result.change);
        const updated = await this.ratings.updateOne(
          { _id: ratingId, moderationVersion: doc.moderationVersion ?? { $exists: false } },
          { $set: { hidden: result.hidden, moderationVersion: version + 1, pendingChange } },
        );
        if (updated.matchedCount === 0) continue;
        await this.audit.flushRatingChange({
          _id: ratingId,
          moderationVersion: version + 1,
          pendingChange,
        });
        return { ...current, hidden: result.hidden };
      }
      throw new StoreUnavailableError(
        `Rating ${ratingId} kept changing during the write; nothing was written, retry`,
      );
    });
  }
}

/** An E11000 on the `_id` index (rather than on a slug index). */
function duplicateOfId(error: unknown): boolean {
  const { keyPattern, keyValue } = error as MongoServerError & { keyValue?: Document };
  if (keyPattern) return Object.keys(keyPattern).join() === '_id';
  if (keyValue) return Object.keys(keyValue).join() === '_id';
  return / index: _id_ /.test(String((error as Error).message));
}
