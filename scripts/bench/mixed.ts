import fs from 'node:fs';
import path from 'node:path';
import autocannon from 'autocannon';
import { benchCatalog, buildSqliteStore, everyTitleRated, slugAt, workSubdir } from './fixtures';
import {
  BenchError,
  type CaseResult,
  fetchOk,
  interleaveRuns,
  type LoadSettings,
  type RunSample,
  runSample,
} from './load';
import { cpuMicros } from './metrics';
import type { RateInput } from './peer-pages';
import {
  documentBody,
  graphqlBody,
  RATE_TITLE_MUTATION,
  TITLE_PAGE_BY_SLUG_QUERY,
} from './queries';
import { BENCH_SERVER_ENV, expectSameBody, UNCACHED_ENV } from './serving';
import {
  type ServerProcess,
  startBenchServer,
  startedTogether,
  startReelcheck,
  stopAll,
} from './servers';
import { documentIdOf, manifestOperation, writeManifest } from './trusted-documents';
import { seededRandom, shuffled, zipfSampler } from './zipf';

/**
 * Issue 19's mixed workload, the traffic a title site sees: title pages read
 * over a catalog of `titles` titles, which title chosen by a Zipf
 * distribution (exponent `zipfExponent`, 1), and a share of the requests
 * (`ratingShare`, 2%) rating the title the client just read, each by a new
 * voter (one rating per voter per title: every rating adds one to the
 * count), after which the client reads the page again.
 *
 * Every read after a rating must show it: the bench keeps, per title, the
 * highest count a rating's answer acknowledged, and every read of a rated
 * title sent after that acknowledgement must show at least that count (the
 * read right after a rating always, and every other client's read of a rated
 * title). A violation makes the measurement invalid (a BenchError), as does
 * any failed request or a page of another title.
 *
 * Reelcheck runs its default configuration (response cache and record cache
 * on) on an embedded store seeded with the catalog, its rating rate limit
 * raised as for every bench server (BENCH_SERVER_ENV: one load generator is
 * one client address; every rating still goes through the limiter). Its
 * peers serve the same pages from memory and apply the same ratings
 * (peer-pages.ts): stock Apollo, Mercurius with graphql-jit, and Mercurius
 * with mercurius-cache (title answers kept at least as long as Reelcheck
 * keeps them, invalidated by a rating of that title). Their pages
 * are Reelcheck's answers, taken from a separate uncached Reelcheck on the
 * same store before the measured one starts (so it starts as cold as it
 * would), and checked byte for byte on a sample, as is a rating's answer
 * and the page after it.
 *
 * Before measuring, every server reads every title once, with the
 * workload's requests (readEveryTitle), then runs the Zipf warm-up: the
 * peers hold every page from the start, and Reelcheck's caches get the same
 * start, so the runs compare steady states.
 *
 * Every server gets the same requests: the page query's and the rating's
 * text. Reelcheck runs a client's own text on graphql-js (only registered
 * documents are compiled), so a second Reelcheck, on a copy of the store,
 * runs the same workload by documentId (TRUSTED_DOCUMENTS naming a manifest
 * that registers both operations), for comparison: what an app that
 * registers its documents gets.
 */

export interface MixedSettings extends LoadSettings {
  titles: number;
  /** Ratings of each title in the seeded store (voters bench-voter-0, -1, ...). */
  ratingsPerTitle: number;
  /** Share of all requests that are ratings (0.02). */
  ratingShare: number;
  /** Zipf exponent s (1). */
  zipfExponent: number;
}

/** What the run checked on one server, summed over its runs (warm-up included). */
export interface MixedChecks {
  id: string;
  reads: number;
  ratings: number;
  /** Reads of a title with an acknowledged rating, checked to show it. */
  readsChecked: number;
  /** Of those, the reads sent right after a rating by the same client. */
  readsAfterRating: number;
  violations: number;
}

export interface MixedResults {
  titles: number;
  ratingShare: number;
  zipfExponent: number;
  /** Size of the most popular title's page, in bytes. */
  pageBytes: number;
  cases: CaseResult[];
  checks: MixedChecks[];
}

/**
 * How long the mercurius-cache peer keeps an answer: an hour. Reelcheck, on
 * the embedded store and without live TMDB scores (as here), keeps a page
 * until a write invalidates it as long as it is read at least once in its
 * lifetime (a minute, src/cache/responses.ts); mercurius-cache has no such
 * renewal, so it gets a lifetime no page of a run outlives: every page it
 * keeps is kept until a rating invalidates it, at least as long as Reelcheck's.
 */
