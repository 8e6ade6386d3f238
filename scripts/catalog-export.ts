import 'reflect-metadata';
import fs from 'node:fs';
import { parseArgs } from 'node:util';
import { toCatalogFile } from '../src/catalog/format';
import { readCatalog, readReviewRecords } from '../src/catalog/read';
import { loadConfig } from '../src/config';
import { createLogger } from '../src/logger';
import { openStore } from '../src/store';

/**
 * `npm run catalog:export -- --out FILE`: writes every title of the
 * configured store (fields, slug history, facts with verification,
 * recommendations, revisions) and the review records of its facts (fact
 * reviews, reports with their voter ids, resolutions) as a catalog file
 * (docs/editors.md, "Catalog files"): an editors' file. Ratings are not
 * exported. Without --out the file goes to stdout,
 * and nothing else does: redirect `npm run --silent catalog:export`, since
 * npm itself writes a banner to stdout otherwise. On the embedded store, stop
 * the server first (one process owns DATA_DIR).
 */
async function exportCatalog(): Promise<void> {
  const { values } = parseArgs({ options: { out: { type: 'string' } } });
  const config = loadConfig();
  const logger = createLogger({ ...config, logLevel: 'warn' });
  const store = await openStore(config, logger);
  try {
    await store.ping();
    const catalog = await readCatalog(store);
    const reviews = await readReviewRecords(store, catalog);
    const json = `${JSON.stringify(toCatalogFile(catalog, reviews), null, 2)}\n`;
    if (values.out) {
      fs.writeFileSync(values.out, json);
      console.log(
        `exported ${catalog.titles.length} titles (${reviews.reviews.length} fact reviews, ` +
          `${reviews.reports.length} reports, ${reviews.resolutions.length} resolutions) ` +
          `from the ${store.kind} store to ${values.out}`,
      );
    } else {
      process.stdout.write(json);
    }
  } finally {
    await store.close();
  }
}

exportCatalog().catch((error) => {
  console.error('catalog:export failed:', error instanceof Error ? error.message : error);
  process.exit(1);
});
