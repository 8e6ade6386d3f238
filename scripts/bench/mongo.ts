import { execFile, execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';
import { MongoClient } from 'mongodb';
import { MongoStore } from '../../src/store/mongo/mongo-store';
import { type CatalogSizeResults, measureCatalogSize } from './catalog-size';
import { benchCatalog, buildMongoDatabase, dropMongoDatabase } from './fixtures';
import type { LoadSettings } from './load';
import {
  measureRatingWrites,
  type RatingWriteResults,
  type RatingWriteSettings,
} from './rating-writes';
import { ROOT } from './servers';

/**
 * The MongoDB the bench measures: MONGODB_URI when set (without a database:
 * the bench uses fresh databases of its own and drops them); otherwise (full mode
 * only) the MongoDB-protocol test server beside the repository
 * (../shared/mongo-test-server, or ../../shared from a worktree), started on
 * BENCH_MONGO_PORT (default 27131) and stopped afterwards. Without either,
 * the MongoDB cases are skipped with the reason. P3 and P4 run on fresh
 * databases (reelcheck_bench_<random>_...), dropped afterwards.
 */

export interface MongoServer {
  uri: string;
  /** What the server is, as the report shows it (a test double's timings say nothing about MongoDB). */
  describe: string;
  testDouble: boolean;
  /** Stops the server if the bench started it (synchronous, so it also runs when the bench is interrupted). */
  stop(): void;
}

/** A phase that did not run, and why (no MongoDB server to run it on). */
export type Skipped = { skipped: string };

export type MongoTarget = MongoServer | Skipped;

/** Runs `work` on the server, or passes on why there is none. */
export async function onMongo<T>(
  mongo: MongoTarget,
  work: (server: MongoServer) => Promise<T>,
): Promise<T | Skipped> {
  return 'skipped' in mongo ? mongo : work(mongo);
}

const run = promisify(execFile);

export async function findMongo(options: { quick: boolean }): Promise<MongoTarget> {
  const given = process.env.MONGODB_URI?.trim();
  if (given) {
    if (/^mongodb(\+srv)?:\/\/[^/?]*\/[^?]/.test(given)) {
      return {
        skipped:
          'MONGODB_URI names a database; the bench creates and drops its own (MONGODB_DB): ' +
          'give a URI without one (credentials: add ?authSource=...)',
      };
    }
    return { uri: given, ...(await identify(given)), stop: () => undefined };
  }
  if (options.quick)
    return { skipped: 'quick mode starts no MongoDB server; set MONGODB_URI to include it' };
  const server = ['../shared/mongo-test-server', '../../shared/mongo-test-server']
    .map((relative) => path.resolve(ROOT, relative))
    .find((dir) => fs.existsSync(path.join(dir, 'start')));
  if (!server) {
    return {
      skipped: 'MONGODB_URI is unset and no ../shared/mongo-test-server is beside the repository',
    };
  }
  const port = process.env.BENCH_MONGO_PORT ?? '27131';
  if (await answers(Number(port))) {
    return { skipped: `port ${port} is taken; set BENCH_MONGO_PORT to a free port or MONGODB_URI` };
  }
  const { stdout } = await run(path.join(server, 'start'), [port]);
  const uri = stdout.trim().split('\n').pop()!;
  const stop = () => {
    try {
      execFileSync(path.join(server, 'stop'), [port], { stdio: 'ignore' });
    } catch {
      // already stopped
    }
  };
  try {
    return { uri, ...(await identify(uri)), stop };
  } catch (error) {
    stop();
    throw error;
  }
}

/**
 * Names the server from buildInfo. MongoDB reports a gitVersion; a
 * protocol test double such as mongo-java-server does not.
 */
async function identify(uri: string): Promise<{ describe: string; testDouble: boolean }> {
  const client = new MongoClient(uri, { serverSelectionTimeoutMS: 5000 });
  try {
    const info = await client.db('admin').command({ buildInfo: 1 });
    if (typeof info.gitVersion === 'string') {
      return { describe: `MongoDB ${info.version}`, testDouble: false };
    }
    return {
      describe:
        `a MongoDB-protocol test double reporting version ${info.version} (no gitVersion): ` +
        'in memory, no query planner (sorts and counts scan every document); ' +
        'its timings show what the adapter asks of the server, not how fast MongoDB answers',
      testDouble: true,
    };
  } finally {
    await client.close();
  }
}

/** True when something accepts connections on 127.0.0.1:port. */
function answers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** P3 on MongoDB: two fresh databases (small and large catalog, no ratings), dropped afterwards. */
export async function mongoCatalogSize(
  uri: string,
  settings: LoadSettings & { small: number; large: number },
  log: (line: string) => void,
): Promise<CatalogSizeResults> {
  const names = { small: benchDatabase('small'), large: benchDatabase('large') };
  try {
    log(`building MongoDB catalogs: ${settings.small} and ${settings.large} titles`);
    await buildMongoDatabase(uri, names.small, benchCatalog(settings.small));
    await buildMongoDatabase(uri, names.large, benchCatalog(settings.large));
    return await measureCatalogSize(
      'mongo',
      {
        small: { size: settings.small, env: { MONGODB_URI: uri, MONGODB_DB: names.small } },
        large: { size: settings.large, env: { MONGODB_URI: uri, MONGODB_DB: names.large } },
      },
      settings,
      log,
    );
  } finally {
    await Promise.all([dropMongoDatabase(uri, names.small), dropMongoDatabase(uri, names.large)]);
  }
}

/** P4 on MongoDB, in a fresh database dropped afterwards. */
export async function mongoRatingWrites(
  uri: string,
  settings: RatingWriteSettings,
): Promise<RatingWriteResults> {
  const dbName = benchDatabase('ratings');
  try {
    return await measureRatingWrites(
      settings,
      (catalog, ratings) => buildMongoDatabase(uri, dbName, catalog, ratings),
      async () => {
        const store = MongoStore.create({
          uri,
          dbNameOverride: dbName,
          serverSelectionTimeoutMs: 5000,
        });
        await store.ping();
        return store;
      },
    );
  } finally {
    await dropMongoDatabase(uri, dbName);
  }
}

/** A fresh database name for one phase's data: reelcheck_bench_<random>_<purpose>. */
export function benchDatabase(purpose: string): string {
  return `reelcheck_bench_${randomBytes(4).toString('hex')}_${purpose}`;
}
