import { auditServer } from 'graphql-http';
import { startTestApp, type TestApp } from '../helpers/test-app';

/**
 * The GraphQL-over-HTTP spec as graphql-http's audit suite checks it, against
 * the real app: every MUST, SHOULD and MAY it audits is met (ok, not warn or
 * notice). CSRF stays closed for mutations meanwhile (test/integration/csrf.test.ts).
 */
describe('graphql-http audits', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t?.stop());

  it('passes every audit', async () => {
    const results = await auditServer({ url: `${t.url}/graphql` });
    const notOk = results
      .filter((result) => result.status !== 'ok')
      .map((result) => `${result.status} ${result.id} ${result.name}`);
    expect(notOk).toEqual([]);
    expect(results.length).toBeGreaterThanOrEqual(61);
  });

  it('answers request errors with 200 only to clients that accept just application/json', async () => {
    const post = (accept: string) =>
      fetch(`${t.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept },
        body: JSON.stringify({ query: '{ nope }' }),
      });
    expect((await post('application/json')).status).toBe(200);
    expect((await post('application/graphql-response+json')).status).toBe(400);
    expect((await post('application/graphql-response+json, application/json;q=0.9')).status).toBe(
      400,
    );
    expect((await post('*/*')).status).toBe(400);
    // A refusal by a query limit is a 400 for every client.
    const nest = (levels: number): string =>
      levels === 0 ? 'name' : `facts { title { ${nest(levels - 1)} } }`;
    const deep = await fetch(`${t.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify({ query: `{ title(slug: "the-glory") { ${nest(4)} } }` }),
    });
    expect(
      ((await deep.json()) as { errors: Array<{ extensions: object }> }).errors[0].extensions,
    ).toMatchObject({ limit: 'depth' });
    expect(deep.status).toBe(400);
  });
});
