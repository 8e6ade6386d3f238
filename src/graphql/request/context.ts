import type http from 'node:http';
import type { ResponseCaching } from '../../cache/policy';
import { RecordCache } from '../../cache/records';
import type { EditorAccess } from './editor-auth';
import type { CurationService } from '../../curation/service';
import type { TmdbImporter } from '../../curation/tmdb-import';
import type { Logger } from '../../logger';
import type { RatingService } from '../../ratings/service';
import type { ReviewService } from '../../reviews/service';
import type { Store } from '../../store/port';
import type { TmdbScoreSource } from '../../tmdb';
import { createLoaders, type Loaders } from './loaders';

/** Everything a resolver may use; built for each request by a RequestContextFactory. */
export interface Context {
  /** The process's store (src/cache/index.ts): its reads are noted for the response cache. */
  store: Store;
  loaders: Loaders;
  logger: Logger;
  /** Viewers' ratings: rating a title or fact, reading comments. */
  ratings: RatingService;
  /** Viewers' reports and editors' review queue. */
  reviews: ReviewService;
  /** The client's address as decided by TRUST_PROXY (docs/api.md: "Client address and rate limit"). */
  clientAddress: string;
  /** Whether this request may use editor operations (Authorization: Bearer <ADMIN_TOKEN>). */
  editorAccess: EditorAccess;
  /** Editors' operations on curated content. */
  curation: CurationService;
  /** importTitleFromTmdb. */
  tmdbImporter: TmdbImporter;
  /** Set when the response may be kept by the response cache (an anonymous read candidate). */
  responseCaching: ResponseCaching | null;
}

/** What every request's context shares: built once at start (app.ts). */
export interface RequestContextDependencies {
  store: Store;
  tmdb: Pick<TmdbScoreSource, 'createLoader'>;
  ratings: RatingService;
  reviews: ReviewService;
  curation: CurationService;
  tmdbImporter: TmdbImporter;
  /** The client's address (TRUST_PROXY applied). */
  clientAddress(req: http.IncomingMessage): string;
  /** The request's editor access, decided once per request (app.ts asks it before Apollo too). */
  editorAccess(req: http.IncomingMessage): Promise<EditorAccess>;
}

/** Builds one request's context; what every path to Apollo calls. */
export type RequestContextFactory = (
  req: http.IncomingMessage,
  logger: Logger,
  responseCaching: ResponseCaching | null,
) => Promise<Context>;

/**
 * The one place a request's context is built, so every request gives
 * resolvers the same thing: what the process shares, plus the request's own
 * loaders (their memo is the request's), logger, address and editor access.
 */
export function requestContexts(deps: RequestContextDependencies): RequestContextFactory {
  return async (req, logger, responseCaching) => {
    // An answer the response cache may keep reads through a view of the record cache that
    // notes what it read (src/cache/records.ts forRequest); the record cache is always
    // there when the response cache is on (src/cache/index.ts).
    const store =
      responseCaching && deps.store instanceof RecordCache
        ? deps.store.forRequest(responseCaching.reads)
        : deps.store;
    return {
      store,
      loaders: createLoaders(
        store,
        deps.tmdb.createLoader(
          responseCaching ? () => (responseCaching.reads.live = true) : undefined,
        ),
      ),
      logger,
      ratings: store === deps.store ? deps.ratings : deps.ratings.through(store),
      reviews: store === deps.store ? deps.reviews : deps.reviews.through(store),
      clientAddress: deps.clientAddress(req),
      editorAccess: await deps.editorAccess(req),
      curation: deps.curation,
      tmdbImporter: deps.tmdbImporter,
      responseCaching,
    };
  };
}
