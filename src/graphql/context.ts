import type { Logger } from '../logger';
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
}
