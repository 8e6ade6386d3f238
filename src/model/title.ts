/**
 * A film or series as Reelcheck stores it. The domain's core: the store
 * adapters map their documents to these records, the GraphQL layer serves
 * them, and neither adds meaning of its own.
 */

/** Film or series. One source for the values: GraphQL registers this object as its enum. */
export const MediaType = { MOVIE: 'MOVIE', TV: 'TV' } as const;
export type MediaType = (typeof MediaType)[keyof typeof MediaType];

/** The last TMDB score we fetched (or seeded), kept so a page never waits on TMDB for it. */
export interface TmdbSnapshot {
  voteAverage: number;
  voteCount: number;
  fetchedAt: Date;
}

export interface TitleRecord {
  id: string;
  slug: string;
  name: string;
  mediaType: MediaType;
  year: number | null;
  tagline: string | null;
  overview: string | null;
  tmdbId: number | null;
  tmdbSnapshot: TmdbSnapshot | null;
  verdictBlurb: string | null;
}
