/**
 * importTitleFromTmdb over HTTP against the fake TMDB (real sockets): a new
 * title, a refresh that leaves curated text alone, recommendations with
 * genre labels, and TMDB failures that write nothing.
 */
import { readCatalog } from '../../src/catalog/read';
import { toCatalogFile } from '../../src/catalog/format';
import { ImportTitleFromTmdbDocument, EditorPageDocument } from '../generated/graphql';
import { type FakeTmdb, startFakeTmdb } from '../fakes/fake-tmdb';
import { errorCode, execute } from '../helpers/graphql-client';
import { startTestApp, type TestApp } from '../helpers/test-app';

const ADMIN = 'tmdb-import-editor-token-5e0b7d1c';
const EDITOR = { authorization: `Bearer ${ADMIN}` };
const GLORY = 136283;

describe('importTitleFromTmdb against the fake TMDB', () => {
  let tmdb: FakeTmdb;
  let t: TestApp;
  const importTitle = (tmdbId: number, mediaType: 'TV' | 'MOVIE', recommendations?: number) =>
    execute(t.url, ImportTitleFromTmdbDocument, { tmdbId, mediaType, recommendations }, EDITOR);
  const state = async () => toCatalogFile(await readCatalog(t.store));

  beforeAll(async () => {
    tmdb = await startFakeTmdb();
    t = await startTestApp({
      env: {
        ADMIN_TOKEN: ADMIN,
        TMDB_API_BASE_URL: tmdb.baseUrl,
        TMDB_API_TOKEN: 'tmdb-token',
        TMDB_TIMEOUT_MS: '10000', // only a hang reaches it, also on a busy machine
      },
    });
  });
  afterAll(async () => {
    await t?.stop();
    await tmdb?.close();
  });
  beforeEach(() => {
    tmdb.reset();
    tmdb.setScore('TV', GLORY, { voteAverage: 8.6, voteCount: 1500 });
    tmdb.setDetails('TV', GLORY, {
      name: 'The Glory',
      originalName: '더 글로리',
      tagline: "Let's wilt and die together.",
      overview: 'A refreshed overview from TMDB.',
      date: '2022-12-30',
      genres: ['Drama', 'Mystery'],
      posterPath: '/glory.jpg',
    });
  });

  it('creates a title from TMDB details, with recommendations labelled by the shared genre', async () => {
    tmdb.setScore('TV', 1001, { voteAverage: 7.9, voteCount: 900 });
    tmdb.setDetails('TV', 1001, {
      name: 'Mouse',
      date: '2021-03-03',
      genres: ['Crime', 'Mystery'],
      tagline: 'Who is the predator?',
    });
    tmdb.setScore('TV', 1002, { voteAverage: 8.1, voteCount: 700 });
    tmdb.setDetails('TV', 1002, {
      name: 'Signal',
      date: '2016-01-22',
      genres: ['Sci-Fi & Fantasy'],
    });
    tmdb.setScore('TV', 1003, { voteAverage: 7, voteCount: 10 });
    tmdb.setDetails('TV', 1003, { name: 'Beyond Evil', date: '2021-02-19', genres: ['Drama'] });
    tmdb.setRecommendations('TV', 1001, [
      { mediaType: 'TV', id: 1002 },
      { mediaType: 'TV', id: 1003 },
      { mediaType: 'TV', id: 1004 }, // beyond the asked-for 2: never fetched
    ]);
    const response = await importTitle(1001, 'TV', 2);
    expect(response.errors).toBeUndefined();
    const { created, title, recommendedTitles } = response.data!.importTitleFromTmdb;
    expect(created).toBe(true);
    expect(title).toMatchObject({
      slug: 'mouse',
      name: 'Mouse',
      year: 2021,
      tagline: 'Who is the predator?',
      genres: ['Crime', 'Mystery'],
      tmdbId: 1001,
      revision: 1,
      tmdbScore: { voteAverage: 7.9, voteCount: 900 },
    });
    expect(recommendedTitles.map((r) => r.slug)).toEqual(['signal', 'beyond-evil']);
    expect(title.recommendations.map((r) => [r.title.slug, r.label, r.reason])).toEqual([
      ['signal', 'More Sci-Fi & Fantasy', ''], // no shared genre: the recommended title's own
      ['beyond-evil', 'More Drama', ''],
    ]);
    expect(tmdb.count('/tv/1004')).toBe(0);
  });

  it('refreshes the TMDB-owned fields of an existing title and leaves curated text alone', async () => {
    const before = (await execute(t.url, EditorPageDocument, { slug: 'the-glory' })).data!.title!;
    const response = await importTitle(GLORY, 'TV');
    expect(response.errors).toBeUndefined();
    const { created, title } = response.data!.importTitleFromTmdb;
    expect(created).toBe(false);
    expect(title).toMatchObject({
      id: before.id,
      slug: 'the-glory',
      originalName: '더 글로리',
      overview: 'A refreshed overview from TMDB.',
      genres: ['Drama', 'Mystery'],
      posterPath: '/glory.jpg',
      revision: before.revision + 1,
      tmdbScore: { voteAverage: 8.6, voteCount: 1500 },
    });
    // Curated: the verdict, the facts (with their verification) and Watch Next, unchanged.
    expect(title.verdictBlurb).toBe(before.verdictBlurb);
    expect(title.facts).toEqual(before.facts);
    expect(title.recommendations).toEqual(before.recommendations);
    // A second import finds nothing new: no revision bump.
    const again = await importTitle(GLORY, 'TV');
    expect(again.data!.importTitleFromTmdb.title.revision).toBe(before.revision + 1);
  });

  it('writes nothing when TMDB fails part-way: UPSTREAM_UNAVAILABLE', async () => {
    tmdb.setScore('TV', 2001, { voteAverage: 7, voteCount: 1 });
    tmdb.setDetails('TV', 2001, { name: 'Half Imported', genres: ['Drama'] });
    tmdb.setScore('TV', 2002, { voteAverage: 7, voteCount: 1 });
    tmdb.setDetails('TV', 2002, { name: 'Never Written', genres: ['Drama'] });
    tmdb.setRecommendations('TV', 2001, [{ mediaType: 'TV', id: 2002 }]);
    tmdb.behave({ status: 503 }, { mediaType: 'TV', id: 2002 });
    const before = await state();
    const response = await importTitle(2001, 'TV', 1);
    expect(errorCode(response)).toBe('UPSTREAM_UNAVAILABLE');
    expect(await state()).toEqual(before);
    expect(tmdb.count('/tv/2002')).toBeGreaterThan(0); // it was tried (and retried)
  });

  it('treats a malformed TMDB answer as UPSTREAM_UNAVAILABLE and an unknown id as NOT_FOUND', async () => {
    const before = await state();
    tmdb.behave({ body: { id: 3001, vote_average: 'high' } }, { mediaType: 'MOVIE', id: 3001 });
    expect(errorCode(await importTitle(3001, 'MOVIE'))).toBe('UPSTREAM_UNAVAILABLE');
    const unknown = await importTitle(3002, 'MOVIE');
    expect(errorCode(unknown)).toBe('NOT_FOUND');
    expect(unknown.errors![0].extensions!.field).toBe('tmdbId');
    expect(await state()).toEqual(before);
  });

  it('says TMDB is not configured when the server has no TMDB credentials', async () => {
    const bare = await startTestApp({ env: { ADMIN_TOKEN: ADMIN } });
    try {
      const response = await execute(
        bare.url,
        ImportTitleFromTmdbDocument,
        { tmdbId: GLORY, mediaType: 'TV' },
        EDITOR,
      );
      expect(errorCode(response)).toBe('UPSTREAM_UNAVAILABLE');
      expect(response.errors![0].message).toMatch(/TMDB is not configured.*TMDB_API_TOKEN/);
    } finally {
      await bare.stop();
    }
  });

  it('refuses a recommendation count out of range with BAD_USER_INPUT', async () => {
    const response = await importTitle(GLORY, 'TV', 11);
    expect(errorCode(response)).toBe('BAD_USER_INPUT');
    expect(response.errors![0].extensions!.fields).toEqual([
      expect.objectContaining({ field: 'recommendations' }),
    ]);
  });
});
