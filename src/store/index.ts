import type { Config } from '../config';
import type { Logger } from '../logger';
import type { Store } from './port';
import { SqliteStore } from './sqlite/sqlite-store';

export type { Store } from './port';

/**
 * Picks the adapter from configuration: MongoDB when MONGODB_URI is set,
 * otherwise the embedded SQLite store under DATA_DIR. Resolvers only see the port.
 * The MongoDB adapter is loaded only when chosen (dynamic import): the embedded
 * store never loads the MongoDB driver, which costs memory at rest (issue 21, item 9).
 */
export async function openStore(config: Config, logger: Logger): Promise<Store> {
  if (config.mongo) {
    logger.info({ store: 'mongo' }, 'using MongoDB store');
    const { MongoStore } = await import('./mongo/mongo-store');
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
