import autocannon from 'autocannon';
import { toGlobalId } from '../../src/graphql/schema/node/ids';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store';
import { slugAt, titleIdAt } from './fixtures';
import { BenchError, fetchOk } from './load';
import { rssBytes } from './metrics';
import { graphqlBody, RATE_MUTATION } from './queries';
import { BENCH_SERVER_ENV } from './serving';
import { startReelcheck } from './servers';

/**
 * P5: start-up and exactness on a large embedded store. The built server is
 * started on it and timed from spawn to the first /readyz 200 (RSS read
 * then); a write load of concurrent ratings follows (many of them re-ratings
 * of a hot title by the same voters); then every summary must still equal a
 * recount of the ratings: the served count of the hot title, and, with the
 * server stopped, the store's own recount of every aggregate (a dry-run
 * rebuild, which compares each stored aggregate with a GROUP BY over the ratings).
 */

export interface StartupSettings {
  /** Ratings of each title's page in the store before the start (from voters other than the load's). */
  ratingsPerTitle: number;
  /**
   * Ratings the write load sends, over `connections` at once. A count, not a
   * duration: autocannon then waits for every answer, so the bench knows
   * exactly what was written (a timed run drops requests in flight that the
   * server may still complete).
   */
  writes: number;
  connections: number;
}

/** The store the start-up is measured on, as the caller built it. */
export interface StartupStore {
  dataDir: string;
  /** benchCatalog(titles), each title rated `ratingsPerTitle` times (settings). */
  titles: number;
  /** How long building it in bulk took (not part of start-up). */
  buildMs: number;
}

export interface StartupResults {
  titles: number;
  ratings: number;
  /** Building the store file in bulk (not part of start-up). */
  buildMs: number;
  readyMs: number;
  rssAtReadyBytes: number | null;
  rssAfterWritesBytes: number | null;
  writes: { sent: number; distinctRatings: number; perSecond: number };
  exact: {
    /** Aggregates whose stored counts differ from a recount of their ratings. */
    drift: number;
    ratingsCounted: number;
    ratingsExpected: number;
    hotTitleServed: number;
    hotTitleExpected: number;
    ok: boolean;
  };
}

/** The load's voters: few enough that most of the hot title's writes are re-ratings. */
const VOTERS = 200;

/** The n-th write of the load: one in three to the hot title (position 0), the rest spread over the catalog. */
function nthWrite(n: number, titles: number): { titleId: string; voterId: string; score: number } {
  const position = n % 3 === 0 ? 0 : (n * 7919) % titles;
  return {
    titleId: titleIdAt(position),
    voterId: `bench-load-voter-${n % VOTERS}`,
    score: 1 + (n % 5),
  };
}

/** Measures start-up on the caller's store, then the write load and the exactness checks. */
export async function measureStartup(
  { dataDir, titles, buildMs }: StartupStore,
  settings: StartupSettings,
): Promise<StartupResults> {
  const server = await startReelcheck('reelcheck-startup', {
    ...BENCH_SERVER_ENV,
    DATA_DIR: dataDir,
  });
  const rssAtReadyBytes = rssBytes(server.pid);
  const written = new Set<string>();
  let hotTitleServed: number;
  let rssAfterWritesBytes: number | null;
  let writes: StartupResults['writes'];
  try {
    let next = 0;
    const failures: string[] = [];
    const result = await autocannon({
      url: `${server.url}/graphql`,
      connections: settings.connections,
      amount: settings.writes,
      sampleInt: 100, // the run's duration is measured to the next sample tick
      requests: [
        {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          setupRequest: (request) => {
            const { titleId, voterId, score } = nthWrite(next++, titles);
            const input = {
              titleId: toGlobalId('Title', titleId),
              voterId,
              score,
              comment: voterId,
            };
            return { ...request, body: graphqlBody(RATE_MUTATION, { input }) };
          },
          onResponse: (status, body) => {
            const rating = status === 200 ? ratingIn(body) : null;
            if (rating) written.add(`${rating.title.id} ${rating.rating.comment}`);
            else failures.push(`${status} ${body.slice(0, 300)}`);
          },
        },
      ],
    });
    if (failures.length > 0 || result.errors > 0) {
      throw new BenchError(
        `start-up write load: ${failures.length} ratings failed, ${result.errors} connection errors: ${failures[0] ?? ''}`,
      );
    }
    rssAfterWritesBytes = rssBytes(server.pid);
    writes = {
      sent: result['2xx'],
      distinctRatings: written.size,
      perSecond: result['2xx'] / result.duration,
    };
    const hot = JSON.parse(await fetchOk(server, hotTitleQuery())) as {
      data: { title: { accuracy: { count: number } } };
    };
    hotTitleServed = hot.data.title.accuracy.count;
  } finally {
    await server.stop();
  }

  const ratings = titles * settings.ratingsPerTitle;
  const hotId = toGlobalId('Title', titleIdAt(0));
  const hotTitleExpected =
    settings.ratingsPerTitle + [...written].filter((key) => key.startsWith(`${hotId} `)).length;
  const store = await SqliteStore.open({ dataDir });
  try {
    const recount = await store.rebuildAggregates({ dryRun: true });
    const ratingsExpected = ratings + written.size;
    return {
      titles,
      ratings,
      buildMs,
      readyMs: server.readyMs,
      rssAtReadyBytes,
      rssAfterWritesBytes,
      writes,
      exact: {
        drift: recount.drift.length,
        ratingsCounted: recount.ratings,
        ratingsExpected,
        hotTitleServed,
        hotTitleExpected,
        ok:
          recount.drift.length === 0 &&
          recount.ratings === ratingsExpected &&
          hotTitleServed === hotTitleExpected,
      },
    };
  } finally {
    await store.close();
  }
}

/** What a rating response says was written; null for an error or anything unreadable. */
function ratingIn(body: string): { rating: { comment: string }; title: { id: string } } | null {
  try {
    return (JSON.parse(body) as RateResponse).data?.rateAccuracy ?? null;
  } catch {
    return null;
  }
}

interface RateResponse {
  data?: { rateAccuracy: { rating: { comment: string }; title: { id: string } } } | null;
}

function hotTitleQuery(): string {
  return graphqlBody(`{ title(slug: "${slugAt(0)}") { accuracy { count } } }`);
}
