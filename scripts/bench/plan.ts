import path from 'node:path';
import type { LoadSettings } from './load';
import type { MixedSettings } from './mixed';
import type { RatingWriteSettings } from './rating-writes';
import type { ReviewQueueSettings } from './review-queue';
import type { StartupSettings } from './startup';

/**
 * What one run measures and for how long. Full mode is the issues' setting
 * (50 connections, 100 vs 100,000 titles, 20,000 ratings, 1,000,000 ratings
 * at start-up, the mixed workload over 10,000 titles) and takes about 6 minutes; quick mode (`--quick`, for CI) runs
 * every phase on small data for a fraction of a second each, so the bench
 * never rots.
 */
export interface BenchPlan {
  mode: 'full' | 'quick';
  /** Where the JSON results go. */
  jsonFile: string;
  serving: LoadSettings;
  catalogSize: LoadSettings & { small: number; large: number };
  ratingWrites: RatingWriteSettings;
  startup: StartupSettings;
  /** Timed requests per document in the refusal comparison (after as many untimed). */
  refusals: { samples: number };
  /** Issue 19's mixed workload: Zipf reads over a catalog, with ratings. */
  mixed: MixedSettings;
  /** Issue 20: new ratings by 50 concurrent raters, durable build vs NORMAL single commits. */
  durableRatings: LoadSettings;
  /** Issue 19: distinct cacheable requests per server, caches at 8 MiB vs off (cache-memory.ts). */
  cacheMemory: { requests: number };
  /**
   * Issue 22: the review queue on a small vs a large catalog (facts; 10 per
   * title, each rated 10 times), and reports vs ratings on the large one.
   */
  reviewQueue: ReviewQueueSettings;
}

const FULL: Omit<BenchPlan, 'jsonFile'> = {
  mode: 'full',
  serving: { connections: 50, seconds: 3, rounds: 4, warmupSeconds: 1 },
  // 10 connections: the MongoDB test double takes ~0.1 s per large listing; 50 would time out.
  catalogSize: {
    connections: 10,
    seconds: 1.5,
    rounds: 3,
    warmupSeconds: 1,
    small: 100,
    large: 100_000,
  },
  ratingWrites: { busy: 20_000, quiet: 10, samples: 500 },
  startup: { ratingsPerTitle: 10, writes: 5_000, connections: 50 },
  refusals: { samples: 50 },
  // Every server reads every title once before its warm-up (mixed.ts, readEveryTitle): the
  // peers hold every page from the start; the warm-up is then Zipf traffic, alike for all.
  mixed: {
    connections: 50,
    seconds: 3,
    rounds: 4,
    warmupSeconds: 2,
    titles: 10_000,
    ratingsPerTitle: 5,
    ratingShare: 0.02,
    zipfExponent: 1,
  },
  durableRatings: { connections: 50, seconds: 3, rounds: 5, warmupSeconds: 1 },
  cacheMemory: { requests: 120_000 },
  // 100,000 facts over 10,000 titles, 1,000,000 ratings; 10 connections, as P3 (the MongoDB
  // test double reads every review document per queue page).
  reviewQueue: {
    connections: 10,
    seconds: 1.5,
    rounds: 3,
    warmupSeconds: 1,
    small: 100,
    large: 100_000,
    testDoubleLarge: 20_000,
    writes: { connections: 10, seconds: 1.5, rounds: 3, warmupSeconds: 1 },
  },
};

const QUICK: Omit<BenchPlan, 'jsonFile'> = {
  mode: 'quick',
  serving: { connections: 50, seconds: 0.3, rounds: 1, warmupSeconds: 0.1 },
  catalogSize: {
    connections: 10,
    seconds: 0.3,
    rounds: 1,
    warmupSeconds: 0.1,
    small: 100,
    large: 1_000,
  },
  ratingWrites: { busy: 2_000, quiet: 10, samples: 50 },
  startup: { ratingsPerTitle: 10, writes: 300, connections: 50 },
  refusals: { samples: 10 },
  mixed: {
    connections: 50,
    seconds: 0.5,
    rounds: 1,
    warmupSeconds: 0.2,
    titles: 1_000,
    ratingsPerTitle: 5,
    ratingShare: 0.02,
    zipfExponent: 1,
  },
  // 0.5 s: one slow disk sync (a busy machine) can hold every durable rating for a few 100 ms.
  durableRatings: { connections: 50, seconds: 0.5, rounds: 1, warmupSeconds: 0.2 },
  cacheMemory: { requests: 2_000 },
  reviewQueue: {
    connections: 10,
    seconds: 0.3,
    rounds: 1,
    warmupSeconds: 0.1,
    small: 100,
    large: 1_000,
    testDoubleLarge: 1_000,
    writes: { connections: 10, seconds: 0.3, rounds: 1, warmupSeconds: 0.1 },
  },
};

export const USAGE = `npm run bench [-- --quick] [-- --json FILE]
  --quick      a few seconds on small data (CI); default: the full run (about 6 minutes)
  --json FILE  where to write the results as JSON (default: bench-results.json)
  MONGODB_URI  a MongoDB server to include (without a database name); otherwise, in full mode,
               the test server in ../shared/mongo-test-server is started on BENCH_MONGO_PORT (27131)`;

/** The plan for the command line (arguments after `npm run bench --`); throws on anything unknown. */
export function planFor(args: readonly string[], cwd = process.cwd()): BenchPlan {
  let quick = false;
  let jsonFile = 'bench-results.json';
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === '--quick') quick = true;
    else if (arg === '--json' && args[i + 1] && !args[i + 1].startsWith('--')) jsonFile = args[++i];
    else throw new Error(`unknown or incomplete argument "${arg}"\nusage: ${USAGE}`);
  }
  return { ...(quick ? QUICK : FULL), jsonFile: path.resolve(cwd, jsonFile) };
}
