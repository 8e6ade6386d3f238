import { Writable } from 'node:stream';
import { createApp, type App } from '../../src/app';
import { openCaches } from '../../src/cache';
import { type Config, loadConfig } from '../../src/config';
import { createLogger } from '../../src/logger';
import { createMetrics } from '../../src/metrics';
import { openRatingLimitCounters } from '../../src/ratings/rate-limit';
import { openStore } from '../../src/store';
import type { Store } from '../../src/store/port';
import { createTmdbScoreSource } from '../../src/tmdb';
import { awaitAtFileEnd, stopAtFileEnd } from './leftovers';
import { tempDir } from './temp-dirs';

export interface TestApp {
  url: string;
  app: App;
  /** The store the app writes through (caches and metrics in front of the adapter). */
  store: Store;
  /** The adapter itself, for tests that reach into SQLite or MongoDB. */
  adapter: Store;
  config: Config;
  dataDir: string;
  /** Every log line the app wrote (JSON strings), for secret-leak checks. */
  logs: string[];
  stop(): Promise<void>;
}

/** A DATA_DIR for one test's embedded store, removed when the test file is done (see tempDir). */
export function tempDataDir(prefix = 'reelcheck-test-'): string {
  return tempDir(prefix);
}

/**
 * Builds the real app (config -> logger -> store -> TMDB -> Apollo/node:http) on a
 * loopback port with an embedded store in a temp dir. `env` is read exactly
 * like process.env (MONGODB_URI selects MongoDB, as in production); `wrapStore`
 * lets a test observe or break store calls. The app is stopped when the test
 * file ends if the test did not stop it (see leftovers.ts), even when the hook
 * that started it timed out.
 */
export function startTestApp(options: TestAppOptions = {}): Promise<TestApp> {
  return awaitAtFileEnd(buildTestApp(options));
}

export interface TestAppOptions {
  env?: Record<string, string>;
  dataDir?: string;
  wrapStore?: (store: Store) => Store;
  waitUntilReady?: boolean;
}

/** How long a started app may take to seed and become ready: generous, for a machine under load. */
const READY_WITHIN_MS = 60_000;

async function buildTestApp(options: TestAppOptions): Promise<TestApp> {
  const dataDir = options.dataDir ?? tempDataDir();
  const config = loadConfig({
    NODE_ENV: 'test',
    HOST: '127.0.0.1',
    PORT: '0',
    DATA_DIR: dataDir,
    LOG_LEVEL: 'info',
    TMDB_API_BASE_URL: 'http://127.0.0.1:9/3', // discard port: never reached without credentials
    ...options.env,
  });
  const logs: string[] = [];
  const logger = createLogger(
    config,
    new Writable({
      write(chunk, _encoding, callback) {
        logs.push(String(chunk));
        callback();
      },
    }),
  );
  // The production factory: the embedded store, or MongoDB when env sets MONGODB_URI.
  const opened = await openStore(config, logger);
  const metrics = createMetrics();
  // As main.ts wraps it: every write through `store` (the test's too) invalidates what is cached.
  const { responseCache, store } = openCaches(
    config,
    options.wrapStore ? options.wrapStore(opened) : opened,
    metrics,
  );
  const tmdb = createTmdbScoreSource({
    config: config.tmdb,
    logger,
    store,
    metrics: metrics.tmdb,
  });
  // From the opened store, as main.ts does: its kind decides where the counters live.
  const ratingLimits = openRatingLimitCounters(opened, config.ratings.rateLimitPerMinute);
  let app: App;
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
  } catch (error) {
    // As main.ts does: a failed start leaves no store open behind it.
    await Promise.allSettled([tmdb.close(), opened.close()]);
    throw error;
  }
  const stop = stopAtFileEnd(() => app.stop());
  try {
    const url = await app.listen();
    // Else the bootstrap's retry loop keeps Jest from exiting.
    if (options.waitUntilReady !== false) await waitFor(() => app.bootstrap.ready, READY_WITHIN_MS);
    return { url, app, store, adapter: opened, config, dataDir, logs, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** Polls `condition` until it holds; the default bound is generous, for a machine under load. */
export async function waitFor(condition: () => boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/**
 * startTestApp with every store call counted per method (clear `calls`
 * between measurements). The record cache is off unless `env` turns it on:
 * the counts are what a query asks of the store, not what was kept from the
 * query before.
 */
export async function startCountingTestApp(
  options: Omit<TestAppOptions, 'wrapStore'> = {},
): Promise<TestApp & { calls: Map<string, number> }> {
  let calls = new Map<string, number>();
  const app = await startTestApp({
    ...options,
    env: { RECORD_CACHE: 'false', ...options.env },
    wrapStore: (store) => {
      const counting = countingStore(store);
      calls = counting.calls;
      return counting.store;
    },
  });
  return { ...app, calls };
}

/** A store proxy that counts calls per method: the DataLoader batching tests use it. */
export function countingStore(store: Store): { store: Store; calls: Map<string, number> } {
  const calls = new Map<string, number>();
  const proxy = new Proxy(store, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        calls.set(String(property), (calls.get(String(property)) ?? 0) + 1);
        return value.apply(target, args);
      };
    },
  });
  return { store: proxy, calls };
}
