import { MongoServerError } from 'mongodb';
import { RateAccuracyDocument, TitleByIdDocument, TitlePageDocument } from '../generated/graphql';
import { SCHEMA } from '../../src/store/mongo/schema';
import { errorCode, execute, postRaw } from '../helpers/graphql-client';
import { describeMongo, openTestDatabase, type TestDatabase } from '../helpers/mongo';
import { startTestApp, type TestApp, waitFor } from '../helpers/test-app';

/**
 * Start-up on MongoDB, through the real app: a restart on an existing database
 * becomes ready even where the server lacks admin commands (the protocol test
 * server has no collMod, like some managed services), and while the store is
 * not ready operations are refused with SERVICE_UNAVAILABLE and HTTP 503,
 * /readyz is 503, and the logs have one line about it, not one per request.
 */
const GLORY_ID = Buffer.from('Title:the-glory').toString('base64url');

/** pino's numeric levels, as the JSON log lines carry them. */
const WARN = 40;
const ERROR = 50;
const levelOf = (line: string): number => (JSON.parse(line) as { level: number }).level;

describeMongo('start-up and readiness', (uri) => {
  let database: TestDatabase;
  const apps: TestApp[] = [];
  const start = async (options: { waitUntilReady?: boolean } = {}) => {
    const app = await startTestApp({ env: { MONGODB_URI: database.uri }, ...options });
    apps.push(app);
    return app;
  };

  beforeEach(() => {
    database = openTestDatabase(uri);
  });
  afterEach(async () => {
    for (const app of apps.splice(0)) await app.stop();
    await database?.drop();
  });

  it('restarts on the same database and becomes ready; what the server lacks is one warning', async () => {
    const first = await start();
    const rated = await execute(first.url, RateAccuracyDocument, {
      input: { titleId: GLORY_ID, score: 4, voterId: 'restart-voter-1' },
    });
    expect(rated.errors).toBeUndefined();
    await first.stop();

    const second = await start();
    expect((await fetch(`${second.url}/readyz`)).status).toBe(200);
    const page = await execute(second.url, TitlePageDocument, { slug: 'the-glory' });
    expect(page.errors).toBeUndefined();
    expect(page.data?.title?.name).toBe('The Glory');
    expect(page.data?.title?.accuracy.count).toBe(1);

    const skipWarnings = second.logs.filter((line) => line.includes('MongoDB schema: skipped'));
    if (await serverHasCollMod(database)) {
      // MongoDB: the validators were already in place; nothing to skip.
      expect(skipWarnings).toEqual([]);
    } else {
      // The test server: collMod is missing, so each validator update is skipped, in one warning.
      expect(skipWarnings).toHaveLength(1);
      expect(levelOf(skipWarnings[0])).toBe(WARN);
      for (const spec of SCHEMA) {
        expect(skipWarnings[0]).toContain(
          `${spec.name} validator update (collMod: CommandNotFound`,
        );
      }
    }
    expect(second.logs.filter((line) => levelOf(line) >= ERROR)).toEqual([]);
  });

  it('keys titles written before search used the normalised name, and drops the index it replaces', async () => {
    await (await start()).stop();
    // As an older version left them: no nameKey or nameTrigrams, an index on the raw name.
    const titles = database.db.collection('titles');
    await titles.updateMany({}, { $unset: { nameKey: '', nameTrigrams: '' } });
    await titles.createIndex({ name: 1 }, { name: 'titles_name' });

    const t = await start();
    const found = await postRaw<{
      titles: { totalCount: number; edges: { node: { slug: string } }[] };
    }>(t.url, { query: '{ titles(search: "ＧＬＯＲＹ") { totalCount edges { node { slug } } } }' });
    expect(found.data?.titles).toEqual({ totalCount: 1, edges: [{ node: { slug: 'the-glory' } }] });
    const glory = await titles.findOne({ _id: 'the-glory' as never });
    expect(glory).toMatchObject({
      nameKey: 'the glory',
      nameTrigrams: expect.arrayContaining(['the', 'glo']),
    });
    expect(await titles.countDocuments({ nameKey: { $exists: false } })).toBe(0);
    const indexes = (await titles.listIndexes().toArray()).map((index) => index.name);
    expect(indexes).toContain('titles_name_trigrams');
    expect(indexes).not.toContain('titles_name');
  });

  it('while not ready: operations refused with 503 SERVICE_UNAVAILABLE, /readyz 503, one log line', async () => {
    // Two ratings by one voter of one target: the required unique index cannot be built.
    const stray = { targetKey: 'title:the-glory', voterId: 'dup-voter-1', titleId: 'the-glory' };
    await database.db.collection<{ _id: string; score: number }>('ratings').insertMany([
      { _id: 'dup-1', ...stray, score: 3 },
      { _id: 'dup-2', ...stray, score: 4 },
    ]);
    const t = await start({ waitUntilReady: false });
    await waitFor(() => t.logs.some((line) => line.includes('store not ready yet')));
    await new Promise((resolve) => setTimeout(resolve, 1000)); // the bootstrap loop retries meanwhile

    for (let i = 0; i < 5; i++) {
      const page = await execute(t.url, TitlePageDocument, { slug: 'the-glory' });
      expect(page.status).toBe(503);
      expect(page.data).toBeUndefined(); // the whole operation, not a null title beside ratingScale
      expect(page.errors?.map((e) => e.extensions?.code)).toEqual(['SERVICE_UNAVAILABLE']);
      const rating = await execute(t.url, RateAccuracyDocument, {
        input: { titleId: GLORY_ID, score: 5, voterId: `not-ready-voter-${i}` },
      });
      expect(rating.status).toBe(503);
      expect(errorCode(rating)).toBe('SERVICE_UNAVAILABLE');
      expect((await fetch(`${t.url}/readyz`)).status).toBe(503);
    }
    expect(t.app.bootstrap.ready).toBe(false);
    expect(t.logs.filter((line) => levelOf(line) >= ERROR)).toEqual([]);
    const reported = t.logs.filter((line) => line.includes('ratings_target_voter_unique'));
    expect(reported).toHaveLength(1);
    expect(levelOf(reported[0])).toBe(WARN);
    expect(reported[0]).toContain('store not ready yet');
    expect(await database.db.collection('ratings').countDocuments()).toBe(2);

    // The operator removes the duplicate: the store gets ready by itself, seeds, and serves.
    await database.db.collection<{ _id: string }>('ratings').deleteOne({ _id: 'dup-2' });
    await waitFor(() => t.app.bootstrap.ready, 10_000);
    expect((await fetch(`${t.url}/readyz`)).status).toBe(200);
    const page = await execute(t.url, TitleByIdDocument, { slug: 'the-glory' });
    expect(page.errors).toBeUndefined();
    expect(page.data?.title?.name).toBe('The Glory');
  });

  it('upgrades titles from before TMDB identities were unique: names titles that share one, then keys them', async () => {
    await start();
    // As an earlier version left the database: no tmdbKey, the old non-unique index, and two
    // titles with one TMDB identity.
    const titles = database.db.collection<{ _id: string }>('titles');
    await titles.dropIndex('titles_tmdb_key_unique');
    await titles.createIndex({ tmdbId: 1, mediaType: 1 }, { name: 'titles_tmdb' });
    await titles.updateMany({}, { $unset: { tmdbKey: '' } });
    await titles.updateOne({ _id: 'vincenzo' }, { $set: { tmdbId: 136283, mediaType: 'TV' } });
    for (const app of apps.splice(0)) await app.stop();

    const t = await start({ waitUntilReady: false });
    await waitFor(() => t.logs.some((line) => line.includes('titles_tmdb_key_unique')));
    const reported = t.logs.find((line) => line.includes('titles_tmdb_key_unique'))!;
    expect(reported).toContain('store not ready yet');
    expect(reported).toMatch(/the-glory, vincenzo|vincenzo, the-glory/);
    expect(reported).toContain('A TMDB identity must name one title');
    expect((await fetch(`${t.url}/readyz`)).status).toBe(503);

    // The operator clears it on one of them, as the message says: ready, keyed, old index gone.
    await titles.updateOne(
      { _id: 'vincenzo' },
      { $set: { tmdbId: null }, $unset: { tmdbKey: '' } },
    );
    await waitFor(() => t.app.bootstrap.ready, 10_000);
    const glory = await titles.findOne({ _id: 'the-glory' });
    expect(glory).toMatchObject({ tmdbId: 136283, tmdbKey: 'TV:136283' });
    const indexes = (await titles.listIndexes().toArray()).map((ix) => ix.name);
    expect(indexes).toContain('titles_tmdb_key_unique');
    expect(indexes).not.toContain('titles_tmdb');
    expect((await t.store.titlesByTmdbIds([{ tmdbId: 136283, mediaType: 'TV' }]))[0]?.id).toBe(
      'the-glory',
    );
  });
});

/** Whether the server runs collMod (a no-op one); the protocol test server answers CommandNotFound. */
async function serverHasCollMod(database: TestDatabase): Promise<boolean> {
  try {
    await database.db.command({ collMod: 'titles' });
    return true;
  } catch (error) {
    if (error instanceof MongoServerError && [59, 115].includes(Number(error.code))) return false;
    throw error;
  }
}
