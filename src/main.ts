// First: it holds V8's young generation at its smallest while the modules load and the app starts.
import { settleAfterStart } from './startup-memory';
import 'reflect-metadata';
import { createApp } from './app';
import { openCaches } from './cache';
import { ConfigError, loadConfig } from './config';
import { createLogger } from './logger';
import { createMetrics } from './metrics';
import { openRatingLimitCounters } from './ratings/rate-limit';
import { openStore } from './store';
import { createTmdbScoreSource } from './tmdb';

const SHUTDOWN_GRACE_MS = 10_000;

/** Process entry: config -> logger -> store -> app -> listen; SIGTERM/SIGINT stop it gracefully. */
async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      process.exit(2);
    }
    throw error;
  }
  const logger = createLogger(config);
  const metrics = createMetrics();
  const opened = await openStore(config, logger);
  // Every reader and writer (the API, TMDB snapshots) goes through the caches and their metrics.
  const { responseCache, store } = openCaches(config, opened, metrics);
  const tmdb = createTmdbScoreSource({ config: config.tmdb, logger, store, metrics: metrics.tmdb });
  // From the opened store: its kind decides where the counters live.
  const ratingLimits = openRatingLimitCounters(opened, config.ratings.rateLimitPerMinute);
  let app;
  let url;
  try {
    app = await createApp({
      config,
      logger,
      store,
      tmdb,
      ratingLimits,
      metrics,
      responseCache,
    });
    url = await app.listen();
  } catch (error) {
    // A failed start (e.g. the port is in use) leaves nothing behind: the store is closed.
    await Promise.allSettled([tmdb.close(), store.close()]);
    throw error;
  }
  logger.info(
    { url: `${url}/graphql`, store: store.kind, tmdb: tmdb.enabled },
    'Reelcheck is listening',
  );
  void app.started().then(settleAfterStart);

  let stopping = false;
  const shutdown = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down: finishing in-flight requests');
    setTimeout(() => {
      logger.error('graceful shutdown took too long; exiting');
      process.exit(1);
    }, SHUTDOWN_GRACE_MS).unref();
    app.stop().then(
      () => process.exit(0),
      (err) => {
        logger.error({ err }, 'error during shutdown');
        process.exit(1);
      },
    );
  };
  // Under `npm start` these come from npm, which forwards the signal it receives to its
  // script's shell: package.json's `exec node ...` makes that shell this process, so a
  // process manager stopping npm's PID stops the server (test/integration/signals.test.ts).
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);
}

main().catch((error) => {
  console.error('Reelcheck failed to start:', error instanceof Error ? error.message : error);
  process.exit(1);
});
