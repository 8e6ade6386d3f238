/**
 * The MongoDB store (production adapter). Same semantics as the embedded SQLite
 * store; both pass test/contract/store.contract.test.ts.
 *
 * ## Ratings without multi-document transactions
 *
 * A rating write touches two documents: the voter's rating and the target's
 * aggregate. It needs no transaction (so it works on a standalone server):
 *
 * 1. The rating and its pending marker `pendingAggregate: [{ op, at, from,
 *    to }]` in ONE atomic single-document write: an insert for a first
 *    rating (the unique (targetKey, voterId) index turns a concurrent first
 *    rating into E11000: read again, it is now a re-rating), else a
 *    compare-and-set on the score it read, so `from` is exactly the score
 *    this write replaced. Per voter and target the writes form one sequence
 *    s1 -> s2 -> ... in which each write knows its predecessor.
 * 2. `$inc` of the aggregate by the delta (+1 count, +s, +1 d<s> for a first
 *    rating; +s(i) - s(i-1), +1 d<s(i)>, -1 d<s(i-1)> for a re-rating), with
 *    `$push: { applied: op }`, filtered on `horizon < at` (see 4). $inc is
 *    atomic and commutative: applied once each, the deltas telescope to
 *    count = voters, sum = latest scores, d<k> = voters whose latest score is
 *    k, i.e. exactly a recount. (While writes are in flight a counter can be
 *    transiently off, even negative; validators put no minimum on counters.)
 * 3. The marker off the rating, then the op off `applied`.
 * 4. A crash (kill -9, a lost connection) between 1 and 2 leaves the marker:
 *    settleMarker applies it exactly once. Every process sweeps markers older
 *    than pendingSweepAgeMs (10 s) every pendingSweepIntervalMs (5 s), and a
 *    re-rating settles stale markers of its rating. Exactly once, with no
 *    clock assumption: the sweep first raises the aggregate's `horizon` to the
 *    marker's `at`, after which the writer's own step 2 no longer matches (a
 *    merely slow writer is fenced off and settles its marker the same way);
 *    then it reads the aggregate, then the marker, and applies the delta with
 *    a compare-and-set on `sweeps` (bumped by each sweep-applied delta) unless
 *    `applied` lists the op. An op leaves `applied` only after its marker
 *    left the rating, so a marker still present means "applied" is visible.
 *
 * `rebuildAggregates()` (npm run ratings:rebuild) settles every marker first
 * and then recomputes aggregates from the ratings; it is for damage (hand
 * edits, restores), no longer needed after a crash. On a replica set the
 * driver's retryable writes make each step exactly-once across a failover.
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
  type MongoClientOptions,
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
import {
  boundedServerSelectionTimeout,
  defaultWriteConcern,
  redactCredentials,
  resolveDbName,
} from './connection';
import {
  afterCursor,
  type AggregateDoc,
  aggregateFields,
  aggregateIncrement,
  assertString,
  assertStrings,
  type ChangeDoc,
  curatedFields,
  type PendingAggregate,
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
import { COLLECTION, ensureSchema, missingRequiredIndexes } from './schema';
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
  /**
   * How often each process sweeps pending aggregate markers (rating writes a
   * crash cut between the rating and its aggregate). Default 5000; 0 disables.
   */
  pendingSweepIntervalMs?: number;
  /** The sweep settles markers older than this (younger ones are left to their writer). Default 10000. */
  pendingSweepAgeMs?: number;
  /**
   * How often the store confirms its required (unique) indexes while the
   * connection stays up; it also does on every reconnection. Default 30000; 0 disables the timer.
   */
  indexCheckIntervalMs?: number;
}

