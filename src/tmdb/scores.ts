import { setMaxListeners } from 'node:events';
import DataLoader from 'dataloader';
import type { Config } from '../config';
import type { Logger } from '../logger';
import { type TmdbSnapshot, UpstreamUnavailableError } from '../model';
import { type CachedScore, ScoreCache, scoreKey } from './cache';
import { TmdbClient, tmdbPath } from './client';
import { settleWithin } from './deadline';
import { TmdbError } from './errors';
import { NegativeCache } from './negative-cache';
import { DEFAULT_RESILIENCE, type ResilienceSettings, TmdbResilience } from './resilience';
import {
  type CircuitStatus,
  NO_TMDB_METRICS,
  type SaveTmdbSnapshot,
  type TmdbMetrics,
  type TmdbScore,
  type TmdbScoreLoader,
  type TmdbScoreRequest,
} from './types';

export const TMDB_UNAVAILABLE_MESSAGE = 'TMDB score is temporarily unavailable';

export interface TmdbScoresOptions {
  config: Config['tmdb'];
  logger: Logger;
  /** Store.saveTmdbSnapshot: every fetched score is written back as the last known one. */
  saveSnapshot: SaveTmdbSnapshot;
  /** Clock for cache freshness and every pause (ms since epoch); tests inject a fake one. */
  now?: () => number;
  /**
   * Retry/breaker/429 timings, the 401/403 pause (credentialsPauseMs) and how long an id
   * that got a 404 or a malformed body is left alone (negativeCacheTtlMs). Concurrency and
   * attempt timeout come from `config`.
   */
  resilience?: Partial<Omit<ResilienceSettings, 'maxConcurrency' | 'attemptTimeoutMs'>>;
  /** LRU bound of the process-wide score cache (and of the negative cache). */
  cacheMaxEntries?: number;
  /** Counts requests and cache lookups, and reads the circuit state (GET /metrics). */
  metrics?: TmdbMetrics;
}

interface InflightFetch {
  promise: Promise<CachedScore>;
  /** Titles to write the snapshot for (two titles could point at one TMDB id). */
  titleIds: Set<string>;
}

/**
 * TMDB scores for title pages. One instance per process (it owns the cache,
 * the negative cache, the circuit breaker and the 429 and credentials pauses);
 * one DataLoader per GraphQL request from createLoader().
 *
 * A page waits on TMDB only for a score we have never had, and then at most
 * config.timeoutMs; anything we already know (cached, even expired, or a stored
 * snapshot) is served at once and refreshed in the background.
 */
export class TmdbScores {
  /** false without credentials: TMDB is never called, stored snapshots are served as stale. */
  readonly enabled: boolean;

  private readonly config: Config['tmdb'];
  private readonly logger: Logger;
  private readonly saveSnapshot: SaveTmdbSnapshot;
  private readonly now: () => number;
  private readonly client: TmdbClient;
  private readonly cache: ScoreCache;
  private readonly unusable: NegativeCache;
  private readonly resilience: TmdbResilience;
  private readonly metrics: TmdbMetrics;
  private readonly inflight = new Map<string, InflightFetch>();
  private readonly background = new Set<Promise<unknown>>();
  private readonly lifetime = new AbortController();
  private closed = false;

  constructor(options: TmdbScoresOptions) {
    this.config = options.config;
    this.logger = options.logger.child({ component: 'tmdb' });
    this.saveSnapshot = options.saveSnapshot;
    this.now = options.now ?? Date.now;
    // Every in-flight fetch listens on the lifetime signal (to stop at close()):
    // many listeners are expected, not a leak.
    setMaxListeners(0, this.lifetime.signal);
    this.client = new TmdbClient(options.config);
    this.enabled = this.client.hasCredentials;
    this.cache = new ScoreCache(
      options.config.cacheTtlSeconds * 1000,
      this.now,
      options.cacheMaxEntries,
    );
    const settings: ResilienceSettings = {
      ...DEFAULT_RESILIENCE,
      ...options.resilience,
      maxConcurrency: options.config.maxConcurrency,
      attemptTimeoutMs: options.config.timeoutMs,
    };
    this.unusable = new NegativeCache(
      settings.negativeCacheTtlMs,
      this.now,
      options.cacheMaxEntries,
    );
    this.metrics = options.metrics ?? NO_TMDB_METRICS;
    this.resilience = new TmdbResilience(settings, this.logger, this.now, this.metrics);
    this.metrics.watchCircuit(() => this.circuitState);
    if (!this.enabled) {
      this.logger.info('TMDB credentials not configured: serving stored TMDB snapshots only');
    }
  }

