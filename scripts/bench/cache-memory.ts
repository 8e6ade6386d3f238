import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import autocannon from 'autocannon';
import { benchCatalog, buildSqliteStore, slugAt, workSubdir } from './fixtures';
import { BenchError, fetchOk } from './load';
import { graphqlBody } from './queries';
import { BENCH_SERVER_ENV } from './serving';
import { type ServerProcess, startReelcheck } from './servers';

/**
 * Do the caches' memory caps bound memory? Any anonymous client can send
 * distinct requests (other variables), each a new response cache entry, and
 * look up every title in turn, each a new record cache entry. Two cases,
 * each on two Reelchecks run one after the other, alike but for the caches:
 *
 * - response cache: `count` distinct tiny cacheable requests (a title lookup
 *   by a random unknown slug: `{"data":{"title":null}}`, kept, while the
 *   record cache keeps no lookup that found nothing), caches at CAP_MIB vs
 *   both caches off;
 * - record cache: `count` distinct real lookups (every title of a catalog of
 *   `count` titles once, in random order), the response cache off on both
 *   (it would keep each answer too), the record cache at CAP_MIB vs off.
 *
 * Each server first answers identical requests, a tenth of `count` (at
 * least MIN_WARM_UP): code compiled, pools and V8's young generation sized,
 * the start's garbage collected, at most one entry kept; a baseline taken
 * after a few hundred requests moved by 15 MiB and more from run to run.
 * Its RSS is read after a full garbage collection before and after the
 * `count` requests: the growth is what the load left in memory, the cached
 * server's including what its caches keep.
 * Without the collection, RSS follows the collector's timing rather than
 * what is kept: V8 lets its old space grow to a few times the live heap
 * between full collections (the uncached server's RSS swung by 100 MiB and
 * more under this load), so a reading would measure when it was taken. The
 * servers are started with a preload (GC_PRELOAD, written to the work
 * directory) that runs a full collection on SIGUSR2 and says when it is done;
 * each reading is taken once further rounds no longer lower RSS
 * (GcSignal.collect). The peak RSS seen during the load (read every
 * 100 ms) and the growth of what V8 holds (heap and Buffers) are reported too, for
 * information. The caps hold when the cached server grew less than
 * LIMIT_MIB more than the uncached one. Even so, RSS after a collection
 * moves by several MiB from run to run (how fragmented V8's pages are left).
 *
 * RSS here is the anonymous part (RssAnon: V8's heap, malloc'd memory,
 * Buffers), what caches can grow; the rest is pages of the node binary and
 * libraries, which the kernel maps in and drops on its own (it moved the
 * total by 35 MiB in one run, more than the caps measured).
 */

/** The cap both caches get in the cached runs (RESPONSE_CACHE_MAX_MB, RECORD_CACHE_MAX_MB). */
export const CAP_MIB = 8;
/** The most the cached server's RSS may grow beyond the uncached one's. */
export const LIMIT_MIB = 16;

export interface CacheMemoryCase {
  /**
   * RSS growth over the load of the server with the caches at CAP_MIB, both
   * readings after a full garbage collection; null without /proc.
   */
  cachedGrowthMiB: number | null;
  /** The same for the server with the caches off. */
  uncachedGrowthMiB: number | null;
  /** cachedGrowthMiB - uncachedGrowthMiB. */
  differenceMiB: number | null;
  /** differenceMiB < LIMIT_MIB; null without /proc (RSS unknown). */
  pass: boolean | null;
  /** For information: the peak RSS seen during the load minus the baseline. */
  peakGrowthMiB: { cached: number | null; uncached: number | null };
  /**
   * For information: growth of what V8 holds (its heap in use and the memory
   * of Buffers and other external objects), both readings after a full
   * collection: the cached server's includes its caches' entries.
   */
  heapGrowthMiB: { cached: number; uncached: number };
  /** For information: each server's RSS before and after the load, after full collections. */
  rssMiB: {
    cached: { before: number | null; after: number | null };
    uncached: { before: number | null; after: number | null };
  };
}

export interface CacheMemoryResults {
  /** Distinct requests per server. */
  requests: number;
  capMiB: number;
  limitMiB: number;
  responseCache: CacheMemoryCase;
  recordCache: CacheMemoryCase;
  /** Both cases passed; null when either is unknown. */
  pass: boolean | null;
}

/** The small query every request sends, with its own slug. */
const TITLE_ID_QUERY = 'query($s: String!) { title(slug: $s) { id } }';
const MIN_WARM_UP = 500;
const CONNECTIONS = 16;
const MIB = 1024 * 1024;

