import 'reflect-metadata';
import { loadConfig } from '../src/config';
import { createLogger } from '../src/logger';
import { openStore } from '../src/store';

/**
 * `npm run ratings:rebuild [-- --dry-run]`: recomputes every rating aggregate
 * from the raw ratings and repairs (or, with --dry-run, only reports) drift.
 * On the embedded store a rating and its aggregate are one transaction, so
 * drift means damage; on MongoDB it can come from a process dying between
 * the two writes.
 */
async function rebuild(): Promise<void> {
  const dryRun = process.argv.includes('--dry-run');
  const config = loadConfig();
  const logger = createLogger({ ...config, logLevel: 'warn' });
  const store = await openStore(config, logger);
  try {
    await store.ping();
    const report = await store.rebuildAggregates({ dryRun });
    console.log(
      `checked ${report.targets} rated targets (${report.ratings} ratings) in the ${store.kind} store`,
    );
    for (const { targetKey, stored, actual } of report.drift) {
      console.log(
        `${dryRun ? 'drift' : 'repaired'} ${targetKey}: count ${stored.count} -> ${actual.count}, sum ${stored.sum} -> ${actual.sum}, distribution [${stored.distribution}] -> [${actual.distribution}]`,
      );
    }
    console.log(
      report.drift.length === 0
        ? 'no drift: every aggregate matches its ratings'
        : `${report.drift.length} aggregate(s) ${dryRun ? 'drifted (dry run, nothing changed)' : 'repaired'}`,
    );
  } finally {
    await store.close();
  }
}

rebuild().catch((error) => {
  console.error('ratings:rebuild failed:', error instanceof Error ? error.message : error);
  process.exit(1);
});
