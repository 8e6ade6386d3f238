import { print } from 'graphql';
import { AccuracyDocument, RateAccuracyDocument } from '../generated/graphql';
import { execute } from '../helpers/graphql-client';
import {
  builtServersOnFreshDatabase,
  describeMongo,
  gloryIds,
  type ServersOn,
  serversOn,
} from '../helpers/mongo';

/**
 * The caches with two API processes on one database: a process sees its own
 * writes at once (its store invalidates its caches), and another process's
 * writes within RESPONSE_CACHE_MAX_AGE_SECONDS and RECORD_CACHE_MAX_AGE_SECONDS
 * (2 s by default; 6 s here: a response expires by its oldest record), since
 * no process can see the others' invalidations. Each server must still hold
 * the page when it is rated, a few requests after it was first kept: on a
 * machine loaded to a load average of 10, those took longer than 2 s.
 */
const MAX_AGE_SECONDS = 6;
const MAX_AGE_MS = MAX_AGE_SECONDS * 1000;
/** Time a loaded machine may add to the bound (requests, polling), generous on purpose. */
const SLACK_MS = 3000;

describeMongo('response and record caches across processes', (uri) => {
  const fixture = builtServersOnFreshDatabase(uri);

  /** A sample of `url`'s /metrics (0 when absent). */
  async function metric(url: string, series: string): Promise<number> {
    const text = await (await fetch(`${url}/metrics`)).text();
    const line = text.split('\n').find((candidate) => candidate.startsWith(`${series} `));
    return line ? Number(line.slice(series.length + 1)) : 0;
  }
  const responseHits = (url: string) =>
    metric(url, 'reelcheck_response_cache_lookups_total{result="hit"}');
  const recordHits = (url: string) =>
    metric(url, 'reelcheck_record_cache_lookups_total{result="hit"}');

  /**
   * The page's rating count as `url` answers it, and whether the response cache answered it
   * (its hit count moved; an answer built from kept records may carry Age too).
   */
  async function pageCount(url: string): Promise<{ count: number; cached: boolean }> {
    const hitsBefore = await responseHits(url);
    const response = await fetch(`${url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: print(AccuracyDocument), variables: { slug: 'the-glory' } }),
    });
    const body = (await response.json()) as { data: { title: { accuracy: { count: number } } } };
    const cached = (await responseHits(url)) > hitsBefore;
    return { count: body.data.title.accuracy.count, cached };
  }

  it.each<[string, Record<string, string>]>([
    ['both caches', {}],
    ['the record cache alone', { RESPONSE_CACHE: 'false' }],
  ])(
    'shows a rating at once on its own server and within the max age on the other (%s)',
    async (_name, env) => {
      const servers = serversOn(fixture.database, {
        RATINGS_RATE_LIMIT_PER_MINUTE: '100000',
        RESPONSE_CACHE_MAX_AGE_SECONDS: String(MAX_AGE_SECONDS),
        RECORD_CACHE_MAX_AGE_SECONDS: String(MAX_AGE_SECONDS),
        ...env,
      });
      try {
        await ratedAcross(servers, env.RESPONSE_CACHE !== 'false');
      } finally {
        await servers.stopAll();
      }
    },
  );

  async function ratedAcross(servers: ServersOn, responseCache: boolean): Promise<void> {
    const [a, b] = [await servers.start(), await servers.start()];
    const { titleId } = await gloryIds(a.url);
    const before = await pageCount(b.url);
    expect((await pageCount(b.url)).cached).toBe(responseCache);
    expect((await pageCount(a.url)).cached).toBe(responseCache);
    if (!responseCache) expect(await recordHits(b.url)).toBeGreaterThan(0);

    const rated = await execute(a.url, RateAccuracyDocument, {
      input: { titleId, score: 4, voterId: 'cache-across-processes-1' },
    });
    expect(rated.errors).toBeUndefined();
    const ratedAt = Date.now();

    expect(await pageCount(a.url)).toEqual({ count: before.count + 1, cached: false });
    let seen = await pageCount(b.url);
    while (seen.count === before.count && Date.now() - ratedAt < MAX_AGE_MS + SLACK_MS) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      seen = await pageCount(b.url);
    }
    expect(seen.count).toBe(before.count + 1);
    expect(Date.now() - ratedAt).toBeLessThan(MAX_AGE_MS + SLACK_MS);
  }
});
