import 'reflect-metadata';
import fs from 'node:fs';
import { parseArgs } from 'node:util';
import { parseCatalogFile } from '../src/catalog/format';
import {
  type CatalogImportReport,
  describeReport,
  EMPTY_STORE,
  writeCatalog,
} from '../src/catalog/write';
import { type Config, loadConfig } from '../src/config';
import { createLogger } from '../src/logger';
import { openStore, type Store } from '../src/store';
import { storeFile } from '../src/store/sqlite/database';

/**
 * `npm run catalog:import -- FILE [--dry-run]`: makes every title in the
 * catalog file, and every review record of a version-2 file, what the file
 * says (docs/editors.md, "Catalog files"). All or nothing:
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
  const { catalog, reviews } = parseCatalogFile(json);
  const dryRun = values['dry-run'] ?? false;
  const config = loadConfig();
  const { report, kind } =
    dryRun && !config.mongo && !fs.existsSync(storeFile(config.dataDir))
      ? // No embedded store yet, and a dry run creates none: compare with an empty one.
        {
          report: await writeCatalog(EMPTY_STORE, catalog, { dryRun, reviews }),
          kind: 'sqlite (empty)',
        }
      : await intoStore(config, (store) => writeCatalog(store, catalog, { dryRun, reviews }));
  const summary = describeReport(report);
  console.log(
    dryRun
      ? `dry run, nothing written: ${file} into the ${kind} store would give ${summary}`
      : `imported ${file} into the ${kind} store: ${summary}`,
  );
  for (const id of report.created) console.log(`  created ${id}`);
  for (const id of report.updated) console.log(`  updated ${id}`);
}

/** Opens the configured store, runs `work` on it once it answers, and closes it. */
async function intoStore(
  config: Config,
  work: (store: Store) => Promise<CatalogImportReport>,
): Promise<{ report: CatalogImportReport; kind: string }> {
  const store = await openStore(config, createLogger({ ...config, logLevel: 'warn' }));
  try {
    await store.ping();
    return { report: await work(store), kind: store.kind };
  } finally {
    await store.close();
  }
}

importCatalog().catch((error) => {
  console.error('catalog:import failed:', error instanceof Error ? error.message : error);
  process.exit(1);
});
