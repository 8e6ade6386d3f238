import type DataLoader from 'dataloader';
import type { MediaType, TmdbSnapshot } from '../model';

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
  createLoader(): TmdbScoreLoader;
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
