import {
  TitleByIdDocument,
  TitleListDocument,
  type TitleListQuery,
  TitlePageDocument,
} from '../generated/graphql';
import { readReferencePage } from '../fixtures/reference-page';
import { seedStore, syntheticCatalog } from '../fixtures/catalog';
import { errorCode, execute, type GraphQLResponse, postRaw } from '../helpers/graphql-client';
import { startTestApp, type TestApp } from '../helpers/test-app';

const page = readReferencePage();

describe('title page over HTTP (embedded store, seeded at start)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t?.stop());

  it('serves The Glory as on the reference page', async () => {
    const res = await execute(t.url, TitlePageDocument, { slug: 'the-glory' });
    expect(res.errors).toBeUndefined();
    const title = res.data!.title!;
    expect(title).toMatchObject({
      slug: 'the-glory',
      name: page.name,
      tagline: page.tagline,
      mediaType: 'TV',
      year: page.year,
      overview: page.overview,
      verdictBlurb: page.verdictBlurb,
    });
    expect(title.behindTheScenes.map((f) => f.text)).toEqual(page.behindTheScenes);
    expect(title.didYouKnow.map((f) => f.text)).toEqual(page.didYouKnow);
    expect(title.behindTheScenes.map((f) => f.position)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    // Unfiltered facts: the page's order, Behind the Scenes first.
    expect(title.facts.map((f) => f.id)).toEqual(
      [...title.behindTheScenes, ...title.didYouKnow].map((f) => f.id),
    );
    expect(
      title.recommendations.map((r) => ({ name: r.title.name, label: r.label, reason: r.reason })),
    ).toEqual(page.watchNext);
    expect(title.accuracy).toEqual({
      count: 0,
      average: null,
      distribution: [0, 0, 0, 0, 0],
      score: null,
      verdict: 'UNRATED',
    });
    // No TMDB credentials in tests: the seeded snapshot, marked stale.
    expect(title.tmdbScore).toMatchObject({ voteAverage: page.tmdbScore, stale: true });
    expect(res.data!.ratingScale.map((l) => l.score)).toEqual([1, 2, 3, 4, 5]);
  });

  it('finds a title by its id, and the id is opaque', async () => {
    const bySlug = await execute(t.url, TitleByIdDocument, { slug: 'vincenzo' });
    const id = bySlug.data!.title!.id;
    expect(id).not.toContain('vincenzo');
    const byId = await execute(t.url, TitleByIdDocument, { id });
    expect(byId.data!.title).toEqual(bySlug.data!.title);
  });

  it('returns null for an unknown slug or an unknown well-formed id', async () => {
    const slug = await execute(t.url, TitleByIdDocument, { slug: 'no-such-title' });
    expect(slug.errors).toBeUndefined();
    expect(slug.data!.title).toBeNull();
    const id = Buffer.from('Title:nosuchid').toString('base64url');
    const byId = await execute(t.url, TitleByIdDocument, { id });
    expect(byId.errors).toBeUndefined();
    expect(byId.data!.title).toBeNull();
  });

  it.each([
    ['an empty slug', { slug: '' }, 'slug'],
    ['a slug with capitals', { slug: 'The-Glory' }, 'slug'],
    ['both id and slug', { id: 'x', slug: 'the-glory' }, 'slug'],
    ['neither id nor slug', {}, 'id'],
    ['a malformed id', { id: '{"$gt":""}' }, 'id'],
    ["The Glory's id with one character more", { id: 'VGl0bGU6dGhlLWdsb3J5A' }, 'id'],
  ])('rejects %s with BAD_USER_INPUT naming the argument', async (_case, variables, field) => {
    const res = await execute(t.url, TitleByIdDocument, variables);
    expect(errorCode(res)).toBe('BAD_USER_INPUT');
    expect(res.errors![0].message).toContain(field);
    expect(res.errors![0].extensions!.fields).toEqual([expect.objectContaining({ field })]);
    expect(res.data?.title ?? null).toBeNull();
  });

  it('rejects a Fact id where a Title id is expected', async () => {
    const res = await execute(t.url, TitlePageDocument, { slug: 'the-glory' });
    const factId = res.data!.title!.facts[0].id;
    const wrong = await execute(t.url, TitleByIdDocument, { id: factId });
    expect(errorCode(wrong)).toBe('BAD_USER_INPUT');
  });

  it('serves GET /graphql for queries and refuses mutations over GET', async () => {
    const query = encodeURIComponent('{ title(slug: "the-glory") { name } }');
    const get = await fetch(`${t.url}/graphql?query=${query}`, {
      headers: { 'apollo-require-preflight': 'true' },
    });
    expect(get.status).toBe(200);
    expect(await get.json()).toEqual({ data: { title: { name: page.name } } });
    const mutation = encodeURIComponent(
      'mutation { rateAccuracy(input: {titleId: "x", score: 3, voterId: "abcdefgh"}) { rating { id } } }',
    );
    const refused = await fetch(`${t.url}/graphql?query=${mutation}`, {
      headers: { 'apollo-require-preflight': 'true' },
    });
    expect(refused.status).toBe(405);
  });

  it('answers /healthz and /readyz', async () => {
    expect((await fetch(`${t.url}/healthz`)).status).toBe(200);
    const ready = await fetch(`${t.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ status: 'ready', store: 'sqlite' });
  });

  it('answers malformed and oversized bodies in JSON, without a stack trace', async () => {
    const post = (body: string) =>
      fetch(`${t.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
      });
    const malformed = await post('{"query": ');
    expect(malformed.status).toBe(400);
    expect(await malformed.json()).toEqual({
      errors: [
        { message: 'The request body is not valid JSON', extensions: { code: 'BAD_REQUEST' } },
      ],
    });
    const huge = await post(JSON.stringify({ query: `{ ${'__typename '.repeat(20000)}}` }));
    expect(huge.status).toBe(413);
    const tooLarge = (await huge.json()) as { errors: Array<{ extensions: { code: string } }> };
    expect(tooLarge.errors[0].extensions.code).toBe('PAYLOAD_TOO_LARGE');
    const unknown = await fetch(`${t.url}/nope`);
    expect(unknown.status).toBe(404);
  });

  it('refuses queries nested deeper than the limit, before running them', async () => {
    const nest = (levels: number): string =>
      levels === 0 ? 'name' : `facts { title { ${nest(levels - 1)} } }`;
    const within = await postRaw(t.url, { query: `{ title(slug: "the-glory") { ${nest(3)} } }` });
    expect(within.errors).toBeUndefined();
    const tooDeep = await postRaw(t.url, { query: `{ title(slug: "the-glory") { ${nest(4)} } }` });
    expect(tooDeep.status).toBe(400);
    expect(errorCode(tooDeep)).toBe('GRAPHQL_VALIDATION_FAILED');
    expect(tooDeep.errors![0].message).toMatch(/depth/i);
  });

  it('reports GraphQL syntax errors with a code, not a crash', async () => {
    const res = await postRaw(t.url, { query: '{ title(slug: ' });
    expect(res.status).toBe(400);
    expect(errorCode(res)).toBe('GRAPHQL_PARSE_FAILED');
  });
});