export const DEFAULT_PENDING_SWEEP_INTERVAL_MS = 5_000;
export const DEFAULT_PENDING_SWEEP_AGE_MS = 10_000;
export const DEFAULT_INDEX_CHECK_INTERVAL_MS = 30_000;
/** Markers settled per sweep query (the sweep repeats until none is left). */
const SWEEP_BATCH = 100;
const ZERO_COUNTS = { count: 0, sum: 0, d1: 0, d2: 0, d3: 0, d4: 0, d5: 0 } as const;

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
  /** Became ready once: later readiness attempts check the indexes and rebuild only what is lost. */
  private everReady = false;
  private maintenance: NodeJS.Timeout | null = null;
  private lastSweepAt = 0;
  private lastIndexCheckAt = 0;
  private sweeping: Promise<unknown> | null = null;
  private checkingIndexes: Promise<unknown> | null = null;
  private lastMaintenanceError: string | null = null;
  /**
   * Bumped whenever the connection is lost. An insert that relies on a unique
   * index and saw it move was in flight across a reconnection, so it may have
   * reached a server without the index (see insertUnique).
   */
  private connectionEpoch = 0;

  private constructor(
    private readonly client: MongoClient,
    /** The database this store uses (resolved from override, URI path, dbName, default). */
    readonly dbName: string,
    private readonly logger: StoreLogger,
    private readonly timing: {
      rebuildSettleMs: number;
      sweepIntervalMs: number;
      sweepAgeMs: number;
      indexCheckIntervalMs: number;
    },
  ) {
    this.db = client.db(dbName);
    this.titles = this.db.collection<TitleDoc>(COLLECTION.titles);
    this.ratings = this.db.collection<RatingDoc>(COLLECTION.ratings);
    this.aggregates = this.db.collection<AggregateDoc>(COLLECTION.aggregates);
    this.changes = this.db.collection<ChangeDoc>(COLLECTION.changes);
    // The connection to the server was lost: what comes back may be another database (a
    // restore, a new empty server) without the unique indexes. Nothing runs until they are
    // confirmed (ensureReady), and the check starts as soon as the server answers again.
    client.on('serverDescriptionChanged', (event) => {
      if (event.newDescription.type === 'Unknown' && event.previousDescription.type !== 'Unknown') {
        this.recheckSchema('the connection to MongoDB was lost');
      } else if (event.previousDescription.type === 'Unknown' && this.readiness === null) {
        this.ensureReady(true).catch(() => undefined);
      }
    });
    client.on('connectionPoolCleared', () => this.recheckSchema('the connection pool was cleared'));
    client.on('serverHeartbeatFailed', () => this.recheckSchema('a heartbeat to MongoDB failed'));
    client.on('connectionClosed', (event) => {
      if (event.reason === 'error') this.recheckSchema('a connection to MongoDB failed');
    });
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
      const clientOptions: MongoClientOptions = {
        // Journaled majority writes unless the URI names its own w / journal.
        ...defaultWriteConcern(options.uri),
        ...(inUri
          ? {}
          : {
              serverSelectionTimeoutMS: boundedServerSelectionTimeout(
                options.serverSelectionTimeoutMs,
              ),
            }),
      };
      client = new MongoClient(options.uri, clientOptions);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      // No `cause` on purpose: the driver's parse errors can quote the user name.
      // eslint-disable-next-line preserve-caught-error
      throw new Error(
        `Invalid MongoDB connection string: ${redactCredentials(message, options.uri)}`,
      );
    }
    const dbName = resolveDbName(options);
    return new MongoStore(client, dbName, options.logger ?? silentLogger, {
      rebuildSettleMs: Math.max(0, options.rebuildSettleMs ?? 1000),
      sweepIntervalMs: Math.max(
        0,
        options.pendingSweepIntervalMs ?? DEFAULT_PENDING_SWEEP_INTERVAL_MS,
      ),
      sweepAgeMs: Math.max(0, options.pendingSweepAgeMs ?? DEFAULT_PENDING_SWEEP_AGE_MS),
      indexCheckIntervalMs: Math.max(
        0,
        options.indexCheckIntervalMs ?? DEFAULT_INDEX_CHECK_INTERVAL_MS,
      ),
    });
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
      const { before, ratingId, marker } = await this.writeRatingWithMarker(filter, update);
      const inc = aggregateIncrement(marker.from, score);
      let after = await this.applyOwnDelta(key, marker, inc);
      if (after) {
        await this.clearMarker(key, ratingId, marker.op);
      } else {
        // A sweep fenced this write off (it was slow): settle it the way the sweep does.
        await this.settleMarker(key, ratingId, marker);
      }
      after ??= await this.aggregates.findOne({ _id: key });
      // Markers an earlier write of this rating left behind (its process died): settle them now.
      const stale = Date.now() - this.timing.sweepAgeMs;
      for (const earlier of before?.pendingAggregate ?? []) {
        if (earlier.at.getTime() <= stale) await this.settleMarker(key, ratingId, earlier);
      }
      const aggregate = after ? toAggregate(after) : emptyAggregate(key);

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
            id: ratingId,
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
   * Step 1 of a rating write: the new score and its pending marker (the delta
   * from the score it replaces) in one atomic single-document write. A first
   * rating is an insert (E11000 on the unique (targetKey, voterId): another
   * write inserted it first, read again); a re-rating is a compare-and-set on
   * the score it was read with, so the marker's `from` is exactly the score
   * this write replaced.
   */
  private async writeRatingWithMarker(
    filter: ReturnType<typeof ratingUpsert>['filter'],
    update: ReturnType<typeof ratingUpsert>['update'],
  ): Promise<{ before: RatingDoc | null; ratingId: string; marker: PendingAggregate }> {
    const op = newStoreId();
    for (let attempt = 1; ; attempt++) {
      const before = await this.ratings.findOne(filter);
      const marker: PendingAggregate = {
        op,
        at: new Date(),
        from: before ? before.score : null,
        to: update.$set.score,
      };
      if (!before) {
        const ratingId = newStoreId();
        try {
          await this.insertUnique(
            () =>
              this.ratings.insertOne({
                targetKey: filter.targetKey,
                voterId: filter.voterId,
                ...update.$set,
                titleId: update.$setOnInsert.titleId,
                factId: update.$setOnInsert.factId,
                createdAt: update.$setOnInsert.createdAt,
                _id: ratingId,
                pendingAggregate: [marker],
              } as RatingDoc),
            async () =>
              (await this.ratings.findOne(
                { ...filter, _id: { $ne: ratingId } },
                { projection: { _id: 1 } },
              )) !== null,
            // Only while it is as inserted (no other write's marker on it): its aggregate
            // delta is not applied yet, so removing it leaves the aggregate exact.
            async () =>
              (
                await this.ratings.deleteOne({
                  _id: ratingId,
                  pendingAggregate: { $size: 1 },
                  'pendingAggregate.op': op,
                })
              ).deletedCount === 1,
          );
          return { before, ratingId, marker };
        } catch (error) {
          if (!isDuplicateKeyError(error) || attempt >= DUPLICATE_KEY_ATTEMPTS) throw error;
          continue;
        }
      }
      const written = await this.ratings.updateOne(
        { _id: before._id, score: before.score },
        { $set: update.$set, $push: { pendingAggregate: marker } },
      );
      if (written.matchedCount === 1) return { before, ratingId: before._id, marker };
      if (attempt >= CAS_ATTEMPTS) {
        throw new StoreUnavailableError(
          `The rating of ${filter.voterId} kept changing during the write; nothing was written, retry`,
        );
      }
    }
  }

  /**
   * Step 2 by the writer: $inc the aggregate and record the marker as applied,
   * in one atomic update, unless a sweep has fenced markers this old off
   * (`horizon`). Returns the aggregate after it, or null when fenced off.
   * Never retried after an ambiguous (network) error: the marker stays and a
   * sweep settles it.
   */
  private async applyOwnDelta(
    key: string,
    marker: PendingAggregate,
    inc: ReturnType<typeof aggregateIncrement>,
  ): Promise<AggregateDoc | null> {
    for (let attempt = 1; ; attempt++) {
      try {
        const after = await this.aggregates.findOneAndUpdate(
          { _id: key, horizon: { $not: { $gte: marker.at } }, 'applied.op': { $ne: marker.op } },
          { $inc: inc, $push: { applied: { op: marker.op, at: marker.at } } },
          { upsert: true, returnDocument: 'after', includeResultMetadata: false },
        );
        if (after) return after;
      } catch (error) {
        if (!isDuplicateKeyError(error)) throw error;
        // The aggregate exists and the filter did not match it (fenced off), or a
        // concurrent first write created it a moment ago (then try again).
      }
      const current = await this.aggregates.findOne({ _id: key });
      if (current && isFencedOff(current, marker)) return null;
      if (attempt >= DUPLICATE_KEY_ATTEMPTS) {
        throw new StoreUnavailableError(`The aggregate of ${key} kept changing; retry`);
      }
    }
  }

  /** Step 3: the marker off the rating, then its op off the aggregate's `applied` (that order). */
  private async clearMarker(key: string, ratingId: string, op: string): Promise<void> {
    await this.ratings.updateOne({ _id: ratingId }, { $pull: { pendingAggregate: { op } } });
    await this.aggregates.updateOne({ _id: key }, { $pull: { applied: { op } } });
  }

  /**
   * Applies a pending marker exactly once, whoever else tries at the same
   * time (the sweeps of other processes, its writer if merely slow):
   *
   * 1. Fence: raise the aggregate's `horizon` to the marker's `at`. From then
   *    on the writer's own apply (applyOwnDelta) no longer matches, so either
   *    it landed before (then the aggregate lists the op in `applied`) or it
   *    never will.
   * 2. Read the aggregate, THEN the rating. No marker: settled by someone
   *    else, done. Op in `applied`: applied, only the clean-up is left.
   *    (An op leaves `applied` only after its marker left the rating, so a
   *    marker still there means an op applied before the read is listed.)
   * 3. Otherwise apply the delta with a compare-and-set on `sweeps`, which
   *    every sweep-applied delta bumps: of concurrent sweeps of one marker,
   *    one applies it and the others re-read and find it applied or cleared.
   */
  private async settleMarker(key: string, ratingId: string, marker: PendingAggregate) {
    await retryOnDuplicateKey(() =>
      this.aggregates.updateOne(
        { _id: key },
        { $max: { horizon: marker.at, sweeps: 0 }, $setOnInsert: ZERO_COUNTS },
        { upsert: true },
      ),
    );
    for (let attempt = 1; attempt <= CAS_ATTEMPTS; attempt++) {
      const aggregate = await this.aggregates.findOne({ _id: key });
      const pending = await this.ratings.findOne(
        { _id: ratingId, 'pendingAggregate.op': marker.op },
        { projection: { _id: 1 } },
      );
      if (!pending) return;
      if (!aggregate?.applied?.some((applied) => applied.op === marker.op)) {
        const applied = await this.aggregates.updateOne(
          { _id: key, sweeps: aggregate?.sweeps ?? 0, 'applied.op': { $ne: marker.op } },
          {
            $inc: { ...aggregateIncrement(marker.from, marker.to), sweeps: 1 },
            $push: { applied: { op: marker.op, at: marker.at } },
          },
        );
        if (applied.matchedCount === 0) continue; // another sweep came first: look again
      }
      await this.clearMarker(key, ratingId, marker.op);
      return;
    }
    throw new StoreUnavailableError(`The aggregate of ${key} kept changing during a sweep; retry`);
  }

  /**
   * Settles every pending marker written at least `olderThanMs` ago (all of
   * them with 0: safe, settleMarker is exact whoever else is writing).
   * Returns how many markers it looked at.
   */
  async sweepPendingAggregates(olderThanMs: number = this.timing.sweepAgeMs): Promise<number> {
    return this.op(() => this.sweepPending(olderThanMs));
  }

  private async sweepPending(olderThanMs: number): Promise<number> {
    const cutoff = new Date(Date.now() - olderThanMs);
    const seen = new Set<string>();
    let settled = 0;
    for (;;) {
      const docs = await this.ratings
        .find(
          { 'pendingAggregate.at': { $lte: cutoff } },
          { projection: { targetKey: 1, pendingAggregate: 1 } },
        )
        .limit(SWEEP_BATCH)
        .toArray();
      let fresh = 0;
      for (const doc of docs) {
        for (const marker of doc.pendingAggregate ?? []) {
          if (marker.at > cutoff || seen.has(marker.op)) continue;
          seen.add(marker.op);
          fresh++;
          await this.settleMarker(doc.targetKey, doc._id, marker);
        }
      }
      settled += fresh;
      if (docs.length < SWEEP_BATCH || fresh === 0) break;
    }
    // An `applied` entry whose marker is gone (its writer died between the two clean-up
    // steps) is dropped: a marker never comes back, so nothing can apply that op again.
    const leaking = await this.aggregates
      .find({ 'applied.at': { $lte: cutoff } }, { projection: { applied: 1 } })
      .limit(SWEEP_BATCH)
      .toArray();
    for (const aggregate of leaking) {
      for (const { op, at } of aggregate.applied ?? []) {
        if (at > cutoff) continue;
        const marked = await this.ratings.findOne(
          { targetKey: aggregate._id, 'pendingAggregate.op': op },
          { projection: { _id: 1 } },
        );
        if (!marked) {
          await this.aggregates.updateOne({ _id: aggregate._id }, { $pull: { applied: { op } } });
        }
      }
    }
    if (settled > 0) {
      this.logger.info(
        { markers: settled },
        'Settled rating aggregates that a stopped or slow write had left pending',
      );
    }
    return settled;
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
      // Pending markers first, whatever their age (settling is exact at any time): what is
      // left to compare is drift that no marker explains.
      if (repair) await this.sweepPending(0);
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
      await sleep(this.timing.rebuildSettleMs);
      const next = new Map<string, AggregateDrift>();
      for (const [key, seen] of pending) {
        const stored = await this.readAggregate(key);
        const actual = await this.recount(key);
        const current = { targetKey: key, stored, actual };
        if (sameAggregate(stored, actual)) continue; // writes in flight have settled it
        if (await this.hasPendingMarkers(key)) {
          next.set(key, current); // a write in flight or a marker the sweep settles: not drift
          continue;
        }
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

  private async hasPendingMarkers(key: string): Promise<boolean> {
    const marked = await this.ratings.findOne(
      { targetKey: key, 'pendingAggregate.0': { $exists: true } },
      { projection: { _id: 1 } },
    );
    return marked !== null;
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
      // $set, not a replacement: the fence fields (applied, horizon, sweeps) must stay.
      const result = await this.aggregates.updateOne(
        filter as Filter<AggregateDoc>,
        { $set: aggregateFields(actual) },
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
          const own = written;
          await this.insertUnique(
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
    if (this.maintenance) clearInterval(this.maintenance);
    this.maintenance = null;
    this.closing ??= (async () => {
      await Promise.allSettled([...this.inFlight]);
      await this.client.close();
    })();
    return this.closing;
  }

  /**
   * The connection was lost (driver events): until the required indexes are
   * confirmed again (and rebuilt if the server came back without them),
   * operations wait for that check, and fail with StoreUnavailableError while
   * the server cannot be reached.
   */
  private recheckSchema(reason: string): void {
    if (this.closed || !this.everReady) return;
    if (this.readiness !== null) {
      this.logger.info({ reason }, 'MongoDB: indexes are checked again before the next operation');
    }
    this.readiness = null;
    this.connectionEpoch++;
  }

  /**
   * An insert whose uniqueness a unique index guarantees. Operations wait for
   * the indexes to be confirmed after a reconnection (and this insert again,
   * for a loss since its operation started), but one already handed to the
   * driver when the connection was lost may land on the server that came back
   * before the check. Such an insert (the epoch moved while it
   * ran) looks for a document sharing its unique key; if there is one, it
   * removes its own (when nothing else has written to it since) and fails as
   * unavailable, nothing written: of two such inserts at least the later one
   * sees the other, so no duplicate stays, and the index can be rebuilt.
   */
  private async insertUnique(
    insert: () => Promise<unknown>,
    duplicateOf: () => Promise<boolean>,
    removeOwn: () => Promise<boolean>,
  ): Promise<void> {
    const epoch = this.connectionEpoch;
    // The operation passed the gate when it started; a loss since then re-checks here.
    await this.ensureReady(false);
    await insert();
    if (this.connectionEpoch === epoch) return;
    if (!(await duplicateOf())) return;
    const removed = await removeOwn();
    this.logger.warn(
      { removed },
      'MongoDB: an insert in flight across a reconnection found a duplicate (the unique index ' +
        'was missing); its own document was removed',
    );
    throw new StoreUnavailableError(
      'MongoDB came back without its indexes during the write; nothing was written, retry',
    );
  }

  /**
   * Once ready, every second (unref'd: it never keeps the process alive):
   * retries readiness while not ready (no request needed to get it back),
   * confirms the required indexes every indexCheckIntervalMs (a missing one
   * blocks operations until rebuilt), and sweeps pending aggregate markers
   * every sweepIntervalMs.
   */
  private startMaintenance(): void {
    if (this.maintenance || this.closed) return;
    const tick = Math.min(
      1000,
      ...[this.timing.sweepIntervalMs, this.timing.indexCheckIntervalMs].filter((ms) => ms > 0),
    );
    this.maintenance = setInterval(() => this.maintain(), tick);
    this.maintenance.unref();
  }

  private maintain(): void {
    if (this.closed) return;
    if (this.readiness === null) {
      this.ensureReady(true).catch(() => undefined);
      return;
    }
    const now = Date.now();
    const { indexCheckIntervalMs, sweepIntervalMs } = this.timing;
    if (
      indexCheckIntervalMs > 0 &&
      !this.checkingIndexes &&
      now - this.lastIndexCheckAt >= indexCheckIntervalMs
    ) {
      this.lastIndexCheckAt = now;
      this.checkingIndexes = this.background(async () => {
        const missing = await missingRequiredIndexes(this.db);
        if (missing.length > 0) {
          this.recheckSchema(`required indexes missing: ${missing.join(', ')}`);
          await this.ensureReady(true);
        }
      }).finally(() => (this.checkingIndexes = null));
    }
    if (sweepIntervalMs > 0 && !this.sweeping && now - this.lastSweepAt >= sweepIntervalMs) {
      this.lastSweepAt = now;
      this.sweeping = this.background(() => this.sweepPending(this.timing.sweepAgeMs)).finally(
        () => (this.sweeping = null),
      );
    }
  }

  /** Maintenance work as a store operation (close() waits for it); a failure is logged once. */
  private async background(work: () => Promise<unknown>): Promise<void> {
    try {
      await this.op(work);
      this.lastMaintenanceError = null;
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      if (reason !== this.lastMaintenanceError) {
        this.logger.warn({ err: error }, `MongoDB store maintenance failed: ${reason}`);
      }
      this.lastMaintenanceError = reason;
    }
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
        const missing = this.everReady ? await missingRequiredIndexes(this.db) : null;
        if (missing === null || missing.length > 0) {
          if (missing) {
            this.logger.warn(
              { db: this.dbName, missing },
              `MongoDB lacks required indexes (${missing.join(', ')}): rebuilding the schema ` +
                'before accepting another write',
            );
          }
          await ensureSchema(this.db, this.logger, () => upgradeDocuments(this.db, this.logger));
        }
        this.lastIndexCheckAt = Date.now();
      } catch (error) {
        throw notReadyError(error);
      }
      this.notReady = null;
      if (!this.everReady) {
        this.everReady = true;
        this.logger.info({ db: this.dbName }, 'MongoDB store ready');
        this.startMaintenance();
      }
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

/** Whether a sweep's `horizon` has fenced this marker off, or the aggregate already lists it. */
function isFencedOff(aggregate: AggregateDoc, marker: PendingAggregate): boolean {
  return (
    (aggregate.horizon !== undefined && aggregate.horizon >= marker.at) ||
    (aggregate.applied ?? []).some((applied) => applied.op === marker.op)
  );
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
