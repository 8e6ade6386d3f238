/**
 * The MongoDB store (production adapter). Same semantics as the embedded SQLite
 * store; both pass test/contract/store.contract.test.ts.
 *
 * ## Ratings without multi-document transactions
 *
 * A rating write touches two documents: the voter's rating and the target's
 * aggregate. It needs no transaction (so it works on a standalone server)
 * because each step is a single-document atomic operation and the second one
 * only applies a delta that the first one determined exactly:
 *
 * 1. `findOneAndUpdate({ targetKey, voterId }, { $set: score/comment/updatedAt,
 *    $setOnInsert: _id/titleId/factId/createdAt }, { upsert, returnDocument:
 *    'before' })`. MongoDB applies it atomically to one document and returns
 *    the document as it was just before *this* write: null when this write
 *    inserted it, else the exact previous score. The unique index on
 *    (targetKey, voterId) guarantees one rating per voter and target; two
 *    concurrent first ratings by the same voter both try to insert, one gets
 *    E11000 (when the server does not retry it itself) and retries, and then
 *    sees the winner's document as its "before". So for every voter and
 *    target, the writes form one sequence s1 -> s2 -> ... -> sn in which each
 *    write knows its predecessor.
 * 2. `findOneAndUpdate({ _id: targetKey }, { $inc: delta }, { upsert,
 *    returnDocument: 'after' })` with delta = +1 count, +s, +1 d<s> for an
 *    insert; and +s(i) - s(i-1), +1 d<s(i)>, -1 d<s(i-1)> for a replace. $inc
 *    is atomic and commutative: whatever order concurrent deltas land in, their
 *    sum telescopes to count = number of voters, sum = sum of latest scores,
 *    d<k> = number of voters whose latest score is k. So once every write has
 *    finished, the aggregate equals a recomputation from the ratings, exactly.
 *    The 'after' image is this write's read-your-writes aggregate. (While
 *    writes are in flight a counter can be transiently off, even negative when
 *    a re-rating's -1 lands before the first rating's +1; validators therefore
 *    put no minimum on counters.)
 *
 * Worst case: the process dies (or the connection drops and the error leaves
 * it unknown whether step 2 ran) between the two writes. The rating is then
 * saved and its aggregate is short by that one delta; a later write to the same
 * target does not fix it. `rebuildAggregates()` (npm run ratings:rebuild)
 * recomputes every aggregate from the ratings and repairs such drift. Step 2 is
 * never retried blindly on an ambiguous error: that could apply a delta twice.
 * On a replica set the driver's retryable writes make each step exactly-once
 * across a failover.
 *
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
 *
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
 * (test/integration/mongo-audit-crash.test.ts).
 *
 * ## Batches (imports)
 *
 * editTitles applies every edit to the current state before the first write
 * (and checks slugs), so a refusal writes nothing. Then each title is written
 * as above, one after the other: a crash in between leaves some titles
 * written, each complete and consistent for readers, and running the same
 * import again completes it (edits that find their title already as wanted
 * write nothing). A TMDB import writes the recommended titles first and the
 * title that links them last, so a reader never sees a link to a missing title.
 *
 * ## Availability
 *
 * `create()` does no I/O. The first operation (normally the app's `ping()`
 * loop) connects and ensures the schema. Until that has succeeded the store is
 * not ready: every operation fails with StoreUnavailableError (so requests get
 * SERVICE_UNAVAILABLE, whatever the cause: an outage, or a schema problem such
 * as duplicates under a unique index), and only `ping()` tries again, so a
 * broken database costs one attempt per ping, not one per request. Outages map
 * to StoreUnavailableError (errors.ts); the driver reconnects on its own when
 * the server is back.
 */