/**
 * Runs both cases with `count` distinct requests per server (120,000 in the
 * full run) in `workDir` (stores, the preload); `log` hears the progress. A
 * BenchError when a request fails (the numbers would be meaningless).
 */
export async function measureCacheMemory(
  workDir: string,
  count: number,
  log: (line: string) => void,
): Promise<CacheMemoryResults> {
  const cap = String(CAP_MIB);
  const gc = new GcSignal(workDir);
  const off = gc.env({ RESPONSE_CACHE: 'false', RECORD_CACHE: 'false' });

  log(`cache memory: ${count} distinct tiny cacheable requests, caches at ${cap} MiB vs off`);
  const responseCache = await measureCase(
    {
      cached: gc.env({ RESPONSE_CACHE_MAX_MB: cap, RECORD_CACHE_MAX_MB: cap }),
      uncached: off,
      dataDir: (name) => workSubdir(workDir, `cache-memory-response-${name}`),
      slugs: unknownSlugs(count),
      warmUpSlug: 'warm-up-slug',
      gc,
    },
    log,
  );

  log(`cache memory: ${count} distinct title lookups, record cache at ${cap} MiB vs off`);
  const catalogDir = workSubdir(workDir, 'cache-memory-record-catalog');
  await buildSqliteStore(catalogDir, benchCatalog(count));
  const recordCache = await measureCase(
    {
      cached: gc.env({ RESPONSE_CACHE: 'false', RECORD_CACHE_MAX_MB: cap }),
      uncached: off,
      dataDir: (name) => {
        // One process owns a store: each server gets its own copy of the catalog.
        const dir = path.join(workDir, `cache-memory-record-${name}`);
        fs.cpSync(catalogDir, dir, { recursive: true });
        return dir;
      },
      slugs: shuffled(Array.from({ length: count }, (_, i) => slugAt(i))),
      warmUpSlug: slugAt(0),
      gc,
    },
    log,
  );

  return {
    requests: count,
    capMiB: CAP_MIB,
    limitMiB: LIMIT_MIB,
    responseCache,
    recordCache,
    pass:
      responseCache.pass === null || recordCache.pass === null
        ? null
        : responseCache.pass && recordCache.pass,
  };
}

interface CaseSetup {
  cached: Record<string, string>;
  uncached: Record<string, string>;
  dataDir(name: 'cached' | 'uncached'): string;
  /** One per request, in the order sent. */
  slugs: readonly string[];
  /** The slug of the warm-up requests. */
  warmUpSlug: string;
  gc: GcSignal;
}

async function measureCase(
  setup: CaseSetup,
  log: (line: string) => void,
): Promise<CacheMemoryCase> {
  const result = verdict(
    await growthOf('cache-memory-cached', setup.cached, setup.dataDir('cached'), setup),
    await growthOf('cache-memory-uncached', setup.uncached, setup.dataDir('uncached'), setup),
  );
  log(
    `  RSS growth after GC: cached ${mib(result.cachedGrowthMiB)}, ` +
      `uncached ${mib(result.uncachedGrowthMiB)}, difference ${mib(result.differenceMiB)} ` +
      `(limit ${LIMIT_MIB} MiB): ${result.pass === null ? 'unknown' : result.pass ? 'PASS' : 'FAIL'}; ` +
      `heap and external growth after GC: cached ${mib(result.heapGrowthMiB.cached)}, ` +
      `uncached ${mib(result.heapGrowthMiB.uncached)}; ` +
      `peak RSS growth during the load: cached ${mib(result.peakGrowthMiB.cached)}, ` +
      `uncached ${mib(result.peakGrowthMiB.uncached)}; RSS before -> after: ` +
      `cached ${mib(result.rssMiB.cached.before)} -> ${mib(result.rssMiB.cached.after)}, ` +
      `uncached ${mib(result.rssMiB.uncached.before)} -> ${mib(result.rssMiB.uncached.after)}`,
  );
  return result;
}

/**
 * One Reelcheck's growth under the case's load: started just before it and
 * stopped after, so that both servers of a case are measured alike (one
 * left idle while the other ran came back to a smaller RSS, which then
 * counted as growth).
 */
async function growthOf(
  name: string,
  env: Record<string, string>,
  dataDir: string,
  setup: CaseSetup,
): Promise<Growth> {
  const server = await startReelcheck(name, { ...BENCH_SERVER_ENV, ...env, DATA_DIR: dataDir });
  try {
    return await growthUnderLoad(server, setup);
  } finally {
    await server.stop();
  }
}