const PEER_CACHE_TTL_SECONDS = 3600;

/** The manifest of the documentId case: the page by slug and the rating, registered. */
export const MIXED_PAGE = manifestOperation('TitlePage', 'query', TITLE_PAGE_BY_SLUG_QUERY);
export const MIXED_RATING = manifestOperation('RateTitle', 'mutation', RATE_TITLE_MUTATION);

/** Pages fetched at once when taking Reelcheck's pages. */
const FETCH_CONCURRENCY = 8;

/**
 * The chance that a read is followed by a rating (and a read after it), so
 * that ratings are `share` of all requests: a read alone is one request, a
 * read with a rating three, so share = c / (1 + 2c).
 */
export function ratingChance(share: number): number {
  if (!(share >= 0 && share < 1 / 3)) throw new Error(`a rating share of ${share} is not possible`);
  return share / (1 - 2 * share);
}

/** The title's accuracy count in a page or rating answer: the first "count" in it; null if none. */
export function titleCountIn(body: string): number | null {
  const at = body.indexOf('"count":');
  if (at < 0) return null;
  const count = parseInt(body.slice(at + 8, at + 20), 10);
  return Number.isNaN(count) ? null : count;
}

/** The mixed workload's catalog: titles, their pages' request bodies, and Reelcheck's pages. */
interface Catalog {
  size: number;
  /** Popularity rank -> title position. */
  byRank: number[];
  /** Per position: the page request, the page's global title id, Reelcheck's page. */
  readBodies: Buffer[];
  titleIds: string[];
  pages: string[];
}

/** How a server is asked for a title's page and for a rating. */
interface MixedRequests {
  read(position: number): Buffer;
  rate(input: RateInput): string;
}

/** The operations' text, as every server gets it. */
function textRequests(catalog: Catalog): MixedRequests {
  return {
    read: (position) => catalog.readBodies[position],
    rate: (input) => graphqlBody(RATE_TITLE_MUTATION, { input }),
  };
}

/** The registered operations by documentId. */
function registeredRequests(titles: number): MixedRequests {
  const reads = Array.from({ length: titles }, (_, i) =>
    Buffer.from(documentBody(documentIdOf(MIXED_PAGE), { slug: slugAt(i) })),
  );
  return {
    read: (position) => reads[position],
    rate: (input) => documentBody(documentIdOf(MIXED_RATING), { input }),
  };
}