import {
  type Collection,
  type Db,
  type Document,
  type Filter,
  MongoClient,
  MongoServerError,
} from 'mongodb';
import { RateLimiterMongo, type RateLimiterRes } from 'rate-limiter-flexible';
import { newStoreId } from '../ids';
import { type Store, StoreUnavailableError } from '../port';
import {
  type AccuracyAggregate,
  type ChangeRecord,
  type CuratedTitle,
  emptyAggregate,
  type FactRecord,
  type MediaType,
  type RatingRecord,
  type RecommendationRecord,
  sameAggregate,
  sameValue,
  SlugTakenError,
  TmdbIdentityTakenError,
  type TitleEditResult,
  type TitleRecord,
  type TmdbSnapshot,
} from '../../model';
import {
  type AggregateDrift,
  type Page,
  type PageRequest,
  type RatingModeration,
  type RatingWrite,
  type RatingWriteResult,
  type RebuildReport,
  type TitleEdit,
  type TitleEditOutcome,
  type TitleListQuery,
  type TitlePage,
} from '../port';
import { boundedServerSelectionTimeout, redactCredentials, resolveDbName } from './connection';
import {
  afterCursor,
  type AggregateDoc,
  aggregateFields,
  aggregateIncrement,
  assertString,
  assertStrings,
  type ChangeDoc,
  curatedFields,
  type RatingDoc,
  ratingUpsert,
  searchFilter,
  TITLE_AND_SLUGS,
  TITLE_FIELDS_ONLY,
  tmdbKeyOf,
  type TitleDoc,
  toAggregate,
  toChange,
  toChangeDoc,
  toCuratedTitle,
  toFacts,
  toRating,
  toRecommendations,
  toSnapshot,
  toTitle,
} from './documents';
import { isDuplicateKeyError, toStoreError } from './errors';
import { silentLogger, type StoreLogger } from './log';
import { COLLECTION, ensureSchema } from './schema';
import { upgradeDocuments } from './upgrade';

export interface MongoStoreOptions {
  /** mongodb:// or mongodb+srv:// connection string; pool sizes and timeouts come from it. */
  uri: string;
  /** Used when the URI has no database in its path (MONGODB_DB). Default 'reelcheck'. */
  dbName?: string;
  /**
   * Wins over the URI path. For tests and tools that need another database with
   * the same connection string: rewriting the URI path instead would also
   * change the default authSource, which is the path's database.
   */
  dbNameOverride?: string;
  /** How long an operation waits for a usable server before failing (clamped to 100..60000). */
  serverSelectionTimeoutMs: number;
  logger?: StoreLogger;
  /**
   * rebuildAggregates waits this long before confirming a suspected drift, so
   * rating writes in flight (rating saved, aggregate not yet) are not mistaken
   * for drift. Default 1000.
   */
  rebuildSettleMs?: number;
}

const DUPLICATE_KEY_ATTEMPTS = 5;
/** Compare-and-set attempts of one curated write before it gives up (nothing written). */
const CAS_ATTEMPTS = 10;
const REBUILD_ROUNDS = 3;

/** Per-target counts as the rebuild pipeline computes them from raw ratings. */
const GROUP_BY_TARGET = {
  $group: {
    _id: '$targetKey',
    count: { $sum: 1 },
    sum: { $sum: '$score' },
    d1: { $sum: { $cond: [{ $eq: ['$score', 1] }, 1, 0] } },
    d2: { $sum: { $cond: [{ $eq: ['$score', 2] }, 1, 0] } },
    d3: { $sum: { $cond: [{ $eq: ['$score', 3] }, 1, 0] } },
    d4: { $sum: { $cond: [{ $eq: ['$score', 4] }, 1, 0] } },
    d5: { $sum: { $cond: [{ $eq: ['$score', 5] }, 1, 0] } },
  },
};

export class MongoStore implements Store {
  readonly kind = 'mongo' as const;
  private readonly db: Db;
  private readonly titles: Collection<TitleDoc>;
  private readonly ratings: Collection<RatingDoc>;
  private readonly aggregates: Collection<AggregateDoc>;
  private readonly changes: Collection<ChangeDoc>;
  private readiness: Promise<void> | null = null;
  /** Why the last readiness attempt failed; operations other than ping() fail with it. */
  private notReady: StoreUnavailableError | null = null;
  private closed = false;
  private closing: Promise<void> | null = null;
  private readonly inFlight = new Set<Promise<unknown>>();

