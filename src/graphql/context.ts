import type { EditorAccess } from '../curation/editor-auth';
import type { CurationService } from '../curation/service';
import type { TmdbImporter } from '../curation/tmdb-import';
import type { Logger } from '../logger';
import type { ResponseCaching } from '../cache/policy';
import type { Store } from '../store/port';
import type { Loaders } from './loaders';
import type { RatingRateLimiter } from './rate-limit';

/** Everything a resolver may use; built fresh for each HTTP request by app.ts. */
export interface Context {
  store: Store;
  loaders: Loaders;
  logger: Logger;
  ratingLimiter: RatingRateLimiter;
  /** The client's address as decided by TRUST_PROXY (see README: "Client address"). */
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