  /**
   * A loader for one GraphQL request: it dedupes a title asked for twice on
   * one page and resolves all of the page's titles together. Each key yields
   * a score, null (no credentials and no snapshot) or an UPSTREAM_UNAVAILABLE
   * error for that key alone, never a rejected batch.
   *
   * Keyed per title, not per TMDB id: two titles sharing an id must both reach
   * resolve() so that both snapshots are saved; fetchShared still sends one
   * HTTP request per TMDB id.
   *
   * `onLiveRead` hears that a page asked for a score TMDB may change: with
   * credentials, every lookup (a kept answer that shows it must expire, so
   * that a read refreshes it: src/cache/responses.ts); without, only stored
   * snapshots are served, which change by writes alone.
   */
  createLoader(onLiveRead?: () => void): TmdbScoreLoader {
    return new DataLoader<TmdbScoreRequest, TmdbScore | null, string>(
      (requests) => {
        if (this.enabled) onLiveRead?.();
        return Promise.all(requests.map((request) => this.resolveSafely(request)));
      },
      {
        cacheKeyFn: (request) =>
          `${scoreKey(request.mediaType, request.tmdbId)}/${request.titleId}`,
      },
    );
  }

  get circuitState(): CircuitStatus {
    return this.resilience.circuitState;
  }

  /** Resolves once no background refresh or snapshot write is pending (tests, shutdown). */
  async whenIdle(): Promise<void> {
    while (this.background.size > 0) await Promise.allSettled([...this.background]);
  }

  /** Cancels in-flight TMDB calls, waits for pending work to settle, and frees sockets. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.lifetime.abort();
    await this.whenIdle();
    this.resilience.dispose();
    this.client.close();
  }

  /** A bug here must cost one field, not the batch (Promise.all would reject every key). */
  private async resolveSafely(request: TmdbScoreRequest): Promise<TmdbScore | null | Error> {
    try {
      return await this.resolve(request);
    } catch (error) {
      this.logger.error(
        { errorName: error instanceof Error ? error.name : typeof error },
        'Unexpected failure resolving a TMDB score',
      );
      return request.snapshot ? asScore(request.snapshot, true) : unavailable();
    }
  }

  /**
   * The decision of the issue: fresh cache > an id TMDB just could not answer
   * for (no call) > known value + background refresh > bounded wait.
   */
  private async resolve(request: TmdbScoreRequest): Promise<TmdbScore | null | Error> {
    if (!this.enabled || this.closed) {
      if (request.snapshot) return asScore(request.snapshot, true);
      return this.enabled ? unavailable() : null;
    }
    const key = scoreKey(request.mediaType, request.tmdbId);
    const cached = this.cache.get(key);
    if (cached?.fresh) {
      this.metrics.lookup('hit');
      return asScore(cached.score, false);
    }

    const known = newest(cached?.score, request.snapshot);
    this.metrics.lookup(known ? 'stale' : 'miss');
    if (this.unusable.has(key)) return known ? asScore(known, true) : unavailable();
    if (known) {
      this.refreshInBackground(request);
      return asScore(known, true);
    }

    const outcome = await settleWithin(this.fetchShared(request), this.config.timeoutMs);
    if (outcome.status === 'fulfilled') return asScore(outcome.value, false);
    if (outcome.status === 'timed-out') {
      this.logger.debug(
        { path: tmdbPath(request.mediaType, request.tmdbId), deadlineMs: this.config.timeoutMs },
        'TMDB score missed the page deadline; the fetch continues in the background',
      );
    }
    return unavailable();
  }

  /** Refreshes without anyone waiting; failures are already logged by fetchShared. */
  private refreshInBackground(request: TmdbScoreRequest): void {
    this.track(this.fetchShared(request));
  }

