import { TitleListScoresDocument, TitlePageDocument } from '../generated/graphql';
import { startFakeTmdb, type FakeTmdb } from '../fakes/fake-tmdb';
import { seedStore, syntheticCatalog } from '../fixtures/catalog';
import { execute } from '../helpers/graphql-client';
import { startTestApp, type TestApp, waitFor } from '../helpers/test-app';

/** Title.tmdbScore end to end: GraphQL over HTTP -> loader -> axios -> fake TMDB on loopback. */
const TOKEN = 'tmdb-token-f00dfeed-never-log-me';
const GLORY_TMDB_ID = 136283;

describe('Title.tmdbScore against a live (fake) TMDB', () => {
  let tmdb: FakeTmdb;
  let t: TestApp;
  beforeAll(async () => {
    tmdb = await startFakeTmdb();
    tmdb.setScore('TV', GLORY_TMDB_ID, { voteAverage: 8.7, voteCount: 4321 });
    t = await startTestApp({
      // A timeout only a hang reaches, also on a busy machine: this block counts fetches.
      env: { TMDB_API_BASE_URL: tmdb.baseUrl, TMDB_API_TOKEN: TOKEN, TMDB_TIMEOUT_MS: '10000' },
    });
    const catalog = syntheticCatalog(50);
    catalog.titles.forEach(({ title }) =>
      tmdb.setScore(title.mediaType, title.tmdbId!, { voteAverage: 7, voteCount: title.tmdbId! }),
    );
    await seedStore(t.store, catalog);
  });
  afterAll(async () => {
    await t?.stop();
    await tmdb?.close();
  });

  it('serves the stored snapshot at once, then the live score after a background refresh', async () => {
    const first = await execute(t.url, TitlePageDocument, { slug: 'the-glory' });
    expect(first.data!.title!.tmdbScore).toMatchObject({ voteAverage: 8.5, stale: true });
    await waitFor(() => tmdb.count(`/tv/${GLORY_TMDB_ID}`) === 1);
    // The live value reaches the store too: it is the last known score after a restart.
    let live;
    for (let i = 0; i < 50 && !live; i++) {
      const res = await execute(t.url, TitlePageDocument, { slug: 'the-glory' });
      if (res.data!.title!.tmdbScore!.stale === false) live = res.data!.title!.tmdbScore;
      else await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(live).toMatchObject({ voteAverage: 8.7, voteCount: 4321, stale: false });
    const [stored] = await t.store.titlesBySlugs(['the-glory']);
    expect(stored!.tmdbSnapshot).toMatchObject({ voteAverage: 8.7, voteCount: 4321 });
    expect(tmdb.requests[0].authorization).toBe(`Bearer ${TOKEN}`);
  });

  it('fetches each distinct id once for a 50-title page, and not again within the TTL', async () => {
    tmdb.resetRequests();
    const res = await execute(t.url, TitleListScoresDocument, { first: 53 });
    expect(res.errors).toBeUndefined();
    const scored = res.data!.titles.edges.filter((e) => e.node.slug.startsWith('title-'));
    expect(scored).toHaveLength(50);
    for (const { node } of scored) expect(node.tmdbScore).toMatchObject({ stale: false });
    const paths = tmdb.requests.map((r) => r.path).filter((p) => p !== `/tv/${GLORY_TMDB_ID}`);
    expect(paths).toHaveLength(50);
    expect(new Set(paths).size).toBe(50);

    tmdb.resetRequests();
    const again = await execute(t.url, TitleListScoresDocument, { first: 53 });
    expect(again.data).toEqual(res.data);
    expect(tmdb.count()).toBe(0);
  });

  it('never writes the token to logs', () => {
    expect(t.logs.length).toBeGreaterThan(0);
    expect(t.logs.join('\n')).not.toContain(TOKEN);
  });
});

describe('Title.tmdbScore while TMDB hangs', () => {
  let tmdb: FakeTmdb;
  let t: TestApp;
  // Long enough that a listing waiting on TMDB batch after batch (7 batches of
  // TMDB_MAX_CONCURRENCY=8: 14 s) stands apart from one timeout plus a busy machine's slack.
  const TIMEOUT_MS = 2000;
  const SLACK_MS = 5000;
  beforeAll(async () => {
    tmdb = await startFakeTmdb();
    tmdb.behave({ hang: true });
    t = await startTestApp({
      env: {
        TMDB_API_BASE_URL: tmdb.baseUrl,
        TMDB_API_KEY: TOKEN,
        TMDB_TIMEOUT_MS: String(TIMEOUT_MS),
      },
    });
    await seedStore(t.store, syntheticCatalog(50));
  });
  afterAll(async () => {
    await t?.stop();
    await tmdb?.close();
  });

  it('answers a 50-title listing within one timeout (plus slack), with field errors only', async () => {
    const started = Date.now();
    const res = await execute(t.url, TitleListScoresDocument, { first: 53 });
    const elapsed = Date.now() - started;
    console.log(
      `50-title listing with TMDB hanging answered in ${elapsed} ms (timeout ${TIMEOUT_MS} ms)`,
    );
    expect(elapsed).toBeLessThan(TIMEOUT_MS + SLACK_MS);

    const edges = res.data!.titles.edges;
    expect(edges).toHaveLength(53);
    const glory = edges.find((e) => e.node.slug === 'the-glory')!;
    expect(glory.node.tmdbScore).toMatchObject({ voteAverage: 8.5, stale: true });
    const unknown = edges.filter((e) => e.node.slug.startsWith('title-'));
    for (const { node } of unknown) expect(node.tmdbScore).toBeNull();
    expect(res.errors).toHaveLength(50);
    for (const error of res.errors!) {
      expect(error.extensions!.code).toBe('UPSTREAM_UNAVAILABLE');
      expect(error.path).toEqual(['titles', 'edges', expect.any(Number), 'node', 'tmdbScore']);
      expect(JSON.stringify(error)).not.toContain(TOKEN);
    }
    expect(tmdb.maxInFlight).toBeLessThanOrEqual(8);
  });
});
