import {
  NodeByIdDocument,
  NodesByIdsDocument,
  PageIdsDocument,
  RateAndRefreshDocument,
  TitlesPageInfoDocument,
  ViewerRatingsDocument,
} from '../generated/graphql';
import { toGlobalId } from '../../src/graphql/schema/node/ids';
import { errorCode, execute } from '../helpers/graphql-client';
import { startCountingTestApp, startTestApp, type TestApp } from '../helpers/test-app';

/**
 * Relay's object identification (Node, node, nodes, PageInfo) and what client
 * caches need from a rating: keyed summaries and the rated target in the payload.
 */
describe('object identification', () => {
  let t: TestApp;
  let calls: Map<string, number>;
  beforeAll(async () => {
    ({ calls, ...t } = await startCountingTestApp({
      env: { RATINGS_RATE_LIMIT_PER_MINUTE: '100000' },
    }));
  });
  afterAll(() => t?.stop());

  async function page() {
    const res = await execute(t.url, PageIdsDocument, { slug: 'the-glory' });
    return res.data!.title!;
  }

  it('refetches every kind of object by its id with node()', async () => {
    const glory = await page();
    const rated = await execute(t.url, RateAndRefreshDocument, {
      input: { titleId: glory.id, score: 4, voterId: 'node-voter-1', comment: 'ok' },
    });
    const ratingId = rated.data!.rateAccuracy.rating.id;

    const node = async (id: string) => (await execute(t.url, NodeByIdDocument, { id })).data!.node;
    expect(await node(glory.id)).toMatchObject({
      __typename: 'Title',
      id: glory.id,
      slug: 'the-glory',
    });
    expect(await node(glory.facts[0].id)).toMatchObject({
      __typename: 'Fact',
      id: glory.facts[0].id,
      category: 'BEHIND_THE_SCENES',
    });
    expect(await node(ratingId)).toMatchObject({ __typename: 'Rating', score: 4, comment: 'ok' });
    expect(await node(glory.accuracy.id)).toMatchObject({
      __typename: 'AccuracySummary',
      id: glory.accuracy.id,
      count: 1,
    });
    expect(await node(glory.recommendations[0].id)).toMatchObject({
      __typename: 'Recommendation',
      id: glory.recommendations[0].id,
      title: { slug: 'vincenzo' },
    });
  });

  it('gives null for a well-formed id of nothing, BAD_USER_INPUT for a malformed one', async () => {
    for (const id of [
      toGlobalId('Title', 'no-such-title'),
      toGlobalId('Rating', 'no-such-rating'),
      toGlobalId('AccuracySummary', 'fact:no-such-fact'),
      toGlobalId('Recommendation', 'the-glory.no-such-title'),
    ]) {
      const res = await execute(t.url, NodeByIdDocument, { id });
      expect({ id, errors: res.errors, node: res.data!.node }).toEqual({
        id,
        errors: undefined,
        node: null,
      });
    }
    const glory = await page();
    for (const id of ['nope', `${glory.id}A`, toGlobalId('Title', 'x').slice(0, -1)]) {
      const res = await execute(t.url, NodeByIdDocument, { id });
      expect({ id, code: errorCode(res) }).toEqual({ id, code: 'BAD_USER_INPUT' });
    }
  });

  it('resolves nodes() in order, batched: one store call per kind whatever the count', async () => {
    const glory = await page();
    const factIds = glory.facts.map((f) => f.id);
    calls.clear();
    const res = await execute(t.url, NodesByIdsDocument, {
      ids: [glory.id, ...factIds, toGlobalId('Fact', 'missing')],
    });
    expect(res.errors).toBeUndefined();
    expect(res.data!.nodes.map((n) => n?.id ?? null)).toEqual([glory.id, ...factIds, null]);
    expect(Object.fromEntries(calls)).toEqual({ titlesByIds: 1, factsByIds: 1 });
  });

  it('refuses more than 100 ids in nodes(), naming the argument', async () => {
    const glory = await page();
    const res = await execute(t.url, NodesByIdsDocument, { ids: Array(101).fill(glory.id) });
    expect(errorCode(res)).toBe('BAD_USER_INPUT');
    expect(JSON.stringify(res.errors)).toContain('ids');
  });

  it('gives summaries ids that name their target, stable across requests', async () => {
    const [a, b] = [await page(), await page()];
    expect(a.accuracy.id).toBe(b.accuracy.id);
    const ids = new Set([a.accuracy.id, ...a.facts.map((f) => f.accuracy.id)]);
    expect(ids.size).toBe(1 + a.facts.length);
    expect(a.recommendations.map((r) => r.id)).toEqual(b.recommendations.map((r) => r.id));
  });

  it('returns the rated title and fact with their fresh accuracy under the same ids', async () => {
    const glory = await page();
    const fact = glory.facts[2];
    const res = await execute(t.url, RateAndRefreshDocument, {
      input: { titleId: glory.id, factId: fact.id, score: 2, voterId: 'node-voter-2' },
    });
    const payload = res.data!.rateAccuracy;
    expect(payload.title.id).toBe(glory.id);
    expect(payload.fact).toMatchObject({
      id: fact.id,
      accuracy: { id: fact.accuracy.id, count: 1 },
    });
    expect(payload.accuracy).toEqual(payload.fact!.accuracy);
    const pageRating = await execute(t.url, RateAndRefreshDocument, {
      input: { titleId: glory.id, score: 5, voterId: 'node-voter-2' },
    });
    expect(pageRating.data!.rateAccuracy.fact).toBeNull();
    expect(pageRating.data!.rateAccuracy.title.accuracy).toEqual(
      pageRating.data!.rateAccuracy.accuracy,
    );
  });
});

