import type DataLoader from 'dataloader';
import type { MediaType, TmdbSnapshot } from '../model';
import type { TmdbFailureKind } from './errors';

/** What a resolver asks for: the title, its TMDB identity and the last score we stored for it. */
export interface TmdbScoreRequest {
  titleId: string;
  tmdbId: number;
  mediaType: MediaType;
  snapshot: TmdbSnapshot | null;
}

/** A score as shown on a page; stale is false only for a value fetched within the cache TTL. */
export interface TmdbScore {
  voteAverage: number;
  voteCount: number;
  fetchedAt: Date;
  stale: boolean;
}

/** The two numbers TMDB gives us for a title, as validated from its response. */
export interface TmdbVotes {
  voteAverage: number;
  voteCount: number;
}

/** Writes the last known score back to the store (Store.saveTmdbSnapshot). */
export type SaveTmdbSnapshot = (titleId: string, snapshot: TmdbSnapshot) => Promise<void>;

/** Batches and caches one request's score lookups (see TmdbScores.createLoader). */
export type TmdbScoreLoader = DataLoader<TmdbScoreRequest, TmdbScore | null>;

/** The TMDB side as the app needs it: a fresh loader per request, and shutdown. */
export interface TmdbScoreSource {
  /** `onLiveRead`: told when the loader looks a score up on TMDB's side (credentials set). */
  createLoader(onLiveRead?: () => void): TmdbScoreLoader;
  close(): Promise<void> | void;
}

/** A title as TMDB describes it: what importTitleFromTmdb takes (see TmdbClient.fetchDetails). */
export interface TmdbTitleDetails extends TmdbVotes {
  tmdbId: number;
  mediaType: MediaType;
  name: string;
  originalName: string | null;
  tagline: string | null;
  overview: string | null;
  year: number | null;
  genres: string[];
  posterPath: string | null;
}

/** A title TMDB points at (a recommendation). */
export interface TmdbTitleRef {
  tmdbId: number;
  mediaType: MediaType;
}

export type CircuitStatus = 'closed' | 'open' | 'half-open' | 'isolated';
/** Where a page's score came from: the fresh cache, a known value served stale, or neither. */
export type ScoreLookup = 'hit' | 'stale' | 'miss';

/** What the TMDB layer reports for metrics (GET /metrics); by default nothing. */
export interface TmdbMetrics {
  /** One HTTP request to TMDB ended: answered usably ('ok') or why not. */
  request(outcome: 'ok' | TmdbFailureKind): void;
  /** One score lookup of a page (TMDB enabled). */
  lookup(result: ScoreLookup): void;
  /** Registers how to read the circuit breaker's state when metrics are collected. */
  watchCircuit(read: () => CircuitStatus): void;
}

export const NO_TMDB_METRICS: TmdbMetrics = {
  request: () => undefined,
  lookup: () => undefined,
  watchCircuit: () => undefined,
};