  private constructor(
    private readonly client: MongoClient,
    /** The database this store uses (resolved from override, URI path, dbName, default). */
    readonly dbName: string,
    private readonly logger: StoreLogger,
    private readonly rebuildSettleMs: number,
  ) {
    this.db = client.db(dbName);
    this.titles = this.db.collection<TitleDoc>(COLLECTION.titles);
    this.ratings = this.db.collection<RatingDoc>(COLLECTION.ratings);
    this.aggregates = this.db.collection<AggregateDoc>(COLLECTION.aggregates);
    this.changes = this.db.collection<ChangeDoc>(COLLECTION.changes);
  }

  /**
   * Builds the store without any network I/O: the client connects on first use.
   * Throws only for a malformed URI or database name (message free of credentials).
   */
  static create(options: MongoStoreOptions): MongoStore {
    let client: MongoClient;
    try {
      // A serverSelectionTimeoutMS written in the URI wins: "timeouts from the URI".
      const inUri = /[?&]serverSelectionTimeoutMS=/i.test(options.uri);
      client = new MongoClient(
        options.uri,
        inUri
          ? {}
          : {
              serverSelectionTimeoutMS: boundedServerSelectionTimeout(
                options.serverSelectionTimeoutMs,
              ),
            },
      );
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      // No `cause` on purpose: the driver's parse errors can quote the user name.
      // eslint-disable-next-line preserve-caught-error
      throw new Error(
        `Invalid MongoDB connection string: ${redactCredentials(message, options.uri)}`,
      );
    }
    const dbName = resolveDbName(options);
    return new MongoStore(
      client,
      dbName,
      options.logger ?? silentLogger,
      Math.max(0, options.rebuildSettleMs ?? 1000),
    );
  }

  // ---- reads ---------------------------------------------------------------

  async titlesByIds(ids: readonly string[]): Promise<Array<TitleRecord | null>> {
    const keys = assertStrings(ids, 'title ids');
    if (keys.length === 0) return [];
    const docs = await this.op(() =>
      this.titles.find({ _id: { $in: keys } }, { projection: TITLE_FIELDS_ONLY }).toArray(),
    );
    const byId = new Map(docs.map((doc) => [doc._id, toTitle(doc)]));
    return ids.map((id) => byId.get(id) ?? null);
  }

  /** Through the slug history (`slugs`, unique multikey index): former slugs resolve too. */
  async titlesBySlugs(slugs: readonly string[]): Promise<Array<TitleRecord | null>> {
    const keys = assertStrings(slugs, 'slugs');
    if (keys.length === 0) return [];
    const docs = await this.op(() =>
      this.titles.find({ slugs: { $in: keys } }, { projection: TITLE_AND_SLUGS }).toArray(),
    );
    const bySlug = new Map<string, TitleRecord>();
    for (const doc of docs) for (const slug of doc.slugs) bySlug.set(slug, toTitle(doc));
    return slugs.map((slug) => bySlug.get(slug) ?? null);
  }

  async titlesByTmdbIds(
    keys: ReadonlyArray<{ tmdbId: number; mediaType: MediaType }>,
  ): Promise<Array<TitleRecord | null>> {
    if (keys.length === 0) return [];
    const tmdbKeys = keys.map(({ tmdbId, mediaType }) => {
      if (!Number.isSafeInteger(tmdbId)) throw new TypeError('tmdbId must be an integer');
      assertString(mediaType, 'mediaType');
      return tmdbKeyOf({ tmdbId, mediaType });
    });
    const docs = await this.op(() =>
      this.titles.find({ tmdbKey: { $in: tmdbKeys } }, { projection: TITLE_FIELDS_ONLY }).toArray(),
    );
    const byKey = new Map(docs.map((doc) => [doc.tmdbKey, toTitle(doc)]));
    return tmdbKeys.map((key) => byKey.get(key) ?? null);
  }