/** One server's RSS growth over the load, in bytes; null where /proc is missing. */
export interface Growth {
  /** Both readings after a full garbage collection. */
  settled: number | null;
  /** The peak seen during the load minus the baseline. */
  peak: number | null;
  /** RSS before and after the load, after full garbage collections. */
  before: number | null;
  after: number | null;
  /** V8's heap in use and external memory, both readings after a full garbage collection. */
  heap: number;
}

/** The case's numbers and verdict from the two servers' growth. */
export function verdict(cached: Growth, uncached: Growth): CacheMemoryCase {
  const inMiB = (bytes: number | null) => (bytes === null ? null : bytes / MIB);
  const difference =
    cached.settled === null || uncached.settled === null ? null : cached.settled - uncached.settled;
  return {
    cachedGrowthMiB: inMiB(cached.settled),
    uncachedGrowthMiB: inMiB(uncached.settled),
    differenceMiB: inMiB(difference),
    pass: difference === null ? null : difference < LIMIT_MIB * MIB,
    peakGrowthMiB: { cached: inMiB(cached.peak), uncached: inMiB(uncached.peak) },
    heapGrowthMiB: { cached: cached.heap / MIB, uncached: uncached.heap / MIB },
    rssMiB: {
      cached: { before: inMiB(cached.before), after: inMiB(cached.after) },
      uncached: { before: inMiB(uncached.before), after: inMiB(uncached.after) },
    },
  };
}

/**
 * Warms the server up, then sends one request per slug (CONNECTIONS at a
 * time): its RSS growth over them.
 */
async function growthUnderLoad(server: ServerProcess, setup: CaseSetup): Promise<Growth> {
  const warmUp = bodyFor(setup.warmUpSlug);
  await fetchOk(server, warmUp);
  const warmUps = Math.max(MIN_WARM_UP, Math.round(setup.slugs.length / 10));
  await send(
    server,
    Array.from({ length: warmUps }, () => warmUp),
  );
  const baseline = await setup.gc.collect(server);
  let peak = baseline.rss;
  const sample = () => {
    const now = anonymousRssBytes(server.pid);
    if (now !== null && peak !== null) peak = Math.max(peak, now);
  };
  const sampler = setInterval(sample, 100);
  try {
    await send(server, setup.slugs.map(bodyFor));
  } finally {
    clearInterval(sampler);
  }
  sample();
  const after = await setup.gc.collect(server);
  return {
    settled: baseline.rss === null || after.rss === null ? null : after.rss - baseline.rss,
    peak: baseline.rss === null || peak === null ? null : peak - baseline.rss,
    before: baseline.rss,
    after: after.rss,
    heap: after.held - baseline.held,
  };
}

/**
 * Loaded into each server (NODE_OPTIONS=--require): on SIGUSR2, two full
 * garbage collections, then `{"n": <collections asked so far>, "held":
 * <bytes of V8's heap in use and external memory>}` is written to
 * `<this file>.<pid>`, which the bench waits on.
 */
const GC_PRELOAD = `'use strict';
const fs = require('node:fs');
require('node:v8').setFlagsFromString('--expose-gc');
const gc = require('node:vm').runInNewContext('gc');
let n = 0;
process.on('SIGUSR2', () => {
  gc();
  gc();
  const { heapUsed, external } = process.memoryUsage();
  fs.writeFileSync(__filename + '.' + process.pid, JSON.stringify({ n: ++n, held: heapUsed + external }));
});
`;

/** What a server reported after a full garbage collection. */
interface Collected {
  /** V8's heap in use and external memory (Buffers), in bytes. */
  held: number;
  /** RSS once it has stopped falling, in bytes; null where /proc is missing. */
  rss: number | null;
}

/** Full garbage collections in the servers on demand, through GC_PRELOAD. */
class GcSignal {
  private readonly preload: string;

  constructor(workDir: string) {
    this.preload = path.join(workDir, 'cache-memory-gc.js');
    fs.writeFileSync(this.preload, GC_PRELOAD);
  }

  /**
   * `env` with the preload loaded (on top of BENCH_SERVER_ENV, which sets no NODE_OPTIONS),
   * and V8's young generation fixed at its smallest. Reelcheck starts with it at its smallest
   * (src/startup-memory.ts) and V8 grows it, up to 2 × 16 MiB, only in a process whose young
   * objects survive: the cached server's, whose entries survive, and not the uncached one's.
   * That size is V8's policy, bounded whatever the caches hold, and it would count as up to
   * 30 MiB of the caches' growth; fixed alike in both, the difference is what the caches keep.
   */
  env(env: Record<string, string>): Record<string, string> {
    return {
      ...env,
      NODE_OPTIONS: `--max-semi-space-size=1 --require ${JSON.stringify(this.preload)}`,
    };
  }

