import { TMDB_UNAVAILABLE_MESSAGE } from '../../src/tmdb';
import { pathOf } from '../fakes/fake-tmdb';
import { errorCode, heldAnswer, scoreRequest, settle, useFakeTmdb } from './helpers';

/** Batching, caching, stale-while-revalidate and snapshots: what a page costs TMDB. */
describe('TmdbScores: batching and caching', () => {
  const tmdb = useFakeTmdb();
  const { setup } = tmdb;

  const ids = Array.from({ length: 50 }, (_, i) => 1000 + i);
  const scoreOf = (id: number) => ({ voteAverage: (id % 100) / 10, voteCount: id * 3 });
  const seedAll = () => ids.forEach((id) => tmdb.fake.setScore('MOVIE', id, scoreOf(id)));

  it('fetches 50 distinct ids with exactly 50 requests, in parallel but at most maxConcurrency at once', async () => {
    seedAll();
    tmdb.fake.behave({ latencyMs: 20 });
    const { scores } = setup();
    const loader = scores.createLoader();

    const results = await Promise.all(ids.map((id) => loader.load(scoreRequest('MOVIE', id))));

    expect(tmdb.fake.count()).toBe(50);
    for (const id of ids) expect(tmdb.fake.count(pathOf('MOVIE', id))).toBe(1);
    results.forEach((result, i) =>
      expect(result).toEqual({ ...scoreOf(ids[i]), fetchedAt: expect.any(Date), stale: false }),
    );
    expect(tmdb.fake.maxInFlight).toBeGreaterThan(1);
    expect(tmdb.fake.maxInFlight).toBeLessThanOrEqual(8);
  });

  it('fetches an id asked for several times on one page once', async () => {
    seedAll();
    const { scores } = setup();
    const loader = scores.createLoader();

    const results = await Promise.all([
      loader.load(scoreRequest('MOVIE', 1001)),
      loader.load(scoreRequest('MOVIE', 1002)),
      loader.load(scoreRequest('MOVIE', 1001, null, 'another-title-same-tmdb-id')),
      loader.load(scoreRequest('MOVIE', 1001)),
    ]);

    expect(tmdb.fake.count()).toBe(2);
    expect(tmdb.fake.count(pathOf('MOVIE', 1001))).toBe(1);
    expect(results[0]).toEqual(results[2]);
    expect(results[0]).toEqual(results[3]);
  });

  it('keeps TV and MOVIE with the same numeric id apart', async () => {
    tmdb.fake.setScore('TV', 7, { voteAverage: 9.1, voteCount: 10 });
    tmdb.fake.setScore('MOVIE', 7, { voteAverage: 4.2, voteCount: 20 });
    const { scores } = setup();
    const loader = scores.createLoader();

    const [tv, movie] = await Promise.all([
      loader.load(scoreRequest('TV', 7)),
      loader.load(scoreRequest('MOVIE', 7)),
    ]);
    expect([tv?.voteAverage, movie?.voteAverage]).toEqual([9.1, 4.2]);
    expect(tmdb.fake.count()).toBe(2);
  });

  it('answers a repeat within the TTL from the cache: 0 requests, still fresh', async () => {
    seedAll();
    const { scores, clock } = setup(); // TTL 60 s
    const first = scores.createLoader();
    await Promise.all(ids.map((id) => first.load(scoreRequest('MOVIE', id))));
    tmdb.fake.resetRequests();

    clock.advance(59_999);
    const second = scores.createLoader(); // a new page, a new loader: only the process cache helps
    const results = await Promise.all(ids.map((id) => second.load(scoreRequest('MOVIE', id))));

    expect(tmdb.fake.count()).toBe(0);
    results.forEach((result, i) =>
      expect(result).toMatchObject({ ...scoreOf(ids[i]), stale: false }),
    );
  });

  it('shares one request between concurrent misses of different pages', async () => {
    tmdb.fake.setScore('TV', 42, { voteAverage: 8, voteCount: 5 });
    tmdb.fake.behave({ latencyMs: 100 });
    const { scores, saved } = setup();

    const [a, b] = await Promise.all([
      scores.createLoader().load(scoreRequest('TV', 42, null, 'title-a')),
      scores.createLoader().load(scoreRequest('TV', 42, null, 'title-b')),
    ]);

    expect(tmdb.fake.count()).toBe(1);
    expect(a).toEqual(b);
    await scores.whenIdle();
    expect(saved.map((s) => s.titleId).sort()).toEqual(['title-a', 'title-b']);
  });

  it('saves the snapshot of every title on one page that shares a TMDB id, with one request', async () => {
    tmdb.fake.setScore('TV', 43, { voteAverage: 7.5, voteCount: 9 });
    const { scores, saved } = setup();
    const loader = scores.createLoader();

    const [a, b] = await Promise.all([
      loader.load(scoreRequest('TV', 43, null, 'title-a')),
      loader.load(scoreRequest('TV', 43, null, 'title-b')),
    ]);

    expect(tmdb.fake.count()).toBe(1);
    expect(a).toEqual(b);
    await scores.whenIdle();
    expect(saved.map((s) => s.titleId).sort()).toEqual(['title-a', 'title-b']);
  });

  it('after the TTL serves the cached value at once (stale), refreshes once in the background, then serves it fresh', async () => {
    tmdb.fake.setScore('TV', 1399, { voteAverage: 8.0, voteCount: 100 });
    const { scores, clock, saved } = setup(); // TTL 60 s
    await scores.createLoader().load(scoreRequest('TV', 1399));
    expect(tmdb.fake.count()).toBe(1);

    tmdb.fake.setScore('TV', 1399, { voteAverage: 8.4, voteCount: 130 });
    const tmdbAnswer = heldAnswer(); // a page that waited for the refresh would never resolve
    tmdb.fake.behave({ until: tmdbAnswer.until });
    clock.advance(60_001);

    const [pageA, pageB] = await Promise.all([
      scores.createLoader().load(scoreRequest('TV', 1399)),
      scores.createLoader().load(scoreRequest('TV', 1399)),
    ]);
    expect(pageA).toMatchObject({ voteAverage: 8.0, voteCount: 100, stale: true });
    expect(pageB).toEqual(pageA);
    expect(saved).toHaveLength(1); // the refresh has not come back yet

    tmdbAnswer.release();
    await scores.whenIdle();
    expect(tmdb.fake.count()).toBe(2); // one background refresh for both pages
    expect(saved.at(-1)?.snapshot).toMatchObject({ voteAverage: 8.4, voteCount: 130 });

    const after = await scores.createLoader().load(scoreRequest('TV', 1399));
    expect(after).toMatchObject({ voteAverage: 8.4, voteCount: 130, stale: false });
    expect(after?.fetchedAt.getTime()).toBe(clock.now());
    expect(tmdb.fake.count()).toBe(2);
  });

  it('serves a stored snapshot at once (stale), then refreshes it and saves the new snapshot', async () => {
    tmdb.fake.setScore('MOVIE', 603, { voteAverage: 8.2, voteCount: 26000 });
    const tmdbAnswer = heldAnswer(); // a page that waited for the refresh would never resolve
    tmdb.fake.behave({ until: tmdbAnswer.until });
    const { scores, clock, saved } = setup();
    const snapshot = { voteAverage: 7.9, voteCount: 24000, fetchedAt: new Date('2024-01-01') };

    const served = await scores
      .createLoader()
      .load(scoreRequest('MOVIE', 603, snapshot, 'the-matrix'));
    expect(served).toEqual({ ...snapshot, stale: true });
    expect(saved).toEqual([]);

    tmdbAnswer.release();
    await scores.whenIdle();
    expect(tmdb.fake.count()).toBe(1);
    expect(saved).toEqual([
      {
        titleId: 'the-matrix',
        snapshot: { voteAverage: 8.2, voteCount: 26000, fetchedAt: new Date(clock.now()) },
      },
    ]);
    const refreshed = await scores
      .createLoader()
      .load(scoreRequest('MOVIE', 603, snapshot, 'the-matrix'));
    expect(refreshed).toMatchObject({ voteAverage: 8.2, voteCount: 26000, stale: false });
    expect(tmdb.fake.count()).toBe(1);
  });

  it('logs, and does not surface, a failed snapshot write', async () => {
    tmdb.fake.setScore('TV', 5, { voteAverage: 6.5, voteCount: 9 });
    const { scores, logs } = setup({
      saveSnapshot: () => Promise.reject(new Error('database is down')),
    });

    const score = await scores.createLoader().load(scoreRequest('TV', 5));
    await scores.whenIdle();

    expect(score).toMatchObject({ voteAverage: 6.5, stale: false });
    expect(logs.some((line) => line.includes('Could not save the TMDB snapshot'))).toBe(true);
  });

  it('without credentials never calls TMDB: serves the snapshot as stale, or null', async () => {
    tmdb.fake.setScore('TV', 1, { voteAverage: 9, voteCount: 9 });
    const { scores } = setup({ env: { TMDB_API_TOKEN: undefined, TMDB_API_KEY: undefined } });
    const snapshot = { voteAverage: 7.5, voteCount: 75, fetchedAt: new Date('2024-05-01') };
    let liveReads = 0;
    const loader = scores.createLoader(() => liveReads++);

    expect(scores.enabled).toBe(false);
    await expect(loader.load(scoreRequest('TV', 1, snapshot))).resolves.toEqual({
      ...snapshot,
      stale: true,
    });
    await expect(loader.load(scoreRequest('TV', 2))).resolves.toBeNull();
    await scores.whenIdle();
    expect(tmdb.fake.count()).toBe(0);
    // Snapshots change by writes alone: a kept answer that shows one need not expire.
    expect(liveReads).toBe(0);
  });

  it('tells its page when it looks a score up on TMDB, so a kept answer with it expires', async () => {
    tmdb.fake.setScore('TV', 1, { voteAverage: 9, voteCount: 9 });
    const { scores } = setup();
    let liveReads = 0;
    const loader = scores.createLoader(() => liveReads++);
    expect(liveReads).toBe(0);
    await expect(loader.load(scoreRequest('TV', 1))).resolves.toMatchObject({ voteAverage: 9 });
    expect(liveReads).toBeGreaterThan(0);
  });

  it('is enabled by an api key alone, and sends it', async () => {
    tmdb.fake.setScore('TV', 1, { voteAverage: 9, voteCount: 9 });
    const { scores } = setup({ env: { TMDB_API_TOKEN: undefined, TMDB_API_KEY: 'key-123' } });

    expect(scores.enabled).toBe(true);
    await expect(scores.createLoader().load(scoreRequest('TV', 1))).resolves.toMatchObject({
      voteAverage: 9,
    });
    expect(tmdb.fake.requests[0]?.apiKey).toBe('key-123');
  });

  it('fails only the key TMDB cannot answer, with UPSTREAM_UNAVAILABLE', async () => {
    tmdb.fake.setScore('TV', 1, { voteAverage: 9, voteCount: 9 });
    const { scores } = setup();
    const loader = scores.createLoader();

    const [known, unknown] = await Promise.all([
      settle(loader.load(scoreRequest('TV', 1))),
      settle(loader.load(scoreRequest('TV', 404))),
    ]);

    expect(known.value).toMatchObject({ voteAverage: 9 });
    expect(errorCode(unknown.error)).toBe('UPSTREAM_UNAVAILABLE');
    expect((unknown.error as Error).message).toBe(TMDB_UNAVAILABLE_MESSAGE);
  });
});