/** Builds the store, takes every title's page from an uncached Reelcheck, and measures. */
export async function measureMixed(
  workDir: string,
  settings: MixedSettings,
  log: (line: string) => void,
): Promise<MixedResults> {
  const dataDir = workSubdir(workDir, 'mixed');
  await buildSqliteStore(
    dataDir,
    benchCatalog(settings.titles),
    everyTitleRated(settings.titles, settings.ratingsPerTitle),
  );
  // The documentId case's store: a copy, made while no server has the store open.
  const trustedDataDir = path.join(workDir, 'mixed-trusted');
  fs.cpSync(dataDir, trustedDataDir, { recursive: true });
  const manifestFile = path.join(workDir, 'mixed-trusted-documents.json');
  writeManifest(manifestFile, [MIXED_PAGE, MIXED_RATING]);
  const catalog = await takePages(dataDir, settings.titles);
  const pagesFile = path.join(workDir, 'mixed-pages.json');
  const pagesBySlug = Object.fromEntries(
    catalog.pages.map((page, i) => [slugAt(i), (JSON.parse(page) as { data: unknown }).data]),
  );
  fs.writeFileSync(pagesFile, JSON.stringify(pagesBySlug));
  const pageBytes = Buffer.byteLength(catalog.pages[catalog.byRank[0]]);
  log(
    `mixed workload: ${settings.titles} titles (the most read page ${pageBytes} bytes), ` +
      `Zipf s = ${settings.zipfExponent}, ${settings.ratingShare * 100}% ratings`,
  );
  const servers = await startedTogether([
    startBenchServer('stock-mixed', 'stock-server', { BENCH_PAGES_FILE: pagesFile }),
    startBenchServer('mercurius-mixed', 'mercurius-server', { BENCH_PAGES_FILE: pagesFile }),
    startBenchServer('mercurius-cache-mixed', 'mercurius-server', {
      BENCH_PAGES_FILE: pagesFile,
      BENCH_MERCURIUS_CACHE: 'true',
      BENCH_CACHE_TTL_SECONDS: String(PEER_CACHE_TTL_SECONDS),
    }),
    startReelcheck('reelcheck-mixed', { ...BENCH_SERVER_ENV, DATA_DIR: dataDir }),
    startReelcheck('reelcheck-mixed-trusted', {
      ...BENCH_SERVER_ENV,
      TRUSTED_DOCUMENTS: manifestFile,
      DATA_DIR: trustedDataDir,
    }),
  ]);
  try {
    const [stock, mercurius, mercuriusCache, reelcheck, trusted] = servers;
    const text = textRequests(catalog);
    const cases: MixedCase[] = [
      { id: 'stock.mixed', label: 'stock Apollo', server: stock, requests: text },
      { id: 'mercurius.mixed', label: 'Mercurius (jit: 1)', server: mercurius, requests: text },
      {
        id: 'mercuriusCache.mixed',
        label: 'Mercurius + mercurius-cache',
        server: mercuriusCache,
        requests: text,
      },
      {
        id: 'reelcheck.mixed',
        label: 'Reelcheck (default config)',
        server: reelcheck,
        requests: text,
      },
      {
        id: 'reelcheckTrusted.mixed',
        label: 'Reelcheck by documentId (TRUSTED_DOCUMENTS, caches on)',
        server: trusted,
        requests: registeredRequests(settings.titles),
      },
    ];
    await expectAgreement(cases, catalog);
    // Steady state, for every server alike: each reads every title once (as the workload asks
    // for it) before the Zipf warm-up and the measured runs.
    for (const c of cases) await readEveryTitle(c, catalog.size, settings.connections);
    const workloads = new Map(cases.map((c) => [c.id, new MixedWorkload(c, catalog, settings)]));
    const measured = await interleaveRuns(cases, settings, log, (c, seconds, round) =>
      workloads.get(c.id)!.run(settings.connections, seconds, round),
    );
    return {
      titles: settings.titles,
      ratingShare: settings.ratingShare,
      zipfExponent: settings.zipfExponent,
      pageBytes,
      cases: measured,
      checks: cases.map((c) => workloads.get(c.id)!.checks),
    };
  } finally {
    await stopAll(servers);
  }
}

/** A server of the comparison and how it is asked. */
interface MixedCase {
  id: string;
  label: string;
  server: ServerProcess;
  requests: MixedRequests;
}

/**
 * Every title's page from a Reelcheck of its own on the store (uncached, so
 * nothing is kept; stopped before the measured one starts).
 */
async function takePages(dataDir: string, titles: number): Promise<Catalog> {
  const readBodies = Array.from({ length: titles }, (_, i) =>
    Buffer.from(graphqlBody(TITLE_PAGE_BY_SLUG_QUERY, { slug: slugAt(i) })),
  );
  const pages: string[] = new Array<string>(titles);
  const server = await startReelcheck('reelcheck-mixed-pages', {
    ...BENCH_SERVER_ENV,
    ...UNCACHED_ENV,
    DATA_DIR: dataDir,
  });
  try {
    let next = 0;
    const worker = async () => {
      while (next < titles) {
        const i = next++;
        pages[i] = await fetchOk(server, readBodies[i].toString());
      }
    };
    await Promise.all(Array.from({ length: FETCH_CONCURRENCY }, worker));
  } finally {
    await server.stop();
  }
  const titleIds = pages.map((page, i) => {
    const id = (JSON.parse(page) as { data: { title: { id: string } | null } }).data.title?.id;
    if (!id) throw new BenchError(`the mixed workload's title ${slugAt(i)} has no page: ${page}`);
    return id;
  });
  return {
    size: titles,
    byRank: shuffled(titles, seededRandom(19)),
    readBodies,
    titleIds,
    pages,
  };
}

/**
 * Every title's page asked once, with the workload's own requests (so a
 * server that keeps answers keeps these): the peers start with every page in
 * memory; this gives Reelcheck's caches the same start.
 */
