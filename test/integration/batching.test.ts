import { TitleListDeepDocument } from '../generated/graphql';
import { seedStore, syntheticCatalog } from '../fixtures/catalog';
import { execute } from '../helpers/graphql-client';
import { startCountingTestApp, type TestApp } from '../helpers/test-app';

/**
 * Per-request DataLoaders: store calls depend on the query's shape, not on how
 * many titles it returns (no N+1).
 */
describe('store calls per query', () => {
  let t: TestApp;
  let calls: Map<string, number>;
  beforeAll(async () => {
    ({ calls, ...t } = await startCountingTestApp());
    await seedStore(t.store, syntheticCatalog(60));
  });
  afterAll(() => t?.stop());

  async function callsFor(first: number): Promise<Record<string, number>> {
    calls.clear();
    const res = await execute(t.url, TitleListDeepDocument, { first });
    expect(res.errors).toBeUndefined();
    const edges = res.data!.titles.edges;
    expect(edges).toHaveLength(first);
    // The joins really happened (the 3 seeded titles sort among the synthetic ones;
    // only The Glory of those has facts and recommendations).
    const withJoins = edges.filter(
      ({ node }) => node.facts.length > 0 && node.recommendations[0]?.title.name,
    );
    expect(withJoins.length).toBeGreaterThanOrEqual(first - 2);
    return Object.fromEntries(calls);
  }

  it('is the same for 5 and for 50 titles', async () => {
    const five = await callsFor(5);
    const fifty = await callsFor(50);
    console.log('store calls for 5 titles:', five, 'for 50 titles:', fifty);
    expect(fifty).toEqual(five);
    const total = Object.values(fifty).reduce((a, b) => a + b, 0);
    expect(total).toBeLessThanOrEqual(8);
  });
});
