import { RateLimiterMemory, type RateLimiterRes } from 'rate-limiter-flexible';
import type { Config } from '../config';
import type { Logger } from '../logger';
import { MongoStore } from './mongo/mongo-store';
import { SqliteStore } from './sqlite/sqlite-store';
import type { Store } from './port';

export type { Store } from './port';

/**
 * Picks the adapter from configuration: MongoDB when MONGODB_URI is set,
 * otherwise the embedded SQLite store under DATA_DIR. Resolvers only see the port.
 */
export async function openStore(config: Config, logger: Logger): Promise<Store> {
  if (config.mongo) {
    logger.info({ store: 'mongo' }, 'using MongoDB store');
    return MongoStore.create({
      uri: config.mongo.uri,
      dbName: config.mongo.dbName,
      serverSelectionTimeoutMs: config.mongo.serverSelectionTimeoutMs,
      logger,
    });
  }
  logger.info({ store: 'sqlite', dataDir: config.dataDir }, 'using embedded store');
  return SqliteStore.open({ dataDir: config.dataDir, logger });
}

/**
 * The counters of the per-client rating limit (RATINGS_RATE_LIMIT_PER_MINUTE):
 * in MongoDB when that is the store, so all API processes on the database share
 * one budget; in this process's memory for the embedded store, which one
 * process owns anyway.
 */
export function openRatingLimitCounters(
  store: Store,
  perMinute: number,
): { consume(key: string): Promise<RateLimiterRes> } {
  const window = { points: perMinute, durationSeconds: 60 };
  if (store instanceof MongoStore) return store.rateLimiter({ keyPrefix: 'rating', ...window });
  return new RateLimiterMemory({ points: window.points, duration: window.durationSeconds });
}
