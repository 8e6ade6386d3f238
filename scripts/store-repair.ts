import { loadConfig } from '../src/config';
import { repairStore } from '../src/store/sqlite/repair';

/**
 * `npm run store:repair`: salvages a damaged embedded store (DATA_DIR) after
 * backing it up, and prints what was kept and dropped. Stop the server first.
 */
function main(): void {
  const config = loadConfig();
  if (config.mongo) {
    console.error('store:repair works on the embedded store; MONGODB_URI is set');
    process.exit(2);
  }
  const outcome = repairStore(config.dataDir);
  console.log(`store file: ${outcome.file}`);
  if (outcome.backup) console.log(`backup of the original: ${outcome.backup}`);
  for (const line of outcome.lines) console.log(line);
  console.log(
    {
      repaired:
        'repaired: the store opens again; curated titles and facts that were dropped come back with `npm run seed`',
      accepted: 'accepted: the store opens again without what its -wal held',
      healthy: 'nothing to repair',
      missing: 'not repaired',
    }[outcome.state],
  );
  if (outcome.state === 'missing') process.exit(1);
}

try {
  main();
} catch (error) {
  console.error('store:repair failed:', error instanceof Error ? error.message : error);
  process.exit(1);
}