describe('titles connection', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
    await seedStore(t.store, syntheticCatalog(23));
  });
  afterAll(() => t?.stop());

  it('pages through every title once, in slug order', async () => {
    const seen: string[] = [];
    let after: string | null = null;
    let pages = 0;
    let totalCount: number;
    do {
      const res: GraphQLResponse<TitleListQuery> = await execute(t.url, TitleListDocument, {
        first: 7,
        after,
      });
      expect(res.errors).toBeUndefined();
      const connection = res.data!.titles;
      totalCount = connection.totalCount;
      seen.push(...connection.edges.map((e) => e.node.slug));
      after = connection.pageInfo.hasNextPage ? connection.pageInfo.endCursor : null;
      if (after) expect(after).toBe(connection.edges[connection.edges.length - 1].cursor);
      pages++;
    } while (after);
    expect(totalCount).toBe(26); // 23 synthetic + 3 seeded
    expect(seen).toHaveLength(26);
    expect(new Set(seen).size).toBe(26);
    expect(seen).toEqual([...seen].sort());
    expect(pages).toBe(4);
  });

  it('defaults to 20 per page, also for an explicit null', async () => {
    for (const variables of [{}, { first: null }]) {
      const res = await execute(t.url, TitleListDocument, variables);
      expect(res.errors).toBeUndefined();
      expect(res.data!.titles.edges).toHaveLength(20);
      expect(res.data!.titles.pageInfo.hasNextPage).toBe(true);
    }
  });

  it('searches names case-insensitively and literally', async () => {
    const res = await execute(t.url, TitleListDocument, { search: 'tHe gLoRy' });
    expect(res.data!.titles.edges.map((e) => e.node.name)).toEqual([page.name]);
    expect(res.data!.titles.totalCount).toBe(1);
    const pattern = await execute(t.url, TitleListDocument, { search: 'T.tle' });
    expect(pattern.data!.titles.totalCount).toBe(0);
    const paren = await execute(t.url, TitleListDocument, { search: '(' });
    expect(paren.errors).toBeUndefined();
    expect(paren.data!.titles.totalCount).toBe(0);
  });

  it.each([
    [{ first: 5000 }, 'first'],
    [{ first: 0 }, 'first'],
    [{ first: -1 }, 'first'],
    [{ after: 'not-a-cursor' }, 'after'],
    [{ search: 'x'.repeat(101) }, 'search'],
  ])('rejects %j with BAD_USER_INPUT naming %s', async (variables, field) => {
    const res = await execute(t.url, TitleListDocument, variables);
    expect(errorCode(res)).toBe('BAD_USER_INPUT');
    expect(res.errors![0].message).toContain(field);
    expect(res.data).toBeNull();
  });
});

