import 'reflect-metadata';
import { parseArgs } from 'node:util';
import { copyStore, CopyRefusedError } from '../src/store/copy/copy';

/**
 * `npm run store:copy -- --from SOURCE --to TARGET [--batch-size N]`: copies a
 * whole store (titles with their history, facts, verification, Watch Next,
 * ratings with comments and moderation, the audit trail, TMDB snapshots) to
 * another; SOURCE and TARGET are each a data directory (embedded store) or a
 * mongodb:// URI. See src/store/copy/copy.ts. Exit codes: 0 copied and
 * checked; 1 failed or the final check found a difference; 2 refused
 * (nothing written).
 */
async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      from: { type: 'string' },
      to: { type: 'string' },
      'batch-size': { type: 'string' },
    },
  });
  if (!values.from || !values.to) {
    console.error(
      'usage: npm run store:copy -- --from SOURCE --to TARGET (a data directory or a mongodb:// URI each)',
    );
    return 2;
  }
  const batchSize = values['batch-size'] ? Number(values['batch-size']) : undefined;
  if (batchSize !== undefined && !(Number.isInteger(batchSize) && batchSize > 0)) {
    console.error('--batch-size must be a positive integer');
    return 2;
  }
  const result = await copyStore({ from: values.from, to: values.to, batchSize });
  return result.ok ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (error) => {
    console.error('store:copy failed:', error instanceof Error ? error.message : error);
    process.exit(error instanceof CopyRefusedError ? 2 : 1);
  },
);
