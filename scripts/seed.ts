import 'reflect-metadata';
import { loadConfig } from '../src/config';
import { createLogger } from '../src/logger';
import { loadCatalog } from '../src/seed/catalog';
import { openStore } from '../src/store';

/**
 * `npm run seed`: writes the curated catalog into the configured store.
 * Idempotent: records are upserted by their stable ids, ratings untouched.
 * On the embedded store, stop the server first (one process owns DATA_DIR).
 */
async function seed(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger(config);
  const store = await openStore(config, logger);
  try {
    await store.ping();
    const report = await store.upsertCatalog(loadCatalog());
    console.log(
      `seeded ${store.kind} store: ${report.titles} titles, ${report.facts} facts, ${report.recommendations} recommendations (${await store.countTitles()} titles in total)`,
    );
  } finally {
    await store.close();
  }
}

seed().catch((error) => {
  console.error('seed failed:', error instanceof Error ? error.message : error);
  process.exit(1);
});
