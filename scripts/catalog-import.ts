import 'reflect-metadata';
import fs from 'node:fs';
import { parseArgs } from 'node:util';
import { parseCatalog } from '../src/catalog/format';
import { describeReport, writeCatalog } from '../src/catalog/write';
import { loadConfig } from '../src/config';
import { createLogger } from '../src/logger';
import { openStore } from '../src/store';

/**
 * `npm run catalog:import -- FILE [--dry-run]`: makes every title in the
 * catalog file what the file says (README "Catalog files"). All or nothing:
 * the file and its references are checked before the first write; a second
 * import of the same file changes nothing and says so; ratings are kept.
 * --dry-run reports what would change and writes nothing. On the embedded
 * store, stop the server first (one process owns DATA_DIR).
 */
async function importCatalog(): Promise<void> {
  const { values, positionals } = parseArgs({
    options: { 'dry-run': { type: 'boolean', default: false } },
    allowPositionals: true,
  });
  if (positionals.length !== 1) {
    throw new Error('give one catalog file: npm run catalog:import -- FILE [--dry-run]');
  }
  const [file] = positionals;
  let json: unknown;
  try {
    json = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (error) {
    throw new Error(`${file} cannot be read as JSON: ${(error as Error).message}`, {
      cause: error,
    });
  }
  const catalog = parseCatalog(json);
  const dryRun = values['dry-run'] ?? false;
  const config = loadConfig();
  const logger = createLogger({ ...config, logLevel: 'warn' });
  const store = await openStore(config, logger);
  try {
    await store.ping();
    const report = await writeCatalog(store, catalog, { dryRun });
    const summary = describeReport(report);
    console.log(
      dryRun
        ? `dry run, nothing written: ${file} into the ${store.kind} store would give ${summary}`
        : `imported ${file} into the ${store.kind} store: ${summary}`,
    );
    for (const id of report.created) console.log(`  created ${id}`);
    for (const id of report.updated) console.log(`  updated ${id}`);
  } finally {
    await store.close();
  }
}

importCatalog().catch((error) => {
  console.error('catalog:import failed:', error instanceof Error ? error.message : error);
  process.exit(1);
});
