import { loadConfig } from '../src/config';
import { restoreStore } from '../src/store/sqlite/backup';

/**
 * `npm run store:restore -- FILE` (server stopped): puts a backup back as the
 * embedded store (DATA_DIR). The backup is checked first; the store it
 * replaces is kept in DATA_DIR/backups/reelcheck-replaced-<stamp>.sqlite.
 */
async function main(): Promise<void> {
  const config = loadConfig();
  if (config.mongo) {
    console.error(
      'store:restore works on the embedded store; MONGODB_URI is set (use mongorestore)',
    );
    process.exit(2);
  }
  const args = process.argv.slice(2);
  if (args.length !== 1) {
    console.error('usage: npm run store:restore -- FILE');
    process.exit(2);
  }
  const outcome = await restoreStore(config.dataDir, args[0]);
  console.log(`integrity check of ${args[0]}: ok`);
  if (outcome.replacedKeptAs)
    console.log(`the replaced store is kept as ${outcome.replacedKeptAs}`);
  console.log(
    `restored: ${outcome.file} is store ${outcome.storeId} with ${outcome.ratings} rating(s)`,
  );
}

main().catch((error: unknown) => {
  console.error('store:restore failed:', error instanceof Error ? error.message : error);
  process.exit(1);
});