describe('persistence and production errors', () => {
  it('serves the same page after a restart on the same DATA_DIR', async () => {
    const first = await startTestApp();
    const before = await execute(first.url, TitlePageDocument, { slug: 'the-glory' });
    await first.stop();
    const second = await startTestApp({ dataDir: first.dataDir });
    try {
      const after = await execute(second.url, TitlePageDocument, { slug: 'the-glory' });
      expect(after.data).toEqual(before.data);
      expect(await second.store.countTitles()).toBe(3);
    } finally {
      await second.stop();
    }
  });

  it('hides internal error messages and stack traces in production', async () => {
    const failing = (message: string) => (store: import('../../src/store/port').Store) =>
      new Proxy(store, {
        get: (target, property, receiver) =>
          property === 'listTitles'
            ? () => Promise.reject(new Error(message))
            : Reflect.get(target, property, receiver),
      });
    const prod = await startTestApp({
      env: { NODE_ENV: 'production' },
      wrapStore: failing('db password is hunter2'),
    });
    const dev = await startTestApp({ wrapStore: failing('visible in development') });
    try {
      const res = await execute(prod.url, TitleListDocument, {});
      expect(res.errors![0]).toEqual({
        message: 'Internal server error',
        locations: expect.any(Array),
        path: ['titles'],
        extensions: { code: 'INTERNAL_SERVER_ERROR' },
      });
      expect(JSON.stringify(res)).not.toContain('hunter2');
      // Bad input is still explained in production.
      const bad = await execute(prod.url, TitleListDocument, { first: 5000 });
      expect(bad.errors![0].message).toContain('first');
      expect(bad.errors![0].extensions).not.toHaveProperty('stacktrace');

      const devRes = await execute(dev.url, TitleListDocument, {});
      expect(devRes.errors![0].message).toBe('visible in development');
    } finally {
      await prod.stop();
      await dev.stop();
    }
  });
});
