/**
 * TMDB as a live, never-blocking source of a title's score. The app needs only
 * createTmdbScoreSource (one TmdbScores per process) and its createLoader() (one
 * per GraphQL request); the rest is exported for tests and tooling.
 */
export { createTmdbScoreSource } from './source';
export type { TmdbScoreSourceDependencies } from './source';
export { TmdbScores, TMDB_UNAVAILABLE_MESSAGE } from './scores';
export type { TmdbScoresOptions } from './scores';
export type {
  TmdbScore,
  TmdbScoreLoader,
  TmdbScoreRequest,
  TmdbScoreSource,
  SaveTmdbSnapshot,
  TmdbVotes,
  TmdbTitleDetails,
  TmdbTitleRef,
  TmdbMetrics,
  CircuitStatus,
} from './types';
export { TmdbTitles } from './titles';
export type { TmdbTitleSource } from './titles';
export { DEFAULT_RESILIENCE } from './resilience';
export type { ResilienceSettings } from './resilience';
export { TmdbClient, tmdbPath, parseRetryAfter } from './client';
export type { TmdbClientConfig } from './client';
export { TmdbError } from './errors';
export type { TmdbFailureKind } from './errors';