describe('viewerRating', () => {
  let t: TestApp;
  let calls: Map<string, number>;
  beforeAll(async () => {
    ({ calls, ...t } = await startCountingTestApp());
  });
  afterAll(() => t?.stop());

  it("shows the voter's own ratings of the page and each fact, all facts in one store call", async () => {
    const before = await execute(t.url, ViewerRatingsDocument, {
      slug: 'the-glory',
      voterId: 'viewer-abc-123',
    });
    const title = before.data!.title!;
    expect(title.viewerRating).toBeNull();
    expect(title.facts.every((f) => f.viewerRating === null)).toBe(true);

    const rate = (factId: string | null, score: number) =>
      execute(t.url, RateAndRefreshDocument, {
        input: { titleId: title.id, factId, score, voterId: 'viewer-abc-123' },
      });
    await rate(null, 4);
    await rate(title.facts[1].id, 2);
    await execute(t.url, RateAndRefreshDocument, {
      input: { titleId: title.id, score: 1, voterId: 'someone-else-1' },
    });

    calls.clear();
    const after = await execute(t.url, ViewerRatingsDocument, {
      slug: 'the-glory',
      voterId: 'viewer-abc-123',
    });
    const seen = after.data!.title!;
    expect(seen.viewerRating).toMatchObject({ score: 4 });
    expect(seen.facts.map((f) => f.viewerRating?.score ?? null)).toEqual(
      title.facts.map((_, i) => (i === 1 ? 2 : null)),
    );
    // One call for the page's rating, one for all 16 facts' (they resolve a level deeper).
    expect(calls.get('ratingsOfVoter')).toBe(2);
  });

  it('refuses a malformed voterId with BAD_USER_INPUT naming it', async () => {
    const res = await execute(t.url, ViewerRatingsDocument, { slug: 'the-glory', voterId: 'no' });
    expect(errorCode(res)).toBe('BAD_USER_INPUT');
    expect(res.errors![0].message).toContain('voterId');
  });
});

describe('PageInfo', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t?.stop());

  it('has start and end cursors, and says whether titles come before and after', async () => {
    const first = (await execute(t.url, TitlesPageInfoDocument, { first: 2 })).data!.titles;
    expect(first.pageInfo).toEqual({
      hasNextPage: true,
      hasPreviousPage: false,
      startCursor: first.edges[0].cursor,
      endCursor: first.edges[1].cursor,
    });
    const next = (
      await execute(t.url, TitlesPageInfoDocument, { first: 2, after: first.pageInfo.endCursor })
    ).data!.titles;
    expect(next.pageInfo).toEqual({
      hasNextPage: false,
      hasPreviousPage: true,
      startCursor: next.edges[0].cursor,
      endCursor: next.edges[0].cursor,
    });
  });
});