  /**
   * What the server is asked, each bounded by an index: the page is the
   * first `first + 1` titles after the cursor in slug order (titles_slug_unique,
   * or titles_name_trigrams for a search of 3+ characters: the titles holding
   * one of its trigrams, in slug order, checked for the whole search); the
   * total is the collection's own count without a search (countAll), and the
   * matches counted through the same index with one (its cost grows with the
   * number of matches, not of titles).
   */
  async listTitles(query: TitleListQuery): Promise<TitlePage> {
    const { first } = query;
    if (!Number.isInteger(first) || first < 0) {
      throw new RangeError('first must be a non-negative integer');
    }
    const match: Filter<TitleDoc> = searchFilter(query.search);
    const page: Filter<TitleDoc> = { ...match };
    if (query.afterSlug !== null && query.afterSlug !== undefined && query.afterSlug !== '') {
      assertString(query.afterSlug, 'afterSlug');
      page.slug = { $gt: query.afterSlug };
    }
    const [docs, totalCount] = await this.op(() =>
      Promise.all([
        this.titles
          .find(page, { projection: TITLE_FIELDS_ONLY })
          .sort({ slug: 1 })
          .limit(first + 1)
          .toArray(),
        Object.keys(match).length === 0 ? this.countAll() : this.titles.countDocuments(match),
      ]),
    );
    return {
      titles: docs.slice(0, first).map(toTitle),
      hasNextPage: docs.length > first,
      totalCount,
    };
  }

  /** Facts live inside their title document, in page order. */
  async factsByTitleIds(titleIds: readonly string[]): Promise<FactRecord[][]> {
    const keys = assertStrings(titleIds, 'title ids');
    if (keys.length === 0) return [];
    const docs = await this.op(() =>
      this.titles.find({ _id: { $in: keys } }, { projection: { facts: 1 } }).toArray(),
    );
    const byTitle = new Map(docs.map((doc) => [doc._id, toFacts(doc)]));
    return titleIds.map((id) => [...(byTitle.get(id) ?? [])]);
  }

  /** The titles holding the facts, by the titles_fact_ids index. */
  async factsByIds(ids: readonly string[]): Promise<Array<FactRecord | null>> {
    const keys = assertStrings(ids, 'fact ids');
    if (keys.length === 0) return [];
    const docs = await this.op(() =>
      this.titles.find({ 'facts.id': { $in: keys } }, { projection: { facts: 1 } }).toArray(),
    );
    const byId = new Map(docs.flatMap((doc) => toFacts(doc)).map((fact) => [fact.id, fact]));
    return ids.map((id) => byId.get(id) ?? null);
  }

  async recommendationsByTitleIds(titleIds: readonly string[]): Promise<RecommendationRecord[][]> {
    const keys = assertStrings(titleIds, 'title ids');
    if (keys.length === 0) return [];
    const docs = await this.op(() =>
      this.titles.find({ _id: { $in: keys } }, { projection: { recommendations: 1 } }).toArray(),
    );
    const byTitle = new Map(docs.map((doc) => [doc._id, toRecommendations(doc)]));
    return titleIds.map((id) => [...(byTitle.get(id) ?? [])]);
  }

  async curatedTitlesByIds(ids: readonly string[]): Promise<Array<CuratedTitle | null>> {
    const keys = assertStrings(ids, 'title ids');
    if (keys.length === 0) return [];
    const docs = await this.op(() =>
      this.titles.find({ _id: { $in: keys } }, { projection: { pendingChanges: 0 } }).toArray(),
    );
    const byId = new Map(docs.map((doc) => [doc._id, toCuratedTitle(doc)]));
    return ids.map((id) => byId.get(id) ?? null);
  }

