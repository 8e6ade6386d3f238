import 'reflect-metadata';
import { createApp } from '../../src/app';
import { openCaches } from '../../src/cache';
import { loadConfig } from '../../src/config';
import { createLogger } from '../../src/logger';
import { createMetrics } from '../../src/metrics';
import { openRatingLimitCounters } from '../../src/ratings/rate-limit';
import { openStore, type Store } from '../../src/store';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store';
import { createTmdbScoreSource } from '../../src/tmdb';

/**
 * Reelcheck wired as src/main.ts wires it, for issue 20's durable-ratings
 * phase (durable-ratings.ts), in one of two commit modes chosen by
 * BENCH_RATING_COMMITS, which only this bench entry point reads (the server's
 * own config knows nothing of it):
 *
 * - `durable` (default): the store exactly as built: `synchronous = FULL`,
 *   ratings that arrive in the same event-loop turn committed together.
 * - `today`: as before issue 20: `synchronous = NORMAL`, each rating committed
 *   alone, inside its own upsertRating call (as the store did then).
 *
 * `today` needs two of the SQLite store's private members (its connection, to
 * set the pragma, and its group commit, to commit at once); src/ has no hook for
 * this, and the bench should not add one to the server. They are read in one
 * place (todayMode), checked, and the start fails if they are missing, so a
 * change to the store breaks the bench loudly rather than measuring something else.
 * Both modes run this same entry point, so they differ in the commit mode only.
 */
export const COMMIT_MODES = ['durable', 'today'] as const;
export type CommitMode = (typeof COMMIT_MODES)[number];

/** The store with NORMAL sync and a commit right after each rating is queued (one rating per commit). */
export function todayMode(opened: Store): Store {
  if (!(opened instanceof SqliteStore)) {
    throw new Error('BENCH_RATING_COMMITS=today needs the SQLite store');
  }
  // Its private parts, by name: a rename fails the typecheck instead of measuring something else.
  const { db } = opened['gate'];
  const commits = opened['commits'];
  const commitRatings = () => commits.flush();
  db.pragma('synchronous = NORMAL');
  if (db.pragma('synchronous', { simple: true }) !== 1) {
    throw new Error('PRAGMA synchronous = NORMAL did not take');
  }
  // A wrapper, not a patched instance: everything else goes to the store itself.
  return new Proxy(opened, {
    get(target, property, receiver) {
      if (property !== 'upsertRating') {
        const value: unknown = Reflect.get(target, property, receiver);
        return typeof value === 'function' ? value.bind(target) : value;
      }
      return (...args: Parameters<Store['upsertRating']>) => {
        const written = target.upsertRating(...args);
        commitRatings(); // now, alone: its own transaction (the queued group commit finds nothing)
        return written;
      };
    },
  });
}

async function main(): Promise<void> {
  const mode = (process.env.BENCH_RATING_COMMITS ?? 'durable') as CommitMode;
  if (!COMMIT_MODES.includes(mode)) throw new Error(`unknown BENCH_RATING_COMMITS=${mode}`);
  const config = loadConfig();
  const logger = createLogger(config);
  const metrics = createMetrics();
  const opened = await openStore(config, logger);
  const store = mode === 'today' ? todayMode(opened) : opened;
  const caches = openCaches(config, store, metrics);
  const tmdb = createTmdbScoreSource({
    config: config.tmdb,
    logger,
    store: caches.store,
    metrics: metrics.tmdb,
  });
  const app = await createApp({
    config,
    logger,
    store: caches.store,
    tmdb,
    ratingLimits: openRatingLimitCounters(opened, config.ratings.rateLimitPerMinute),
    metrics,
    responseCache: caches.responseCache,
  });
  const url = await app.listen();
  // The line servers.ts waits for (startReelcheck).
  logger.info(
    { url: `${url}/graphql`, store: store.kind, commits: mode },
    'Reelcheck is listening',
  );
  const stop = () => void app.stop().then(() => process.exit(0));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

// Run as a process only (durable-ratings.ts imports the modes above).
if (require.main === module) {
  main().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}
