import { TitlePageDocument } from '../generated/graphql';
import { startFakeTmdb, type FakeTmdb } from '../fakes/fake-tmdb';
import { execute, postRaw } from '../helpers/graphql-client';
import { startTestApp, type TestApp, waitFor } from '../helpers/test-app';

const GLORY_TMDB_ID = 136283;

async function scrape(t: TestApp): Promise<string> {
  const res = await fetch(`${t.url}/metrics`);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  return res.text();
}

/** The value of the sample `name` whose labels include `labels`, or undefined. */
function sample(
  text: string,
  name: string,
  labels: Record<string, string> = {},
): number | undefined {
  const wanted = Object.entries(labels).map(([key, value]) => `${key}="${value}"`);
  const line = text
    .split('\n')
    .find(
      (l) =>
        (l.startsWith(`${name}{`) || l.startsWith(`${name} `)) &&
        wanted.every((pair) => l.includes(pair)),
    );
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
}

describe('GET /metrics', () => {
  let tmdb: FakeTmdb;
  let t: TestApp;
  beforeAll(async () => {
    tmdb = await startFakeTmdb();
    tmdb.setScore('TV', GLORY_TMDB_ID, { voteAverage: 8.7, voteCount: 4321 });
    t = await startTestApp({
      env: {
        TMDB_API_BASE_URL: tmdb.baseUrl,
        TMDB_API_TOKEN: 'tmdb-token-metrics',
        RATINGS_RATE_LIMIT_PER_MINUTE: '1',
      },
    });
  });
  afterAll(async () => {
    await t?.stop();
    await tmdb?.close();
  });

  it('times operations by type and name, and store calls by method', async () => {
    await execute(t.url, TitlePageDocument, { slug: 'the-glory' });
    const text = await scrape(t);
    expect(
      sample(text, 'reelcheck_graphql_operation_duration_seconds_count', {
        operation_type: 'query',
        operation_name: 'TitlePage',
      }),
    ).toBe(1);
    expect(
      sample(text, 'reelcheck_store_call_duration_seconds_count', {
        method: 'titlesBySlugs',
        outcome: 'ok',
      }),
    ).toBeGreaterThanOrEqual(1);
    expect(sample(text, 'process_cpu_user_seconds_total')).toBeGreaterThan(0);
  });

  it('counts answers from the response cache per operation, apart from the timed ones', async () => {
    const query = 'query ScaleThrice { ratingScale { score } }';
    for (let i = 0; i < 3; i++) expect((await postRaw(t.url, { query })).errors).toBeUndefined();
    const text = await scrape(t);
    const operation = { operation_type: 'query', operation_name: 'ScaleThrice' };
    expect(sample(text, 'reelcheck_response_cache_hits_total', operation)).toBe(2);
    expect(sample(text, 'reelcheck_graphql_operation_duration_seconds_count', operation)).toBe(1);
  });

  it('counts TMDB requests, cache lookups and reports the circuit state', async () => {
    // The first view serves the stored snapshot (stale) and refreshes it in the background.
    await waitFor(() => tmdb.count(`/tv/${GLORY_TMDB_ID}`) === 1);
    let text = await scrape(t);
    expect(sample(text, 'reelcheck_tmdb_cache_lookups_total', { result: 'stale' })).toBe(1);
    for (
      let i = 0;
      i < 50 && !sample(text, 'reelcheck_tmdb_requests_total', { outcome: 'ok' });
      i++
    ) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      text = await scrape(t);
    }
    expect(sample(text, 'reelcheck_tmdb_requests_total', { outcome: 'ok' })).toBe(1);
    await execute(t.url, TitlePageDocument, { slug: 'the-glory' });
    text = await scrape(t);
    expect(sample(text, 'reelcheck_tmdb_cache_lookups_total', { result: 'hit' })).toBe(1);
    expect(sample(text, 'reelcheck_tmdb_circuit_state', { state: 'closed' })).toBe(1);
    expect(sample(text, 'reelcheck_tmdb_circuit_state', { state: 'open' })).toBe(0);
  });

  it('counts errors by code and rate-limit refusals', async () => {
    const rate = `mutation { rateAccuracy(input: { titleId: "VGl0bGU6dGhlLWdsb3J5", score: 4, voterId: "metrics-voter" }) { rating { id } } }`;
    expect((await postRaw(t.url, { query: rate })).errors).toBeUndefined();
    const refused = await postRaw(t.url, { query: rate });
    expect(refused.errors![0].extensions!.code).toBe('RATE_LIMITED');
    await postRaw(t.url, { query: '{ nope }' });
    const text = await scrape(t);
    expect(sample(text, 'reelcheck_rate_limit_refusals_total')).toBe(1);
    expect(sample(text, 'reelcheck_graphql_errors_total', { code: 'RATE_LIMITED' })).toBe(1);
    expect(
      sample(text, 'reelcheck_graphql_errors_total', { code: 'GRAPHQL_VALIDATION_FAILED' }),
    ).toBe(1);
  });

  it('keeps at most 100 operation names, counting the rest as "other"', async () => {
    for (let i = 0; i < 110; i++) await postRaw(t.url, { query: `query Name${i} { __typename }` });
    const text = await scrape(t);
    const names = new Set(
      [...text.matchAll(/operation_duration_seconds_count\{[^}]*operation_name="([^"]*)"/g)].map(
        (match) => match[1],
      ),
    );
    expect(names.size).toBeLessThanOrEqual(101);
    expect(names).toContain('other');
    expect(
      sample(text, 'reelcheck_graphql_operation_duration_seconds_count', {
        operation_name: 'other',
      }),
    ).toBeGreaterThanOrEqual(10);
  });
});