async function readEveryTitle(c: MixedCase, titles: number, connections: number): Promise<void> {
  let next = 0;
  const result = await autocannon({
    url: `${c.server.url}/graphql`,
    connections: Math.min(connections, titles),
    amount: titles,
    requests: [
      {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        setupRequest: (request) => ({ ...request, body: c.requests.read(next++ % titles) }),
      },
    ],
  });
  if (result.errors + result.non2xx > 0) {
    throw new BenchError(
      `${c.id}: reading every title failed: ${result.errors} errors, ${result.non2xx} non-2xx`,
    );
  }
}

/** The titles whose pages are compared across servers: the 20 most read, and some others. */
function sampledPositions(catalog: Catalog): number[] {
  const ranks = new Set<number>();
  for (let rank = 0; rank < Math.min(20, catalog.size); rank++) ranks.add(rank);
  const step = Math.max(1, Math.floor(catalog.size / 30));
  for (let rank = 0; rank < catalog.size; rank += step) ranks.add(rank);
  ranks.add(catalog.size - 1);
  return [...ranks].map((rank) => catalog.byRank[rank]);
}

/**
 * Before measuring: every server answers a sample of pages with Reelcheck's
 * bytes; then a rating of the most read title, by the same voter with the
 * same score, gets the same answer from each, and the page after it is again
 * the same everywhere (and shows the rating).
 */
async function expectAgreement(cases: MixedCase[], catalog: Catalog): Promise<void> {
  const read = (c: MixedCase, position: number) => c.requests.read(position).toString();
  for (const position of sampledPositions(catalog)) {
    for (const c of cases)
      await expectSameBody(c.server, read(c, position), catalog.pages[position]);
  }
  const hot = catalog.byRank[0];
  const input = { titleId: catalog.titleIds[hot], voterId: 'bench-mixed-probe', score: 5 };
  const [first, ...others] = cases;
  const answer = await fetchOk(first.server, first.requests.rate(input));
  for (const c of others) await expectSameBody(c.server, c.requests.rate(input), answer);
  const page = await fetchOk(first.server, read(first, hot));
  if (titleCountIn(page) !== titleCountIn(catalog.pages[hot])! + 1) {
    throw new BenchError(`${first.server.name}'s page after a rating does not show it: ${page}`);
  }
  for (const c of others) await expectSameBody(c.server, read(c, hot), page);
}

/**
 * Read-your-writes, checked: per title, the highest count a rating's answer
 * acknowledged; a read sent after that must show at least that count.
 */
export class RatingsSeen {
  /** Per title position: the highest count acknowledged so far (0: none yet). */
  private readonly acknowledged: Int32Array;
  readonly checks: MixedChecks;
  /** The first few violations, described. */
  readonly violations: string[] = [];

  constructor(id: string, titles: number) {
    this.acknowledged = new Int32Array(titles);
    this.checks = { id, reads: 0, ratings: 0, readsChecked: 0, readsAfterRating: 0, violations: 0 };
  }

  /** The count a read of `position` sent now must show at least (0: no rating acknowledged yet). */
  floor(position: number): number {
    return this.acknowledged[position];
  }

  /** A rating's answer said the title's count is now `count`. */
  acknowledge(position: number, count: number): void {
    this.checks.ratings++;
    if (count > this.acknowledged[position]) this.acknowledged[position] = count;
  }

  /**
   * A read's answer: `count` is the count it showed (null: none), `atLeast`
   * the floor when it was sent; `afterRating` for the client's read right
   * after its own rating. False for a violation.
   */
  read(position: number, atLeast: number, count: number | null, afterRating = false): boolean {
    this.checks.reads++;
    if (atLeast === 0) return true;
    this.checks.readsChecked++;
    if (afterRating) this.checks.readsAfterRating++;
    if (count !== null && count >= atLeast) return true;
    this.checks.violations++;
    if (this.violations.length < 5) {
      this.violations.push(
        `${slugAt(position)} showed ${count} after a rating acknowledged ${atLeast}` +
          (afterRating ? ' (the read right after it)' : ''),
      );
    }
    return false;
  }
}

/** A connection's current cycle (autocannon's context): the title read, and the count it must show. */
interface Cycle {
  position: number;
  atLeast: number;
}

/** The mixed workload against one server: its traffic, and what it acknowledged and was checked. */
class MixedWorkload {
  private readonly prefixes: string[];
  private readonly chance: number;
  private voters = 0;
  private readonly seen: RatingsSeen;
  private readonly server: ServerProcess;
  private readonly requests: MixedRequests;

