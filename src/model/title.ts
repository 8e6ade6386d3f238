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
  /** The current slug (see slug.ts); former ones keep resolving (CuratedTitle.formerSlugs). */
  slug: string;
  name: string;
  /** The name in its original language, e.g. "더 글로리" (from TMDB). */
  originalName: string | null;
  mediaType: MediaType;
  year: number | null;
  tagline: string | null;
  overview: string | null;
  /** Genre names, e.g. ["Drama", "Mystery"] (from TMDB or an editor). */
  genres: string[];
  /** TMDB's poster path, e.g. "/abc.jpg"; an image URL is TMDB's image base + size + path. */
  posterPath: string | null;
  tmdbId: number | null;
  tmdbSnapshot: TmdbSnapshot | null;
  verdictBlurb: string | null;
  /** 1 when created, +1 per editor change of the title's own fields (see curated-title.ts). */
  revision: number;
  /** When `revision` last moved. */
  updatedAt: Date;
}

/**
 * The fields an editor (or an import) sets on a title: everything but the
 * identity, the bookkeeping (revision, updatedAt) and the TMDB score snapshot,
 * which TMDB refreshes on its own.
 */
export const TITLE_CONTENT_FIELDS = [
  'slug',
  'name',
  'originalName',
  'mediaType',
  'year',
  'tagline',
  'overview',
  'genres',
  'posterPath',
  'tmdbId',
  'verdictBlurb',
] as const satisfies ReadonlyArray<keyof TitleRecord>;
export type TitleContentField = (typeof TITLE_CONTENT_FIELDS)[number];
export type TitleContent = Pick<TitleRecord, TitleContentField>;

/** The fields TMDB owns: an import refreshes these and never touches the curated ones. */
export const TMDB_OWNED_FIELDS = [
  'name',
  'originalName',
  'tagline',
  'overview',
  'year',
  'genres',
  'posterPath',
] as const satisfies ReadonlyArray<TitleContentField>;
