import { MAX_QUERY_COMPLEXITY } from '../../src/graphql/pipeline/complexity';
import { TitleListDeepDocument, TitlePageDocument } from '../generated/graphql';
import { errorCode, execute, postRaw } from '../helpers/graphql-client';
import { startTestApp, type TestApp } from '../helpers/test-app';

/** Rules of GraphQL over HTTP that clients rely on, checked against the running app. */
describe('GraphQL over HTTP', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t?.stop());

  it('rejects a POST without a query with 400', async () => {
    const res = await postRaw(t.url, { variables: {} });
    expect(res.status).toBe(400);
  });

  it('answers application/graphql-response+json when the client accepts it', async () => {
    const response = await fetch(`${t.url}/graphql`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/graphql-response+json',
      },
      body: JSON.stringify({ query: '{ ratingScale { score } }' }),
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^application\/graphql-response\+json/);
  });

  it('answers a variable of the wrong type with 400 BAD_USER_INPUT naming it', async () => {
    const res = await postRaw(t.url, {
      query: 'query($first: Int) { titles(first: $first) { totalCount } }',
      variables: { first: 'ten' },
    });
    expect(res.status).toBe(400);
    expect(errorCode(res)).toBe('BAD_USER_INPUT');
    expect(res.errors![0].message).toContain('$first');
    expect(res.errors![0].extensions!.fields).toEqual([
      { field: 'first', messages: [res.errors![0].message] },
    ]);
  });

  it.each([
    ['a score that is not a number', { score: 'five', voterId: 'coerce-voter-1' }, 'score'],
    ['no voterId', { score: 3 }, 'voterId'],
    ['an unknown field', { score: 3, voterId: 'coerce-voter-1', scor: 3 }, 'scor'],
  ])(
    'names the field of an input variable Apollo cannot coerce (%s) in extensions.fields, as validation does',
    async (_case, input, field) => {
      const res = await postRaw(t.url, {
        query:
          'mutation Rate($input: RateAccuracyInput!) { rateAccuracy(input: $input) { rating { id } } }',
        variables: { input: { titleId: 'VGl0bGU6dGhlLWdsb3J5', ...input } },
      });
      expect(res.status).toBe(400);
      expect(errorCode(res)).toBe('BAD_USER_INPUT');
      expect(res.errors).toHaveLength(1);
      expect(res.errors![0].extensions!.fields).toEqual([
        { field, messages: [res.errors![0].message] },
      ]);
    },
  );

  it('answers a query against an unknown field with 400 GRAPHQL_VALIDATION_FAILED', async () => {
    const res = await postRaw(t.url, { query: '{ title(slug: "the-glory") { rating } }' });
    expect(res.status).toBe(400);
    expect(errorCode(res)).toBe('GRAPHQL_VALIDATION_FAILED');
  });

  it('runs the named operation of a multi-operation document', async () => {
    const query = 'query A { ratingScale { score } } query B { title(slug: "vincenzo") { name } }';
    const res = await postRaw(t.url, { query, operationName: 'B' });
    expect(res.data).toEqual({ title: { name: 'Vincenzo' } });
    const missing = await postRaw(t.url, { query });
    expect(missing.status).toBe(400);
  });

  it('runs a full 100-title listing but refuses a query whose estimated cost is too high', async () => {
    const page = await execute(t.url, TitleListDeepDocument, { first: 100 });
    expect(page.errors).toBeUndefined();
    const title = await execute(t.url, TitlePageDocument, { slug: 'the-glory' });
    expect(title.errors).toBeUndefined();

    const costly = await postRaw(t.url, {
      query: '{ titles(first: 100) { edges { node { facts { title { facts { text } } } } } } }',
    });
    expect(costly.status).toBe(400);
    expect(errorCode(costly)).toBe('QUERY_TOO_COMPLEX');
    expect(costly.errors![0].extensions!.complexity).toBeGreaterThan(MAX_QUERY_COMPLEXITY);
    expect(costly.data).toBeUndefined();
    // A smaller page of the same shape is fine: the limit is on cost, not on shape.
    const smaller = await postRaw(t.url, {
      query: '{ titles(first: 3) { edges { node { facts { title { facts { text } } } } } } }',
    });
    expect(smaller.errors).toBeUndefined();
  });

  it('lets browsers call it cross-origin (CORS)', async () => {
    const preflight = await fetch(`${t.url}/graphql`, {
      method: 'OPTIONS',
      headers: {
        origin: 'https://app.example',
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'content-type',
      },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe('*');
  });
});
