import { createHash } from 'node:crypto';
import { print } from 'graphql';
import { RateAccuracyDocument, TitlePageDocument, UpdateTitleDocument } from '../generated/graphql';
import { syntheticCatalog, seedStore } from '../fixtures/catalog';
import { startCountingTestApp, type TestApp } from '../helpers/test-app';

/**
 * The response cache over HTTP (src/cache/responses.ts, src/http/graphql-endpoint.ts):
 * what is answered from memory, what is not, and what makes an answer unreadable.
 * A hit is told from a miss by the store calls it makes (none: the record cache is
 * off in counting apps) and by its Age header.
 */

const TOKEN = 'editor-token-for-the-response-cache-test-0123456789';
const EDITOR = { authorization: `Bearer ${TOKEN}` };
const PAGE = print(TitlePageDocument);
const SUMMARY = '{ title(slug: "the-glory") { name tagline accuracy { count } } }';

interface Answer {
  status: number;
  headers: Headers;
  text: string;
  json: {
    data?: Record<string, unknown> | null;
    errors?: Array<{ extensions?: Record<string, unknown> }>;
  };
  /** Store calls the request made. */
  storeCalls: number;
}

type CountingApp = TestApp & { calls: Map<string, number> };

function storeCallsOf(t: CountingApp): number {
  return [...t.calls.values()].reduce((sum, n) => sum + n, 0);
}

/** One request, with the store calls it made. */
async function ask(
  t: CountingApp,
  request: { query: string; variables?: Record<string, unknown> } | { search: string },
  headers: Record<string, string> = {},
): Promise<Answer> {
  const before = storeCallsOf(t);
  const response =
    'search' in request
      ? await fetch(`${t.url}/graphql?${request.search}`, { headers })
      : await fetch(`${t.url}/graphql`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...headers },
          body: JSON.stringify(request),
        });
  const text = await response.text();
  return {
    status: response.status,
    headers: response.headers,
    text,
    json: JSON.parse(text) as Answer['json'],
    storeCalls: storeCallsOf(t) - before,
  };
}

/** The Vary header's field names, lower-cased and sorted. */
function varyOf(answer: Answer): string[] {
  return (answer.headers.get('vary') ?? '')
    .split(',')
    .map((name) => name.trim().toLowerCase())
    .filter((name) => name !== '')
    .sort();
}

/** Header names and values, without those that differ per answer by design. */
function replayedHeaders(answer: Answer): Record<string, string> {
  const headers = Object.fromEntries(answer.headers);
  for (const name of ['x-request-id', 'date', 'age']) delete headers[name];
  return headers;
}

