import { GraphQLClient } from 'graphql-request';
import { AccuracyDocument } from '../generated/graphql';
import { execute } from '../helpers/graphql-client';
import { startTestApp, type TestApp } from '../helpers/test-app';

/**
 * Standard clients' GET queries work with no extra header; nothing that a
 * cross-site page can send without a CORS preflight (a form, a text/plain
 * POST, a GET) can rate.
 */
describe('GET queries and cross-site writes', () => {
  let t: TestApp;
  let titleId: string;
  beforeAll(async () => {
    t = await startTestApp();
    titleId = (await execute(t.url, AccuracyDocument, { slug: 'the-glory' })).data!.title!.id;
  });
  afterAll(() => t?.stop());

  const pageCount = async () =>
    (await execute(t.url, AccuracyDocument, { slug: 'the-glory' })).data!.title!.accuracy.count;
  const mutation = () =>
    `mutation { rateAccuracy(input: {titleId: "${titleId}", score: 1, voterId: "csrf-victim-1"}) { rating { id } } }`;

  it("runs graphql-request's GET queries with no extra header", async () => {
    const client = new GraphQLClient(`${t.url}/graphql`, { method: 'GET' });
    const data = await client.request<{ title: { name: string } }>(
      '{ title(slug: "the-glory") { name } }',
    );
    expect(data).toEqual({ title: { name: 'The Glory' } });
  });

  it('runs a plain GET query, as a browser address bar would', async () => {
    const query = encodeURIComponent('{ title(slug: "the-glory") { name } }');
    const res = await fetch(`${t.url}/graphql?query=${query}`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ data: { title: { name: 'The Glory' } } });
  });

  it.each([
    ['text/plain', (m: string) => JSON.stringify({ query: m })],
    ['application/x-www-form-urlencoded', (m: string) => `query=${encodeURIComponent(m)}`],
    [
      'multipart/form-data; boundary=x',
      (m: string) => `--x\r\nContent-Disposition: form-data; name="query"\r\n\r\n${m}\r\n--x--\r\n`,
    ],
  ])('refuses a %s POST with 415 before GraphQL runs: nothing is rated', async (type, body) => {
    const res = await fetch(`${t.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': type },
      body: body(mutation()),
    });
    expect(res.status).toBe(415);
    expect(await res.json()).toMatchObject({
      errors: [{ extensions: { code: 'UNSUPPORTED_MEDIA_TYPE' } }],
    });
    expect(await pageCount()).toBe(0);
  });

  it('refuses a mutation over GET (405): nothing is rated', async () => {
    const res = await fetch(`${t.url}/graphql?query=${encodeURIComponent(mutation())}`);
    expect(res.status).toBe(405);
    expect(await pageCount()).toBe(0);
  });
});
