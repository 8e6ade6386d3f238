import { loadConfig } from '../src/config';
import { backUpStore } from '../src/store/sqlite/backup';

/**
 * `npm run store:backup [-- --out FILE]`: a consistent, verified copy of the
 * embedded store (DATA_DIR), while the server runs or not. Without --out the
 * copy goes to DATA_DIR/backups/reelcheck-<stamp>.sqlite.
 */
async function main(): Promise<void> {
  const config = loadConfig();
  if (config.mongo) {
    console.error('store:backup works on the embedded store; MONGODB_URI is set (use mongodump)');
    process.exit(2);
  }
  const args = process.argv.slice(2);
  const at = args.indexOf('--out');
  if ((at >= 0 && !args[at + 1]) || args.some((arg, i) => arg !== '--out' && i !== at + 1)) {
    console.error('usage: npm run store:backup [-- --out FILE]');
    process.exit(2);
  }
  const outcome = await backUpStore(config.dataDir, at >= 0 ? args[at + 1] : undefined);
  console.log(
    `backed up ${outcome.ratings} rating(s) of store ${outcome.storeId ?? '(no id)'} ` +
      `${outcome.via === 'server' ? 'through the running server' : 'directly (no server was running)'}`,
  );
  console.log('integrity check of the copy: ok');
  console.log(`backup: ${outcome.file}`);
}

main().catch((error: unknown) => {
  console.error('store:backup failed:', error instanceof Error ? error.message : error);
  process.exit(1);
});
