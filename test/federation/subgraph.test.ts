import fs from 'node:fs';
import { SUBGRAPH_FILE } from '../../src/graphql/schema/build';
import { toGlobalId } from '../../src/graphql/schema/node/ids';
import { MAX_REPRESENTATIONS } from '../../src/graphql/schema/federation';
import { errorCode, postRaw } from '../helpers/graphql-client';
import { startCountingTestApp, type TestApp } from '../helpers/test-app';

/**
 * Reelcheck as a Federation 2 subgraph, over HTTP: `_service { sdl }` and
 * `_entities` with every key, batched through the request's loaders.
 */
const ENTITIES = `query Entities($representations: [_Any!]!) {
  _entities(representations: $representations) {
    __typename
    ... on Title { id slug name tmdbId mediaType }
    ... on Fact { id text }
    ... on Rating { id score }
  }
}`;

interface Entity {
  __typename: string;
  id: string;
  slug?: string;
}

describe('Reelcheck as a subgraph', () => {
  let t: TestApp;
  let calls: Map<string, number>;
  beforeAll(async () => {
    ({ calls, ...t } = await startCountingTestApp({
      env: { RATINGS_RATE_LIMIT_PER_MINUTE: '100000' },
    }));
  });
  afterAll(() => t?.stop());

  const entities = (representations: unknown[]) =>
    postRaw<{ _entities: Array<Entity | null> }>(t.url, {
      query: ENTITIES,
      variables: { representations },
    });

  it('serves its subgraph SDL, the committed schema/subgraph.graphql', async () => {
    const res = await postRaw<{ _service: { sdl: string } }>(t.url, {
      query: '{ _service { sdl } }',
    });
    expect(res.data!._service.sdl).toBe(fs.readFileSync(SUBGRAPH_FILE, 'utf8').trimEnd());
    expect(res.data!._service.sdl).toContain('@key(fields: "tmdbId mediaType")');
  });

  it('sends no inline trace (ftv1), whoever asks for one', async () => {
    const asked = await postRaw(
      t.url,
      { query: '{ title(slug: "the-glory") { name } }' },
      { 'apollo-federation-include-trace': 'ftv1' },
    );
    expect(asked.data).toEqual({ title: { name: 'The Glory' } });
    expect(asked.extensions?.ftv1).toBeUndefined();
    expect(JSON.stringify(asked)).not.toContain('ftv1');
  });

  it('resolves Title by id and by tmdbId + mediaType, Fact and Rating by id', async () => {
    const glory = toGlobalId('Title', 'the-glory');
    const rated = await postRaw<{ rateAccuracy: { rating: { id: string } } }>(t.url, {
      query: `mutation { rateAccuracy(input: {titleId: "${glory}", score: 4, voterId: "federated-1"}) { rating { id } } }`,
    });
    const ratingId = rated.data!.rateAccuracy.rating.id;
    const res = await entities([
      { __typename: 'Title', id: glory },
      { __typename: 'Title', tmdbId: 136283, mediaType: 'TV' },
      { __typename: 'Fact', id: toGlobalId('Fact', 'the-glory-dyk-1') },
      { __typename: 'Rating', id: ratingId },
    ]);
    expect(res.errors).toBeUndefined();
    expect(res.data!._entities).toEqual([
      expect.objectContaining({ __typename: 'Title', id: glory, slug: 'the-glory' }),
      expect.objectContaining({ __typename: 'Title', id: glory, tmdbId: 136283, mediaType: 'TV' }),
      expect.objectContaining({ __typename: 'Fact', id: toGlobalId('Fact', 'the-glory-dyk-1') }),
      expect.objectContaining({ __typename: 'Rating', id: ratingId, score: 4 }),
    ]);
  });

  it('gives null, not an error, for keys that name nothing or are malformed', async () => {
    const res = await entities([
      { __typename: 'Title', id: toGlobalId('Title', 'no-such-title') },
      { __typename: 'Title', id: 'garbage' },
      { __typename: 'Title', tmdbId: 136283, mediaType: 'MOVIE' },
      { __typename: 'Fact', id: toGlobalId('Title', 'the-glory') },
      { __typename: 'Rating', id: toGlobalId('Rating', 'nope') },
    ]);
    expect(res.errors).toBeUndefined();
    expect(res.data!._entities).toEqual([null, null, null, null, null]);
  });

  // Found by test/integration/fuzz.test.ts: these were INTERNAL_SERVER_ERRORs logged as bugs.
  it.each([
    ['a string', 'VGl0bGU6dGhlLWdsb3J5', 'representations[1]'],
    ['an object without __typename', { id: 'x' }, 'representations[1]'],
    ['a type that is not an entity', { __typename: 'TmdbScore' }, 'representations[1]'],
  ])('refuses %s as a representation with BAD_USER_INPUT naming it', async (_c, bad, field) => {
    const logged = t.logs.length;
    const res = await entities([{ __typename: 'Title', id: 'x' }, bad]);
    expect(errorCode(res)).toBe('BAD_USER_INPUT');
    expect(res.errors![0].extensions!.fields).toEqual([expect.objectContaining({ field })]);
    expect(res.errors![0].message).toBe(
      `${field} must be an object whose __typename is one of Title, Fact, Rating`,
    );
    const errorLines = t.logs.slice(logged).filter((line) => JSON.parse(line).level >= 50);
    expect(errorLines).toEqual([]);
  });

  it('batches: 50 titles by each key cost one store call per kind of key', async () => {
    const ids = Array.from({ length: 50 }, (_, i) => ({
      __typename: 'Title',
      id: toGlobalId('Title', i % 2 ? 'the-glory' : `missing-${i}`),
    }));
    const tmdb = Array.from({ length: 50 }, (_, i) => ({
      __typename: 'Title',
      tmdbId: 136283 + (i % 3),
      mediaType: 'TV',
    }));
    calls.clear();
    const res = await entities([...ids, ...tmdb]);
    expect(res.errors).toBeUndefined();
    expect(res.data!._entities).toHaveLength(100);
    expect(Object.fromEntries(calls)).toEqual({ titlesByIds: 1, titlesByTmdbIds: 1 });
  });

  it(`counts representations in the cost limit: more than ${MAX_REPRESENTATIONS} are refused`, async () => {
    const query = 'query E($r: [_Any!]!) { _entities(representations: $r) { __typename } }';
    const titles = (n: number) =>
      Array.from({ length: n }, () => ({ __typename: 'Title', id: 'x' }));
    const allowed = await postRaw(t.url, { query, variables: { r: titles(MAX_REPRESENTATIONS) } });
    expect(allowed.errors).toBeUndefined();
    calls.clear();
    const refused = await postRaw(t.url, {
      query,
      variables: { r: titles(MAX_REPRESENTATIONS + 1) },
    });
    expect(refused.status).toBe(400);
    expect(errorCode(refused)).toBe('QUERY_TOO_COMPLEX');
    expect(calls.size).toBe(0); // refused before anything ran
    // 10,000 do not even reach GraphQL: the body is over the request size limit.
    const huge = await postRaw(t.url, { query, variables: { r: titles(10_000) } });
    expect(huge.status).toBe(413);
  });
});
