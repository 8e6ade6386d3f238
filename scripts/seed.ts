import 'reflect-metadata';
import { describeReport, writeCatalog } from '../src/catalog/write';
import { loadConfig } from '../src/config';
import { createLogger } from '../src/logger';
import { loadCatalog } from '../src/seed/catalog';
import { openStore } from '../src/store';

/**
 * `npm run seed`: writes the curated seed catalog (src/seed/catalog.json, a
 * catalog file) into the configured store, as `catalog:import` would.
 * Idempotent: a second run changes nothing; ratings are never touched. On the
 * embedded store, stop the server first (one process owns DATA_DIR).
 */
async function seed(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger(config);
  const store = await openStore(config, logger);
  try {
    await store.ping();
    const report = await writeCatalog(store, loadCatalog());
    console.log(
      `seeded ${store.kind} store: ${describeReport(report)} (${await store.countTitles()} titles in total)`,
    );
  } finally {
    await store.close();
  }
}

seed().catch((error) => {
  console.error('seed failed:', error instanceof Error ? error.message : error);
  process.exit(1);
});
