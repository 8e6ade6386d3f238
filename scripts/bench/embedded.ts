import path from 'node:path';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store';
import { type CatalogSizeResults, measureCatalogSize } from './catalog-size';
import { benchCatalog, buildSqliteStore, everyTitleRated, workSubdir } from './fixtures';
import type { LoadSettings } from './load';
import {
  measureRatingWrites,
  type RatingWriteResults,
  type RatingWriteSettings,
} from './rating-writes';
import type { StartupStore } from './startup';

/**
 * The embedded store's side of P3 and P4: its fixtures in the bench's
 * temporary directory. The large catalog, every title rated `perTitle`
 * times, is kept for P5 (100,000 titles x 10 = the 1,000,000 ratings),
 * so it is built once.
 */

/** P3 on the embedded store; also returns the large store for the start-up measurement. */
export async function embeddedCatalogSize(
  workDir: string,
  settings: LoadSettings & { small: number; large: number },
  perTitle: number,
  log: (line: string) => void,
): Promise<{ results: CatalogSizeResults; largeStore: StartupStore }> {
  const { small, large } = settings;
  const dirs = {
    small: workSubdir(workDir, 'sqlite-small'),
    large: workSubdir(workDir, 'sqlite-large'),
  };
  log(`building embedded stores: ${small} and ${large} titles, each rated ${perTitle} times`);
  await buildSqliteStore(dirs.small, benchCatalog(small), everyTitleRated(small, perTitle));
  const buildStart = Date.now();
  await buildSqliteStore(dirs.large, benchCatalog(large), everyTitleRated(large, perTitle));
  const buildMs = Date.now() - buildStart;
  const results = await measureCatalogSize(
    'sqlite',
    {
      small: { size: small, env: { DATA_DIR: dirs.small } },
      large: { size: large, env: { DATA_DIR: dirs.large } },
    },
    settings,
    log,
  );
  return { results, largeStore: { dataDir: dirs.large, titles: large, buildMs } };
}

/** The embedded store as built, which P4 measures (issue 20: every commit synced). */
export const DURABLE_BUILD = 'the durable build (synchronous = FULL, group commit)';

/** P4 on the embedded store as built (DURABLE_BUILD), in a store of its own. */
export async function embeddedRatingWrites(
  workDir: string,
  settings: RatingWriteSettings,
): Promise<RatingWriteResults> {
  const dataDir = path.join(workDir, 'sqlite-ratings');
  const results = await measureRatingWrites(
    settings,
    (catalog, ratings) => buildSqliteStore(workSubdir(workDir, 'sqlite-ratings'), catalog, ratings),
    () => SqliteStore.open({ dataDir }),
  );
  return { ...results, storeMode: DURABLE_BUILD };
}