  /** One HTTP fetch per TMDB id at a time, shared by every request that needs it meanwhile. */
  private fetchShared(request: TmdbScoreRequest): Promise<CachedScore> {
    const key = scoreKey(request.mediaType, request.tmdbId);
    const existing = this.inflight.get(key);
    if (existing) {
      existing.titleIds.add(request.titleId);
      return existing.promise;
    }
    const titleIds = new Set([request.titleId]);
    const promise = this.fetchAndRemember(request, key, titleIds);
    this.inflight.set(key, { promise, titleIds });
    this.track(promise.finally(() => this.inflight.delete(key)));
    return promise;
  }

  /** Fetches through the resilience pipeline, then fills the cache and the stored snapshot. */
  private async fetchAndRemember(
    request: TmdbScoreRequest,
    key: string,
    titleIds: Set<string>,
  ): Promise<CachedScore> {
    const { mediaType, tmdbId } = request;
    const path = tmdbPath(mediaType, tmdbId);
    try {
      const votes = await this.resilience.execute(
        path,
        (signal) => this.client.fetchVotes(mediaType, tmdbId, signal),
        this.lifetime.signal,
      );
      const score: CachedScore = { ...votes, fetchedAt: new Date(this.now()) };
      this.cache.set(key, score);
      this.unusable.forget(key);
      for (const titleId of titleIds) this.track(this.persist(titleId, score));
      return score;
    } catch (error) {
      if (error instanceof TmdbError && error.permanentForId) this.unusable.remember(key);
      this.logFailure(error, path);
      throw error;
    }
  }

  /** The snapshot is a convenience for later pages: a failed write is logged, never surfaced. */
  private async persist(titleId: string, score: CachedScore): Promise<void> {
    const snapshot: TmdbSnapshot = {
      voteAverage: score.voteAverage,
      voteCount: score.voteCount,
      fetchedAt: score.fetchedAt,
    };
    try {
      await this.saveSnapshot(titleId, snapshot);
    } catch (error) {
      this.logger.warn(
        { titleId, errorName: error instanceof Error ? error.name : typeof error },
        'Could not save the TMDB snapshot',
      );
    }
  }

  /**
   * Logs safe fields only; expected refusals (open circuit, 429 or credentials
   * pause, shutdown) at debug. A rejected credential was already logged once
   * for the whole pause by the resilience layer; a 404 or malformed id is
   * logged once per negative-cache period, since it is not asked for meanwhile.
   */
  private logFailure(error: unknown, path: string): void {
    if (!(error instanceof TmdbError)) {
      this.logger.error({ path }, 'Unexpected failure fetching a TMDB score');
      return;
    }
    const quiet =
      error.kind === 'circuit-open' || error.kind === 'paused' || error.kind === 'cancelled';
    if (quiet || error.credentialsRejected) {
      this.logger.debug(error.toLog(), quiet ? 'TMDB call skipped' : 'TMDB score fetch failed');
      return;
    }
    const remembered = error.permanentForId ? { notAskedAgainForMs: this.unusable.ttlMs } : {};
    this.logger.warn({ ...error.toLog(), ...remembered }, 'TMDB score fetch failed');
  }

  /** Keeps a handle on background work so whenIdle/close can wait for it; never rejects. */
  private track(work: Promise<unknown>): void {
    const settled = work.then(
      () => undefined,
      () => undefined,
    );
    this.background.add(settled);
    void settled.finally(() => this.background.delete(settled));
  }
}

function asScore(
  value: { voteAverage: number; voteCount: number; fetchedAt: Date },
  stale: boolean,
): TmdbScore {
  return {
    voteAverage: value.voteAverage,
    voteCount: value.voteCount,
    fetchedAt: value.fetchedAt,
    stale,
  };
}

/** Of an expired cache entry and a stored snapshot, the more recently fetched one. */
function newest<T extends { fetchedAt: Date }>(
  a: T | undefined | null,
  b: T | undefined | null,
): T | null {
  if (!a) return b ?? null;
  if (!b) return a;
  return b.fetchedAt.getTime() > a.fetchedAt.getTime() ? b : a;
}

/** TMDB could not give this score: a domain error the GraphQL layer maps to UPSTREAM_UNAVAILABLE. */
function unavailable(): Error {
  return new UpstreamUnavailableError(TMDB_UNAVAILABLE_MESSAGE);
}
