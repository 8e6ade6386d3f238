/**
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
import { type Collection, type Db, type MongoClient } from 'mongodb';
import { RateLimiterMongo, type RateLimiterRes } from 'rate-limiter-flexible';
import { StoreUnavailableError } from '../../model';
import { COLLECTION } from './collections';
import type { AggregateDoc, ChangeDoc, RatingDoc, TitleDoc } from './documents';
import type { FactReviewDoc, ReportDoc, ResolutionDoc, SettingsDoc } from './review-documents';
import { ensureSchema, missingRequiredIndexes } from './ensure-schema';
import { toStoreError } from './errors';
import type { StoreLogger } from './log';
import { upgradeDocuments } from './upgrade';

/** The MongoDB store's timers, resolved from MongoStoreOptions. */
export interface MongoTiming {
  rebuildSettleMs: number;
  sweepIntervalMs: number;
  sweepAgeMs: number;
  indexCheckIntervalMs: number;
}

/**
 * The connection and its readiness gate, shared by every role of the MongoDB
 * store: each operation runs through op() (connect + schema first, outages
 * mapped to StoreUnavailableError, close() waits for it), and the background
 * maintenance (index checks, the pending-marker sweep) runs here.
 */
export class MongoGate {
  readonly db: Db;
  readonly titles: Collection<TitleDoc>;
  readonly ratings: Collection<RatingDoc>;
  readonly aggregates: Collection<AggregateDoc>;
  readonly changes: Collection<ChangeDoc>;
  readonly reports: Collection<ReportDoc>;
  readonly factReviews: Collection<FactReviewDoc>;
  readonly reviewResolutions: Collection<ResolutionDoc>;
  readonly settings: Collection<SettingsDoc>;
  /** The periodic sweep of pending markers (MongoStore sets it: aggregates', then reviews'). */
  sweep: (olderThanMs: number) => Promise<unknown> = async () => 0;
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

  constructor(
    readonly client: MongoClient,
    /** The database this store uses (resolved from override, URI path, dbName, default). */
    readonly dbName: string,
    readonly logger: StoreLogger,
    readonly timing: MongoTiming,
  ) {
    this.db = client.db(dbName);
    this.titles = this.db.collection<TitleDoc>(COLLECTION.titles);
    this.ratings = this.db.collection<RatingDoc>(COLLECTION.ratings);
    this.aggregates = this.db.collection<AggregateDoc>(COLLECTION.aggregates);
    this.changes = this.db.collection<ChangeDoc>(COLLECTION.changes);
    this.reports = this.db.collection<ReportDoc>(COLLECTION.reports);
    this.factReviews = this.db.collection<FactReviewDoc>(COLLECTION.factReviews);
    this.reviewResolutions = this.db.collection<ResolutionDoc>(COLLECTION.reviewResolutions);
    this.settings = this.db.collection<SettingsDoc>(COLLECTION.settings);
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
  recheckSchema(reason: string): void {
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
  async insertUnique(
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
      this.sweeping = this.background(() => this.sweep(this.timing.sweepAgeMs)).finally(
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
  op<T>(work: () => Promise<T>, options: { retryReadiness?: boolean } = {}): Promise<T> {
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
  ensureReady(retry: boolean): Promise<void> {
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