  /**
   * Collects the server's garbage until its RSS stops falling (at least
   * twice, at most five times), each time reading RSS once it has been
   * steady for two seconds: V8 returns the pages it freed from a background
   * thread, late on a busy machine, and a collection compacts only pages
   * already swept, so pages the cache's scattered survivors left fragmented
   * are compacted by a later one (a run of the record case read 26 MiB of
   * RSS growth after the first collection, 13 after the second).
   */
  async collect(server: ServerProcess): Promise<Collected> {
    let last = await this.collectOnce(server);
    for (let round = 2; round <= 5; round++) {
      const next = await this.collectOnce(server);
      const fell = last.rss !== null && next.rss !== null && next.rss < last.rss - MIB / 2;
      last = next;
      if (!fell) break;
    }
    return last;
  }

  private async collectOnce(server: ServerProcess): Promise<Collected> {
    const reportFile = `${this.preload}.${server.pid}`;
    const asked = (readReport(reportFile)?.n ?? 0) + 1;
    process.kill(server.pid, 'SIGUSR2');
    const deadline = Date.now() + 30_000;
    let report = readReport(reportFile);
    while (!report || report.n < asked) {
      if (Date.now() > deadline) {
        throw new BenchError(`${server.name} did not collect its garbage on SIGUSR2`);
      }
      await sleep(10);
      report = readReport(reportFile);
    }
    const readings: number[] = [];
    for (let i = 0; i < 300; i++) {
      const now = anonymousRssBytes(server.pid);
      if (now === null) return { held: report.held, rss: null };
      readings.push(now);
      const steady = readings.slice(-21);
      if (steady.length === 21 && Math.max(...steady) - Math.min(...steady) < MIB / 4) break;
      await sleep(100);
    }
    return { held: report.held, rss: readings[readings.length - 1] };
  }
}

/** The server's last report in `file`; undefined before the first (or while it is written). */
function readReport(file: string): { n: number; held: number } | undefined {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as { n: number; held: number };
  } catch {
    return undefined;
  }
}

/** The process's anonymous resident memory (RssAnon) in bytes; null where /proc is missing. */
function anonymousRssBytes(pid: number): number | null {
  try {
    const match = /^RssAnon:\s+(\d+)\s+kB$/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) * 1024 : null;
  } catch {
    return null;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** POSTs each body once; any failure, status other than 200 or GraphQL error is a BenchError. */
async function send(server: ServerProcess, bodies: readonly string[]): Promise<void> {
  let next = 0;
  let failures = 0;
  let firstFailure = '';
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    const run = autocannon(
      {
        url: `${server.url}/graphql`,
        connections: CONNECTIONS,
        amount: bodies.length,
        // Seconds per request: generous, so a server slowed by garbage collection is no failure.
        timeout: 60,
        requests: [
          {
            method: 'POST',
            path: '/graphql',
            headers: { 'content-type': 'application/json' },
            setupRequest: (request) => ({ ...request, body: bodies[next++ % bodies.length] }),
            onResponse: (status, body) => {
              if (status === 200 && !body.includes('"errors"')) return;
              failures++;
              firstFailure ||= `${status}: ${body.slice(0, 300)}`;
            },
          },
        ],
      },
      (error, done) => (error ? reject(error) : resolve(done)),
    );
    run.on('reqError', (error: unknown) => {
      firstFailure ||= String(error);
    });
  });
  const failed = failures + result.errors + result.non2xx;
  if (failed > 0) {
    throw new BenchError(
      `cache memory on ${server.name}: ${failed} of ${result.requests.sent} requests failed ` +
        `(${result.errors} errors incl. ${result.timeouts} timeouts, ${result.non2xx} non-2xx, ` +
        `${failures} with another status or GraphQL errors)` +
        (firstFailure ? `; first: ${firstFailure}` : ''),
    );
  }
}

function bodyFor(slug: string): string {
  return graphqlBody(TITLE_ID_QUERY, { s: slug });
}

/** `count` slugs no title has, all distinct. */
function unknownSlugs(count: number): string[] {
  return Array.from(
    { length: count },
    (_, i) => `probe-${i.toString(36)}-${randomBytes(4).toString('hex')}`,
  );
}

/** The values in random order (Fisher-Yates). */
function shuffled<T>(values: T[]): T[] {
  for (let i = values.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [values[i], values[j]] = [values[j], values[i]];
  }
  return values;
}

function mib(value: number | null): string {
  return value === null ? 'unknown' : `${value.toFixed(1)} MiB`;
}