  constructor(
    { id, server, requests }: MixedCase,
    private readonly catalog: Catalog,
    private readonly settings: MixedSettings,
  ) {
    this.server = server;
    this.requests = requests;
    this.prefixes = catalog.titleIds.map(
      (titleId) => `{"data":{"title":{"id":${JSON.stringify(titleId)}`,
    );
    this.chance = ratingChance(settings.ratingShare);
    this.seen = new RatingsSeen(id, catalog.size);
  }

  get checks(): MixedChecks {
    return this.seen.checks;
  }

  /**
   * One timed autocannon run. Each connection repeats: read a page (a title
   * drawn by popularity); with probability `chance`, rate that title as a new
   * voter, then read its page again. autocannon runs the three requests in
   * order per connection and starts over when a setupRequest returns null
   * (no rating this time); `context` is the connection's own, for one cycle.
   * The traffic is drawn from a seed per round: every server gets the same.
   */
  async run(connections: number, seconds: number, round: number): Promise<RunSample> {
    const random = seededRandom(1000 + round);
    const nextRank = zipfSampler(this.catalog.size, this.settings.zipfExponent, random);
    const { catalog, prefixes, requests, seen } = this;
    const failures: string[] = [];
    const fail = (what: string, status: number, body: string) => {
      if (failures.length < 5) failures.push(`${what}: ${status} ${body.slice(0, 300)}`);
    };
    const onRead = (cycle: Cycle, status: number, body: string, afterRating: boolean) => {
      if (status !== 200 || !body.startsWith(prefixes[cycle.position])) {
        return fail(`read of ${slugAt(cycle.position)}`, status, body);
      }
      const count = cycle.atLeast === 0 ? null : titleCountIn(body);
      seen.read(cycle.position, cycle.atLeast, count, afterRating);
    };
    const json = { 'content-type': 'application/json' };
    const cpuBefore = cpuMicros(this.server.pid);
    const result = await autocannon({
      url: `${this.server.url}/graphql`,
      connections,
      duration: seconds,
      // autocannon stops at its next sample tick: 100 ms ticks keep short runs short.
      sampleInt: 100,
      requests: [
        {
          method: 'POST',
          headers: json,
          setupRequest: (request, context) => {
            const cycle = context as Cycle;
            cycle.position = catalog.byRank[nextRank()];
            cycle.atLeast = seen.floor(cycle.position);
            return { ...request, body: requests.read(cycle.position) };
          },
          onResponse: (status, body, context) => onRead(context as Cycle, status, body, false),
        },
        {
          method: 'POST',
          headers: json,
          // null (no rating this time): autocannon starts over at the first request.
          setupRequest: (request, context) => {
            if (random() >= this.chance) return null as unknown as typeof request;
            const input = {
              titleId: catalog.titleIds[(context as Cycle).position],
              voterId: `bench-mixed-${this.voters++}`,
              score: 1 + Math.floor(random() * 5),
            };
            return { ...request, body: requests.rate(input) };
          },
          onResponse: (status, body, context) => {
            const cycle = context as Cycle;
            const count = status === 200 ? titleCountIn(body) : null;
            if (count === null || !body.startsWith('{"data":{"rateAccuracy":')) {
              return fail(`rating of ${slugAt(cycle.position)}`, status, body);
            }
            seen.acknowledge(cycle.position, count);
            cycle.atLeast = count;
          },
        },
        {
          method: 'POST',
          headers: json,
          setupRequest: (request, context) => ({
            ...request,
            body: requests.read((context as Cycle).position),
          }),
          onResponse: (status, body, context) => onRead(context as Cycle, status, body, true),
        },
      ],
    });
    const cpuAfter = cpuMicros(this.server.pid);
    // As in load.ts: one more request waits behind those autocannon gave up on.
    await fetchOk(this.server, requests.read(catalog.byRank[0]).toString());
    if (result.errors + result.non2xx > 0 || failures.length > 0) {
      throw new BenchError(
        `${seen.checks.id}: ${result.errors} errors (${result.timeouts} timeouts), ` +
          `${result.non2xx} non-2xx; failed requests: ${failures.join('; ')}`,
      );
    }
    if (seen.violations.length > 0) {
      throw new BenchError(
        `${seen.checks.id}: ${seen.checks.violations} reads did not show a rating acknowledged ` +
          `before they were sent: ${seen.violations.join('; ')}`,
      );
    }
    return runSample(result, this.server.pid, cpuBefore, cpuAfter);
  }
}
