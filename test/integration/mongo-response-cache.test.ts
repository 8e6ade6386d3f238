import { print } from 'graphql';
import { AccuracyDocument, RateAccuracyDocument } from '../generated/graphql';
import { execute } from '../helpers/graphql-client';
import { builtServersOnFreshDatabase, describeMongo, gloryIds } from '../helpers/mongo';

/**
 * The response cache with two API processes on one database: a process sees
 * its own writes at once (its store invalidates its cache), and another
 * process's writes within RESPONSE_CACHE_MAX_AGE_SECONDS (its default, 2 s),
 * since no process can see the others' invalidations.
 */
const MAX_AGE_MS = 2000;
/** Time a loaded machine may add to the bound (requests, polling), generous on purpose. */
const SLACK_MS = 3000;

describeMongo('response cache across processes', (uri) => {
  const fixture = builtServersOnFreshDatabase(uri, { RATINGS_RATE_LIMIT_PER_MINUTE: '100000' });

  /** The page's rating count as `url` answers it, and whether it came from the cache (Age). */
  async function pageCount(url: string): Promise<{ count: number; cached: boolean }> {
    const response = await fetch(`${url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: print(AccuracyDocument), variables: { slug: 'the-glory' } }),
    });
    const body = (await response.json()) as { data: { title: { accuracy: { count: number } } } };
    return { count: body.data.title.accuracy.count, cached: response.headers.has('age') };
  }

  it('shows a rating at once on its own server and within the max age on the other', async () => {
    const { servers } = fixture;
    const [a, b] = [await servers.start(), await servers.start()];
    const { titleId } = await gloryIds(a.url);
    const before = await pageCount(b.url);
    expect((await pageCount(b.url)).cached).toBe(true);
    expect((await pageCount(a.url)).cached).toBe(true);

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
  }, 60_000);
});
