import 'reflect-metadata';
import { createApp } from './app';
import { openCaches } from './cache';
import { ConfigError, loadConfig } from './config';
import { createLogger } from './logger';
import { createMetrics } from './metrics';
import { openRatingLimitCounters, openStore } from './store';
import { observeStore } from './store/observed-store';
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
  // Every writer (the API, TMDB snapshots) goes through the caches' invalidation.
  const { responseCache, recordCache, store } = openCaches(
    config,
    observeStore(opened, metrics.storeCall),
    metrics,
  );
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
      recordCache,
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
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);
}

main().catch((error) => {
  console.error('Reelcheck failed to start:', error instanceof Error ? error.message : error);
  process.exit(1);
});
