import './apollo-dev-mode';
import { ApolloClient, gql, HttpLink, InMemoryCache } from '@apollo/client';
import { loadDevMessages, loadErrorMessages } from '@apollo/client/dev';
import { startTestApp, type TestApp } from '../helpers/test-app';
import { collectWarnings, countingFetch, RATE, TITLE_PAGE } from './documents';

loadDevMessages();
loadErrorMessages();

/**
 * Apollo Client 4's normalized cache, in Node against the real server: after
 * rateAccuracy, a cache-first read of the page shows the new summary with no
 * network request and no cache warning.
 */
interface Page {
  title: {
    id: string;
    accuracy: { count: number; verdict: string };
    behindTheScenes: Array<{ id: string; accuracy: { count: number } }>;
  };
}

describe('Apollo Client InMemoryCache', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t?.stop());

  function client() {
    const counting = countingFetch();
    const apollo = new ApolloClient({
      link: new HttpLink({ uri: `${t.url}/graphql`, fetch: counting.fetch }),
      cache: new InMemoryCache(),
    });
    return { apollo, requests: counting.requests };
  }

  it('shows a rating on the cached page without refetching, and warns about nothing', async () => {
    const { apollo, requests } = client();
    let after: Page | undefined;
    const warnings = await collectWarnings(async () => {
      const page = await apollo.query<Page>({ query: gql(TITLE_PAGE) });
      const title = page.data!.title;
      expect(title.accuracy.count).toBe(0);
      const fact = title.behindTheScenes[3];
      await apollo.mutate({
        mutation: gql(RATE),
        variables: { input: { titleId: title.id, score: 2, voterId: 'apollo-client-1' } },
      });
      await apollo.mutate({
        mutation: gql(RATE),
        variables: {
          input: { titleId: title.id, factId: fact.id, score: 1, voterId: 'apollo-client-1' },
        },
      });
      after = (await apollo.query<Page>({ query: gql(TITLE_PAGE), fetchPolicy: 'cache-first' }))
        .data;
    });
    expect(requests).toEqual(['POST', 'POST', 'POST']); // the page once, two ratings, no refetch
    expect(after!.title.accuracy).toMatchObject({ count: 1, verdict: 'MIXED' });
    expect(after!.title.behindTheScenes[3].accuracy.count).toBe(1);
    expect(after!.title.behindTheScenes[2].accuracy.count).toBe(0);
    expect(warnings).toEqual([]);
  });

  it('merges partial summaries by id; without ids the same two requests lose cache data', async () => {
    // The page selects more of the summary than the mutation answer does.
    const run = async (summaryId: string, voterId: string) => {
      const { apollo } = client();
      return collectWarnings(async () => {
        const page = await apollo.query<Page>({
          query: gql(`{ title(slug: "the-glory") { id accuracy { ${summaryId} count verdict } } }`),
        });
        await apollo.mutate({
          mutation: gql(`mutation Rate($input: RateAccuracyInput!) {
            rateAccuracy(input: $input) { title { id accuracy { ${summaryId} count } } }
          }`),
          variables: { input: { titleId: page.data!.title.id, score: 4, voterId } },
        });
      });
    };
    expect(await run('id', 'apollo-client-2')).toEqual([]);
    const lost = (await run('', 'apollo-client-3')).join('\n');
    expect(lost).toMatch(/Cache data may be lost when replacing the %s field of a %s object/);
    expect(lost).toMatch(/accuracy Title/);
  });
});