  /** One walk of ratings_visible_comments: equality on the target, newest first from the cursor. */
  async commentsOf(key: string, page: PageRequest): Promise<Page<RatingRecord>> {
    assertString(key, 'target key');
    const docs = await this.op(() =>
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

  /**
   * Copies records a crash left inside documents first (see "Audit trail"
   * above), so a change that happened is always listed.
   */
  async changesOfTitle(titleId: string, page: PageRequest): Promise<Page<ChangeRecord>> {
    assertString(titleId, 'title id');
    return this.op(async () => {
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
    const docs = await this.op(() => this.changes.find({ _id: { $in: keys } }).toArray());
    const byId = new Map(docs.map((doc) => [doc._id, toChange(doc)]));
    return ids.map((id) => byId.get(id) ?? null);
  }

  async aggregatesByTargets(keys: readonly string[]): Promise<AccuracyAggregate[]> {
    const unique = assertStrings(keys, 'target keys');
    if (unique.length === 0) return [];
    const docs = await this.op(() => this.aggregates.find({ _id: { $in: unique } }).toArray());
    const byKey = new Map(docs.map((doc) => [doc._id, toAggregate(doc)]));
    return keys.map((key) => byKey.get(key) ?? emptyAggregate(key));
  }

  async ratingsByIds(ids: readonly string[]): Promise<Array<RatingRecord | null>> {
    const keys = assertStrings(ids, 'rating ids');
    if (keys.length === 0) return [];
    const docs = await this.op(() => this.ratings.find({ _id: { $in: keys } }).toArray());
    const byId = new Map(docs.map((doc) => [doc._id, toRating(doc)]));
    return ids.map((id) => byId.get(id) ?? null);
  }

  /** Uses the unique (targetKey, voterId) index: the target keys bound it, the voter narrows it. */
  async ratingsOfVoter(
    voterId: string,
    targetKeys: readonly string[],
  ): Promise<Array<RatingRecord | null>> {
    assertString(voterId, 'voterId');
    const keys = assertStrings(targetKeys, 'target keys');
    if (keys.length === 0) return [];
    const docs = await this.op(() =>
      this.ratings.find({ targetKey: { $in: keys }, voterId }).toArray(),
    );
    const byKey = new Map(docs.map((doc) => [doc.targetKey, toRating(doc)]));
    return targetKeys.map((key) => byKey.get(key) ?? null);
  }

  async ratingsByTarget(key: string): Promise<RatingRecord[]> {
    assertString(key, 'target key');
    const docs = await this.op(() =>
      this.ratings.find({ targetKey: key }).sort({ createdAt: 1, _id: 1 }).toArray(),
    );
    return docs.map(toRating);
  }

  /** See countAll. */
  async countTitles(): Promise<number> {
    return this.op(() => this.countAll());
  }

  /**
   * MongoDB's own count of the collection (collection metadata, kept by the
   * server with every insert): constant time, where counting the documents
   * reads all of them. Titles are never deleted and the collection is not
   * sharded (README "Scaling out"), so it is exact; MongoDB documents that
   * after an unclean shutdown of the server it can be off until `validate`
   * runs on the collection.
   */
  private countAll(): Promise<number> {
    return this.titles.estimatedDocumentCount();
  }

  // ---- ratings ---------------------------------------------------------------

  /** See the comment at the top of this file for why this is exact without transactions. */
  async upsertRating(write: RatingWrite, now: Date): Promise<RatingWriteResult> {
    // Validates every caller value before anything reaches a query.
    const { filter, update } = ratingUpsert(write, now, '');
    const key = filter.targetKey;
    const { score, comment, updatedAt } = update.$set;
    const { titleId, factId } = update.$setOnInsert;

    return this.op(async () => {
      let insertedId = '';
      const before = await retryOnDuplicateKey(() => {
        insertedId = newStoreId();
        return this.ratings.findOneAndUpdate(
          filter,
          { ...update, $setOnInsert: { ...update.$setOnInsert, _id: insertedId } },
          { upsert: true, returnDocument: 'before', includeResultMetadata: false },
        );
      });

      const inc = aggregateIncrement(before ? before.score : null, score);
      const after = await retryOnDuplicateKey(() =>
        this.aggregates.findOneAndUpdate(
          { _id: key },
          { $inc: inc },
          { upsert: true, returnDocument: 'after', includeResultMetadata: false },
        ),
      );
      const aggregate = after ? toAggregate(after) : await this.readAggregate(key);

      const rating: RatingRecord = before
        ? {
            id: before._id,
            targetKey: key,
            titleId: before.titleId,
            factId: before.factId ?? null,
            voterId: filter.voterId,
            score,
            comment,
            hidden: before.hidden ?? null,
            createdAt: before.createdAt,
            updatedAt,
          }
        : {
            id: insertedId,
            targetKey: key,
            titleId,
            factId,
            voterId: filter.voterId,
            score,
            comment,
            hidden: null,
            createdAt: now,
            updatedAt,
          };
      return { rating, aggregate, created: before === null };
    });
  }

  /**
   * Recomputes every aggregate from the raw ratings ($group by targetKey) and
   * compares it with the stored ones (including aggregates whose ratings are
   * gone: they should be zero). Safe to run while the app takes ratings:
   * a suspected drift is confirmed only if neither the ratings nor the
   * aggregate of that target changed during `rebuildSettleMs` (so writes in
   * flight are not "repaired"), and the repair is a compare-and-replace that
   * does nothing if the aggregate moved meanwhile. Targets still busy after a
   * few rounds are logged and left for the next run.
   */
  async rebuildAggregates(options: { dryRun?: boolean } = {}): Promise<RebuildReport> {
    const repair = !options.dryRun;
    return this.op(async () => {
      const actualByKey = new Map<string, AccuracyAggregate>();
      let ratings = 0;
      const rows = this.ratings.aggregate<Document>([GROUP_BY_TARGET], { allowDiskUse: true });
      for await (const row of rows) {
        if (typeof row._id !== 'string') continue;
        const actual = toAggregate(row as AggregateDoc);
        actualByKey.set(row._id, actual);
        ratings += actual.count;
      }

      const suspects = new Map<string, AggregateDrift>();
      const storedKeys = new Set<string>();
      for await (const doc of this.aggregates.find({})) {
        storedKeys.add(doc._id);
        const stored = toAggregate(doc);
        const actual = actualByKey.get(doc._id) ?? emptyAggregate(doc._id);
        if (!sameAggregate(stored, actual)) {
          suspects.set(doc._id, { targetKey: doc._id, stored, actual });
        }
      }
      for (const [key, actual] of actualByKey) {
        if (storedKeys.has(key)) continue;
        const stored = emptyAggregate(key);
        if (!sameAggregate(stored, actual)) suspects.set(key, { targetKey: key, stored, actual });
      }

      const drift = await this.confirmDrift(suspects, repair);
      if (drift.length > 0) {
        this.logger.warn(
          { targets: drift.map((d) => d.targetKey), repaired: repair },
          repair ? 'Repaired drifted rating aggregates' : 'Rating aggregates have drifted',
        );
      }
      return { targets: actualByKey.size, ratings, drift };
    });
  }

  private async confirmDrift(
    suspects: Map<string, AggregateDrift>,
    repair: boolean,
  ): Promise<AggregateDrift[]> {
    const confirmed: AggregateDrift[] = [];
    let pending = suspects;
    for (let round = 1; pending.size > 0 && round <= REBUILD_ROUNDS; round++) {
      await sleep(this.rebuildSettleMs);
      const next = new Map<string, AggregateDrift>();
      for (const [key, seen] of pending) {
        const stored = await this.readAggregate(key);
        const actual = await this.recount(key);
        const current = { targetKey: key, stored, actual };
        if (sameAggregate(stored, actual)) continue; // writes in flight have settled it
        if (!sameAggregate(stored, seen.stored) || !sameAggregate(actual, seen.actual)) {
          next.set(key, current); // still moving: look again next round
          continue;
        }
        if (!repair || (await this.replaceIfUnchanged(key, stored, actual)))
          confirmed.push(current);
        else next.set(key, current);
      }
      pending = next;
    }
    if (pending.size > 0) {
      this.logger.warn(
        { targets: [...pending.keys()] },
        'Rating aggregates kept changing during the rebuild; left as they are, run it again',
      );
    }
    return confirmed;
  }

  private async readAggregate(key: string): Promise<AccuracyAggregate> {
    const doc = await this.aggregates.findOne({ _id: key });
    return doc ? toAggregate(doc) : emptyAggregate(key);
  }

  private async recount(key: string): Promise<AccuracyAggregate> {
    const [row] = await this.ratings
      .aggregate<Document>([{ $match: { targetKey: key } }, GROUP_BY_TARGET])
      .toArray();
    return row ? toAggregate({ ...(row as AggregateDoc), _id: key }) : emptyAggregate(key);
  }

  /** Replaces the aggregate with `actual` only if it still equals `expected` (missing counts as zero). */
  private async replaceIfUnchanged(
    key: string,
    expected: AccuracyAggregate,
    actual: AccuracyAggregate,
  ): Promise<boolean> {
    const filter: Document = { _id: key };
    for (const [field, value] of Object.entries(aggregateFields(expected))) {
      filter[field] = value === 0 ? { $in: [0, null] } : value;
    }
    const expectedIsZero =
      expected.count === 0 && expected.sum === 0 && expected.distribution.every((n) => n === 0);
    try {
      const result = await this.aggregates.replaceOne(
        filter as Filter<AggregateDoc>,
        aggregateFields(actual),
        { upsert: expectedIsZero },
      );
      return result.matchedCount > 0 || result.upsertedCount > 0;
    } catch (error) {
      // Upsert of a missing aggregate raced with a rating that created it.
      if (isDuplicateKeyError(error)) return false;
      throw error;
    }
  }

  // ---- writes of curated content -------------------------------------------

  async saveTmdbSnapshot(titleId: string, snapshot: TmdbSnapshot): Promise<void> {
    assertString(titleId, 'titleId');
    const value = toSnapshot(snapshot);
    await this.op(() => this.titles.updateOne({ _id: titleId }, { $set: { tmdbSnapshot: value } }));
  }

  /**
   * Every edit is applied to the current state first (a throw aborts with
   * nothing written; a slug another title holds is SlugTakenError then too),
   * then each title is written by writeTitle, one atomic update each.
   */
  async editTitles(edits: readonly TitleEdit[]): Promise<TitleEditOutcome[]> {
    edits.forEach((edit) => assertString(edit.titleId, 'title id'));
    return this.op(async () => {
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
      if (doc?.pendingChanges) await this.flushPending(doc);
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
          await this.titles.insertOne(written);
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
        await this.flushPending(written);
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
   * Copies a title's pending change records to `changes` (upserts by id:
   * repeating it is harmless), then clears them if the title has not been
   * written since.
   */
  private async flushPending(doc: Pick<TitleDoc, '_id' | 'version' | 'pendingChanges'>) {
    const pending = doc.pendingChanges ?? [];
    if (pending.length > 0) await this.copyChanges(pending);
    await this.titles.updateOne(
      { _id: doc._id, version: doc.version },
      { $unset: { pendingChanges: '' } },
    );
  }

  private async copyChanges(changes: ChangeDoc[]): Promise<void> {
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
  }

  private async flushRatingChange(
    doc: Pick<RatingDoc, '_id' | 'moderationVersion' | 'pendingChange'>,
  ): Promise<void> {
    if (doc.pendingChange) await this.copyChanges([doc.pendingChange]);
    await this.ratings.updateOne(
      { _id: doc._id, moderationVersion: doc.moderationVersion },
      { $unset: { pendingChange: '' } },
    );
  }

  /**
   * Like a title write: a compare-and-set on the rating's
   * `moderationVersion` sets `hidden` and its change record in one atomic
   * update; then the record is copied to `changes`. The rating's score and
   * its aggregate are not touched.
   */
  async moderateRating(ratingId: string, apply: RatingModeration): Promise<RatingRecord | null> {
    assertString(ratingId, 'rating id');
    return this.op(async () => {
      for (let attempt = 1; attempt <= CAS_ATTEMPTS; attempt++) {
        const doc = await this.ratings.findOne({ _id: ratingId });
        if (!doc) return null;
        if (doc.pendingChange) await this.flushRatingChange(doc);
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
        await this.flushRatingChange({
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

  // ---- lifecycle -------------------------------------------------------------

  /**
   * A fixed-window rate limiter (rate-limiter-flexible) whose counters live in
   * this database, so every process on it spends one budget. It runs like any
   * store operation: after the schema (its unique key index makes concurrent
   * first hits count on one counter), failing with StoreUnavailableError while
   * not ready or unreachable. A RateLimiterRes rejection means over the limit.
   */
  rateLimiter(options: { keyPrefix: string; points: number; durationSeconds: number }): {
    consume(key: string): Promise<RateLimiterRes>;
  } {
    const limiter = new RateLimiterMongo({
      storeClient: this.client,
      dbName: this.dbName,
      tableName: COLLECTION.rateLimits,
      keyPrefix: options.keyPrefix,
      points: options.points,
      duration: options.durationSeconds,
      // ensureSchema creates them, named, with the rest of the schema.
      disableIndexesCreation: true,
    });
    return { consume: (key) => this.op(() => limiter.consume(key)) };
  }

  /** Connects if needed, ensures the schema (once; again after a failure), and pings the server. */
  async ping(): Promise<void> {
    await this.op(() => this.db.command({ ping: 1 }), { retryReadiness: true });
  }

  /** Waits for operations in flight, then closes the client. Later calls reject as unavailable. */
  close(): Promise<void> {
    this.closed = true;
    this.closing ??= (async () => {
      await Promise.allSettled([...this.inFlight]);
      await this.client.close();
    })();
    return this.closing;
  }

  /**
   * Runs one store operation: after connect + schema (memoised), with driver
   * outages mapped to StoreUnavailableError and everything else propagated.
   */
  private op<T>(work: () => Promise<T>, options: { retryReadiness?: boolean } = {}): Promise<T> {
    if (this.closed) {
      return Promise.reject(new StoreUnavailableError('The MongoDB store is closed'));
    }
    const running = (async () => {
      await this.ensureReady(options.retryReadiness ?? false);
      try {
        return await work();
      } catch (error) {
        throw toStoreError(error);
      }
    })();
    this.inFlight.add(running);
    const forget = () => this.inFlight.delete(running);
    running.then(forget, forget);
    return running;
  }

  /**
   * Connect + ensureSchema, once. A failed attempt is forgotten and its error
   * kept: later calls fail fast with it until a `retry` call (ping) succeeds.
   * Every failure is a StoreUnavailableError: not ready is not a bug.
   */
  private ensureReady(retry: boolean): Promise<void> {
    if (this.readiness) return this.readiness;
    if (this.notReady && !retry) return Promise.reject(this.notReady);
    const attempt = (async () => {
      try {
        // connect() also replaces a topology a failed attempt left closed.
        await this.client.connect();
        await ensureSchema(this.db, this.logger, () => upgradeDocuments(this.db, this.logger));
      } catch (error) {
        throw notReadyError(error);
      }
      this.notReady = null;
      this.logger.info({ db: this.dbName }, 'MongoDB store ready');
    })();
    this.readiness = attempt;
    attempt.catch((error: StoreUnavailableError) => {
      if (this.readiness !== attempt) return;
      this.readiness = null;
      this.notReady = error;
    });
    return attempt;
  }
}

/**
 * Why the store is not ready, as a StoreUnavailableError: an outage as
 * toStoreError words it, anything else (a schema the store cannot use, a
 * server error) with its message, which names collections and indexes, never
 * the URI. The original stays as `cause`.
 */
function notReadyError(error: unknown): StoreUnavailableError {
  const mapped = toStoreError(error);
  if (mapped instanceof StoreUnavailableError) return mapped;
  const reason = error instanceof Error ? error.message : String(error);
  return new StoreUnavailableError(`The MongoDB store is not ready: ${reason}`, { cause: error });
}

/** Retries work that failed with E11000 (a lost insert race: nothing was written). */
async function retryOnDuplicateKey<T>(
  work: () => Promise<T>,
  attempts = DUPLICATE_KEY_ATTEMPTS,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await work();
    } catch (error) {
      if (!isDuplicateKeyError(error) || attempt >= attempts) throw error;
    }
  }
}

/** An E11000 on the `_id` index (rather than on a slug index). */
function duplicateOfId(error: unknown): boolean {
  const { keyPattern, keyValue } = error as MongoServerError & { keyValue?: Document };
  if (keyPattern) return Object.keys(keyPattern).join() === '_id';
  if (keyValue) return Object.keys(keyValue).join() === '_id';
  return / index: _id_ /.test(String((error as Error).message));
}

function sleep(ms: number): Promise<void> {
  return ms > 0 ? new Promise((resolve) => setTimeout(resolve, ms)) : Promise.resolve();
}
