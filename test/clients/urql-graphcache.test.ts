import { Client, fetchExchange, gql } from '@urql/core';
import { cacheExchange } from '@urql/exchange-graphcache';
import { startTestApp, type TestApp } from '../helpers/test-app';
import { collectWarnings, countingFetch, RATE, TITLE_PAGE } from './documents';

/**
 * urql with its normalized cache (graphcache), with urql's defaults: queries
 * go as GET requests. After rateAccuracy, a cache-only read shows the new
 * summary, and graphcache warns about no key.
 *
 * TmdbScore and RatingLevel are values without an identity of their own: the
 * README's recommended graphcache config marks them as embedded (key null).
 */
const KEYS = { TmdbScore: () => null, RatingLevel: () => null };

interface Page {
  title: {
    id: string;
    accuracy: { count: number };
    didYouKnow: Array<{ id: string; accuracy: { count: number } }>;
  };
}

describe('urql graphcache', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t?.stop());

  function client(keys: Record<string, () => null>) {
    const counting = countingFetch();
    const urql = new Client({
      url: `${t.url}/graphql`,
      fetch: counting.fetch,
      exchanges: [cacheExchange({ keys }), fetchExchange],
    });
    return { urql, requests: counting.requests };
  }

  it('sends queries as GET, shows a rating from the cache, and warns about no key', async () => {
    const { urql, requests } = client(KEYS);
    let after: Page | undefined;
    const warnings = await collectWarnings(async () => {
      const page = await urql.query<Page>(gql(TITLE_PAGE), {}).toPromise();
      expect(page.error).toBeUndefined();
      const title = page.data!.title;
      const fact = title.didYouKnow[6];
      const rate = async (factId: string | null, score: number) => {
        const res = await urql
          .mutation(gql(RATE), {
            input: { titleId: title.id, factId, score, voterId: 'urql-1234' },
          })
          .toPromise();
        expect(res.error).toBeUndefined();
      };
      await rate(null, 5);
      await rate(fact.id, 1);
      after = (
        await urql.query<Page>(gql(TITLE_PAGE), {}, { requestPolicy: 'cache-only' }).toPromise()
      ).data;
    });
    expect(requests).toEqual(['GET', 'POST', 'POST']);
    expect(after!.title.accuracy.count).toBe(1);
    expect(after!.title.didYouKnow[6].accuracy.count).toBe(1);
    expect(after!.title.didYouKnow[5].accuracy.count).toBe(0);
    expect(warnings.filter((w) => /Invalid key/.test(w))).toEqual([]);
    expect(warnings).toEqual([]);
  });

  it('(control) warns "Invalid key" for the value types without that config', async () => {
    const { urql } = client({});
    const warnings = await collectWarnings(async () => {
      await urql.query(gql(TITLE_PAGE), {}).toPromise();
    });
    const invalid = warnings.filter((w) => /Invalid key/.test(w)).join('\n');
    expect(invalid).toContain('TmdbScore');
    expect(invalid).toContain('RatingLevel');
    expect(invalid).not.toMatch(/AccuracySummary|Recommendation|Title`|Fact`/);
  });
});
