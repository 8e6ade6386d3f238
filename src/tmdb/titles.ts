import type { Config } from '../config';
import type { Logger } from '../logger';
import type { MediaType } from '../model';
import { TmdbClient, tmdbPath } from './client';
import { DEFAULT_RESILIENCE, type ResilienceSettings, TmdbResilience } from './resilience';
import type { TmdbTitleDetails, TmdbTitleRef } from './types';

/** What a title import needs from TMDB (TmdbTitles; tests may pass another). */
export interface TmdbTitleSource {
  /** false without credentials: nothing can be imported. */
  readonly enabled: boolean;
  details(mediaType: MediaType, tmdbId: number): Promise<TmdbTitleDetails>;
  recommendations(mediaType: MediaType, tmdbId: number): Promise<TmdbTitleRef[]>;
  close(): Promise<void> | void;
}

/**
 * TMDB titles for editors' imports: details and recommendations through the
 * same resilience pipeline as scores (retries with backoff on 5xx and network
 * errors, a circuit breaker, 429 and credential pauses, an attempt timeout),
 * with a breaker of its own so imports never open the circuit pages use.
 * Every failure is a TmdbError (kind, path and status; never credentials).
 */
export class TmdbTitles implements TmdbTitleSource {
  readonly enabled: boolean;
  private readonly client: TmdbClient;
  private readonly resilience: TmdbResilience;
  private readonly lifetime = new AbortController();

  constructor(
    config: Config['tmdb'],
    logger: Logger,
    resilience: Partial<Omit<ResilienceSettings, 'maxConcurrency' | 'attemptTimeoutMs'>> = {},
  ) {
    this.client = new TmdbClient(config);
    this.enabled = this.client.hasCredentials;
    this.resilience = new TmdbResilience(
      {
        ...DEFAULT_RESILIENCE,
        ...resilience,
        maxConcurrency: config.maxConcurrency,
        attemptTimeoutMs: config.timeoutMs,
      },
      logger.child({ component: 'tmdb-import' }),
      Date.now,
    );
  }

  details(mediaType: MediaType, tmdbId: number): Promise<TmdbTitleDetails> {
    return this.resilience.execute(
      tmdbPath(mediaType, tmdbId),
      (signal) => this.client.fetchDetails(mediaType, tmdbId, signal),
      this.lifetime.signal,
    );
  }

  recommendations(mediaType: MediaType, tmdbId: number): Promise<TmdbTitleRef[]> {
    return this.resilience.execute(
      `${tmdbPath(mediaType, tmdbId)}/recommendations`,
      (signal) => this.client.fetchRecommendations(mediaType, tmdbId, signal),
      this.lifetime.signal,
    );
  }

  close(): void {
    this.lifetime.abort();
    this.resilience.dispose();
    this.client.close();
  }
}