describe('response cache', () => {
  let t: CountingApp;
  beforeAll(async () => {
    t = await startCountingTestApp({
      env: { ADMIN_TOKEN: TOKEN, RATINGS_RATE_LIMIT_PER_MINUTE: '100000' },
    });
  });
  afterAll(() => t?.stop());

  it('answers a repeated anonymous read from memory: same bytes and headers, no store call', async () => {
    const variables = { slug: 'the-glory' };
    const miss = await ask(t, { query: PAGE, variables });
    expect(miss.status).toBe(200);
    expect(miss.json.errors).toBeUndefined();
    expect(miss.storeCalls).toBeGreaterThan(0);
    expect(miss.headers.get('age')).toBeNull();

    const hit = await ask(t, { query: PAGE, variables });
    expect(hit.storeCalls).toBe(0);
    expect(hit.text).toBe(miss.text);
    expect(hit.headers.get('age')).toMatch(/^[0-2]$/);
    expect(replayedHeaders(hit)).toEqual(replayedHeaders(miss));
    expect(hit.headers.get('x-request-id')).not.toBe(miss.headers.get('x-request-id'));
    expect(hit.headers.get('x-content-type-options')).toBe('nosniff');
    expect(hit.headers.get('access-control-allow-origin')).toBe('*');
    expect(hit.headers.get('cache-control')).toBe('no-store'); // a POST: no CDN keeps it

    // The request exactly as sent is the key: the same variables in other bytes are another
    // key, answered alike; another variable is another answer.
    const vincenzo = '{ title(slug: "vincenzo") { name } }';
    const ordered = await ask(t, { query: vincenzo, variables: { a: 2, b: 1 } });
    expect(ordered.storeCalls).toBeGreaterThan(0);
    expect((await ask(t, { query: vincenzo, variables: { a: 2, b: 1 } })).storeCalls).toBe(0);
    const reordered = await ask(t, { query: vincenzo, variables: { b: 1, a: 2 } });
    expect(reordered.storeCalls).toBeGreaterThan(0);
    expect(reordered.text).toBe(ordered.text);
    expect(
      (await ask(t, { query: PAGE, variables: { slug: 'vincenzo' } })).storeCalls,
    ).toBeGreaterThan(0);
  });

  it('gives public GET reads a max-age for CDNs, also when answered from memory', async () => {
    const search = new URLSearchParams({ query: SUMMARY }).toString();
    const miss = await ask(t, { search });
    expect(miss.status).toBe(200);
    expect(miss.headers.get('cache-control')).toBe('public, max-age=2');
    const hit = await ask(t, { search });
    expect(hit.storeCalls).toBe(0);
    expect(hit.headers.get('cache-control')).toBe('public, max-age=2');
    expect(hit.text).toBe(miss.text);
    // The content type follows Accept, the CORS headers Origin: a shared cache must keep one
    // answer per Accept and Origin.
    expect(varyOf(miss)).toEqual(['accept', 'origin']);
    expect(varyOf(hit)).toEqual(['accept', 'origin']);
  });

  // This app's store is the embedded one (MongoDB keeps the configured lifetime: index.ts).
  it('on the embedded store, keeps an answer past the public max-age, its Age within it', async () => {
    const search = new URLSearchParams({
      query: '{ title(slug: "vincenzo") { name } }',
    }).toString();
    const miss = await ask(t, { search });
    expect(miss.storeCalls).toBeGreaterThan(0);
    await new Promise((resolve) => setTimeout(resolve, 2100));
    // Every write is this process's and invalidates what it touched: still current.
    const hit = await ask(t, { search });
    expect(hit.storeCalls).toBe(0);
    expect(hit.text).toBe(miss.text);
    expect(hit.headers.get('cache-control')).toBe('public, max-age=2');
    expect(Number(hit.headers.get('age'))).toBeLessThan(2);
  });

  it('serves automatic persisted queries by hash over GET, from memory once known', async () => {
    const query = '{ title(slug: "my-name") { name year } }';
    const extensions = {
      persistedQuery: { version: 1, sha256Hash: createHash('sha256').update(query).digest('hex') },
    };
    const byHash = new URLSearchParams({ extensions: JSON.stringify(extensions) }).toString();
    const unknown = await ask(t, { search: byHash });
    expect(unknown.json.errors?.[0]?.extensions?.code).toBe('PERSISTED_QUERY_NOT_FOUND');
    expect(unknown.headers.get('cache-control')).toBe('no-store');
    await ask(t, {
      search: new URLSearchParams({ query, extensions: JSON.stringify(extensions) }).toString(),
    });
    const first = await ask(t, { search: byHash });
    expect(first.json.data).toEqual({ title: { name: 'My Name', year: null } });
    expect(first.headers.get('cache-control')).toBe('public, max-age=2');
    const again = await ask(t, { search: byHash });
    expect(again.storeCalls).toBe(0);
    expect(again.text).toBe(first.text);
  });

  it('keeps answers per Accept header: each gets its own media type', async () => {
    const query = { query: '{ ratingScale { score } }' };
    const legacy = await ask(t, query, { accept: 'application/json' });
    const modern = await ask(t, query, { accept: 'application/graphql-response+json' });
    expect(legacy.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(modern.headers.get('content-type')).toBe(
      'application/graphql-response+json; charset=utf-8',
    );
    const again = await ask(t, query, { accept: 'application/graphql-response+json' });
    expect(again.headers.get('age')).not.toBeNull();
    expect(again.headers.get('content-type')).toBe(modern.headers.get('content-type'));
  });

  it('shows a rating to the next read, and keeps answers about other titles', async () => {
    const glory = await ask(t, { query: SUMMARY });
    const other = '{ title(slug: "vincenzo") { name accuracy { count } } }';
    await ask(t, { query: other });
    expect((await ask(t, { query: other })).storeCalls).toBe(0);

    const titleId = (
      (await ask(t, { query: '{ title(slug: "the-glory") { id } }' })).json.data!.title as {
        id: string;
      }
    ).id;
    const rated = await ask(t, {
      query: print(RateAccuracyDocument),
      variables: { input: { titleId, score: 5, voterId: 'cache-voter-1' } },
    });
    expect(rated.json.errors).toBeUndefined();

    const count = (answer: Answer) =>
      (answer.json.data!.title as { accuracy: { count: number } }).accuracy.count;
    const after = await ask(t, { query: SUMMARY });
    expect(after.storeCalls).toBeGreaterThan(0);
    expect(count(after)).toBe(count(glory) + 1);
    expect((await ask(t, { query: other })).storeCalls).toBe(0);
  });

  it('shows an editor’s write to the next anonymous read, and never keeps editors’ answers', async () => {
    const before = await ask(t, { query: SUMMARY });
    const editorRead = '{ title(slug: "the-glory") { id revision } }';
    const first = await ask(t, { query: editorRead }, EDITOR);
    expect(first.headers.get('cache-control')).toBe('no-store');
    const second = await ask(t, { query: editorRead }, EDITOR);
    expect(second.storeCalls).toBeGreaterThan(0);
    expect(second.headers.get('age')).toBeNull();

    const { id, revision } = first.json.data!.title as { id: string; revision: number };
    const tagline = `Edited at ${Date.now()}`;
    const edit = await ask(
      t,
      {
        query: print(UpdateTitleDocument),
        variables: { id, input: { tagline }, expectedRevision: revision },
      },
      EDITOR,
    );
    expect(edit.json.errors).toBeUndefined();
    const after = await ask(t, { query: SUMMARY });
    expect(after.storeCalls).toBeGreaterThan(0);
    expect((after.json.data!.title as { tagline: string }).tagline).toBe(tagline);
    expect(after.text).not.toBe(before.text);
  });

  it('shows a catalog import and a TMDB snapshot to the next read', async () => {
    const list = '{ titles(first: 100) { totalCount } }';
    const total = (answer: Answer) =>
      (answer.json.data!.titles as { totalCount: number }).totalCount;
    const before = await ask(t, { query: list });
    expect((await ask(t, { query: list })).storeCalls).toBe(0);
    await seedStore(t.store, syntheticCatalog(2, 'imported'));
    expect(total(await ask(t, { query: list }))).toBe(total(before) + 2);

    const score = '{ title(slug: "imported-001") { tmdbScore { voteAverage } } }';
    expect((await ask(t, { query: score })).json.data).toEqual({ title: { tmdbScore: null } });
    await t.store.saveTmdbSnapshot('imported-001', {
      voteAverage: 7.5,
      voteCount: 12,
      fetchedAt: new Date(),
    });
    expect((await ask(t, { query: score })).json.data).toEqual({
      title: { tmdbScore: { voteAverage: 7.5 } },
    });
  });

  it('never keeps mutations or answers with errors', async () => {
    const titleId = (
      (await ask(t, { query: '{ title(slug: "vincenzo") { id } }' })).json.data!.title as {
        id: string;
      }
    ).id;
    const rate = {
      query: print(RateAccuracyDocument),
      variables: { input: { titleId, score: 2, voterId: 'cache-voter-2' } },
    };
    const upserts = () => t.calls.get('upsertRating') ?? 0;
    const before = upserts();
    const first = await ask(t, rate);
    const second = await ask(t, rate);
    expect(upserts() - before).toBe(2);
    expect(second.headers.get('age')).toBeNull();
    expect(first.headers.get('cache-control')).toBe('no-store');

    // A field error beside data: the next identical read runs again.
    const partial = '{ title(slug: "the-glory") { name } node(id: "not-an-id") { id } }';
    const failed = await ask(t, { query: partial });
    expect(failed.json.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    const again = await ask(t, { query: partial });
    expect(again.storeCalls).toBeGreaterThan(0);
    expect(again.headers.get('age')).toBeNull();
  });

  it('counts hits and misses in the metrics', async () => {
    await ask(t, { query: '{ ratingScale { label } }' });
    await ask(t, { query: '{ ratingScale { label } }' });
    const metrics = await (await fetch(`${t.url}/metrics`)).text();
    const value = (result: string) =>
      Number(
        new RegExp(
          `^reelcheck_response_cache_lookups_total\\{result="${result}"\\} (\\d+)`,
          'm',
        ).exec(metrics)?.[1],
      );
    expect(value('hit')).toBeGreaterThan(0);
    expect(value('miss')).toBeGreaterThan(0);
    expect(metrics).toMatch(/^reelcheck_response_cache_bytes [1-9]\d*$/m);
  });
});

describe('response cache with CORS_ORIGINS a list', () => {
  const APP = 'https://app.example';
  const ADMIN = 'https://admin.example:8443';
  let t: CountingApp;
  beforeAll(async () => {
    t = await startCountingTestApp({ env: { CORS_ORIGINS: `${APP}, ${ADMIN}` } });
  });
  afterAll(() => t?.stop());

  it('keeps Vary: Origin beside Accept on public GET answers, kept and answered from memory', async () => {
    const search = new URLSearchParams({ query: SUMMARY }).toString();
    const miss = await ask(t, { search }, { origin: APP });
    expect(miss.storeCalls).toBeGreaterThan(0);
    expect(miss.headers.get('cache-control')).toBe('public, max-age=2');
    expect(miss.headers.get('access-control-allow-origin')).toBe(APP);
    expect(varyOf(miss)).toEqual(['accept', 'origin']);
    const hit = await ask(t, { search }, { origin: APP });
    expect(hit.storeCalls).toBe(0);
    expect(hit.headers.get('age')).not.toBeNull();
    expect(hit.headers.get('access-control-allow-origin')).toBe(APP);
    expect(varyOf(hit)).toEqual(['accept', 'origin']);

    // The other origin gets its own answer, naming it; one without Origin (same-origin or not
    // a browser) gets none, and still says it varies by Origin, so that a CDN never gives it
    // to a browser on another origin.
    const admin = await ask(t, { search }, { origin: ADMIN });
    expect(admin.headers.get('access-control-allow-origin')).toBe(ADMIN);
    expect(varyOf(admin)).toEqual(['accept', 'origin']);
    const plain = await ask(t, { search });
    expect(plain.headers.get('access-control-allow-origin')).toBeNull();
    expect(varyOf(plain)).toEqual(['accept', 'origin']);
    expect((await ask(t, { search })).storeCalls).toBe(0);
    expect(varyOf(await ask(t, { search }))).toEqual(['accept', 'origin']);
  });
});

describe('response cache off (RESPONSE_CACHE=false)', () => {
  let t: CountingApp;
  beforeAll(async () => {
    t = await startCountingTestApp({ env: { RESPONSE_CACHE: 'false' } });
  });
  afterAll(() => t?.stop());

  it('runs every read and lets no one keep it', async () => {
    const search = new URLSearchParams({ query: SUMMARY }).toString();
    const first = await ask(t, { search });
    const second = await ask(t, { search });
    expect(second.storeCalls).toBe(first.storeCalls);
    expect(second.storeCalls).toBeGreaterThan(0);
    expect(second.headers.get('age')).toBeNull();
    expect(second.headers.get('cache-control')).toBe('no-store');
    expect(second.text).toBe(first.text);
  });
});