describe('request ids', () => {
  let t: TestApp;
  beforeAll(async () => {
    // Debug: repeated requests are answered by the response cache, whose lines are at debug.
    t = await startTestApp({ env: { LOG_LEVEL: 'debug' } });
  });
  afterAll(() => t?.stop());

  const ask = (headers: Record<string, string> = {}) =>
    fetch(`${t.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify({ query: '{ __typename }' }),
    });
  const linesWith = (id: string) =>
    t.logs
      .map((line) => JSON.parse(line) as { requestId?: string; msg: string })
      .filter((l) => l.requestId === id);

  it('generates an id, answers it in x-request-id and logs it', async () => {
    const res = await ask();
    const id = res.headers.get('x-request-id')!;
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(linesWith(id)).toEqual([expect.objectContaining({ msg: 'graphql operation answered' })]);
    expect((await ask()).headers.get('x-request-id')).not.toBe(id);
  });

  it("logs an answer from the response cache at debug, with responseCache: 'hit'", async () => {
    const levelOf = async (headers: Record<string, string> = {}) => {
      const id = (await ask(headers)).headers.get('x-request-id')!;
      const lines = t.logs
        .map(
          (line) =>
            JSON.parse(line) as { requestId?: string; level: number; responseCache?: string },
        )
        .filter((l) => l.requestId === id);
      expect(lines).toHaveLength(1);
      return { level: lines[0].level, responseCache: lines[0].responseCache };
    };
    await ask();
    expect(await levelOf()).toEqual({ level: 20, responseCache: 'hit' });
    // An editor's request is never answered from memory: info.
    expect(await levelOf({ authorization: 'Bearer not-a-token' })).toEqual({
      level: 30,
      responseCache: undefined,
    });
  });

  it("keeps a proxy's sane id and replaces one that is not", async () => {
    const sane = 'Root=1-5759e988-bd862e3fe1be46a994272793';
    expect((await ask({ 'x-request-id': sane })).headers.get('x-request-id')).toBe(sane);
    expect(linesWith(sane)).toHaveLength(1);
    for (const insane of ['x'.repeat(129), 'with spaces', '{"$gt":""}']) {
      const replaced = (await ask({ 'x-request-id': insane })).headers.get('x-request-id');
      expect(replaced).not.toBe(insane);
      expect(replaced).toMatch(/^[0-9a-f-]{36}$/);
    }
  });

  it('answers the id on other routes too', async () => {
    expect((await fetch(`${t.url}/healthz`)).headers.get('x-request-id')).toMatch(
      /^[0-9a-f-]{36}$/,
    );
  });
});
