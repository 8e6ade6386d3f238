import { pathOf } from '../fakes/fake-tmdb';
import { errorCode, eventually, scoreRequest, settle, sleep, useFakeTmdb } from './helpers';

/** Slow, failing, throttling and hanging TMDB: pages stay fast and TMDB is spared. */
describe('TmdbScores: resilience', () => {
  const tmdb = useFakeTmdb();
  const { setup } = tmdb;

  describe('retries', () => {
    it('retries a 5xx with backoff and serves the value within the page budget', async () => {
      tmdb.fake.setScore('TV', 1, { voteAverage: 8.8, voteCount: 88 });
      tmdb.fake.behave({ status: 500, times: 2 }, { mediaType: 'TV', id: 1 });
      const { scores } = setup({ resilience: { maxRetries: 2 } });

      const score = await scores.createLoader().load(scoreRequest('TV', 1));

      expect(score).toMatchObject({ voteAverage: 8.8, stale: false });
      expect(tmdb.fake.count(pathOf('TV', 1))).toBe(3);
    });

    it('does not retry a 4xx or a malformed body', async () => {
      tmdb.fake.behave({ status: 400 }, { mediaType: 'TV', id: 2 });
      tmdb.fake.behave({ body: { vote_average: 'high' } }, { mediaType: 'TV', id: 3 });
      const { scores } = setup({ resilience: { maxRetries: 3 } });
      const loader = scores.createLoader();

      const results = await Promise.all(
        [404, 2, 3].map((id) => settle(loader.load(scoreRequest('TV', id)))),
      );
      await scores.whenIdle();

      results.forEach((r) => expect(errorCode(r.error)).toBe('UPSTREAM_UNAVAILABLE'));
      expect(tmdb.fake.count()).toBe(3);
    });

    it('keeps fetching after the page deadline, then fills the cache and the snapshot', async () => {
      tmdb.fake.setScore('MOVIE', 10, { voteAverage: 7.7, voteCount: 70 });
      tmdb.fake.behave({ hang: true, times: 1 }); // the first attempt times out, the retry answers
      const { scores, saved } = setup({ env: { TMDB_TIMEOUT_MS: '200' } });

      const first = await settle(scores.createLoader().load(scoreRequest('MOVIE', 10)));
      expect(errorCode(first.error)).toBe('UPSTREAM_UNAVAILABLE');

      await scores.whenIdle();
      expect(tmdb.fake.count()).toBe(2);
      expect(saved).toHaveLength(1);
      expect(saved[0]?.snapshot).toMatchObject({ voteAverage: 7.7, voteCount: 70 });
      const next = await scores.createLoader().load(scoreRequest('MOVIE', 10));
      expect(next).toMatchObject({ voteAverage: 7.7, stale: false });
      expect(tmdb.fake.count()).toBe(2);
    });
  });

  describe('circuit breaker', () => {
    it('opens after 5 consecutive failures, stops calling TMDB, and recovers through a trial call', async () => {
      tmdb.fake.behave({ status: 500 });
      for (let id = 1; id <= 30; id += 1)
        tmdb.fake.setScore('TV', id, { voteAverage: 6, voteCount: id });
      const { scores } = setup({ resilience: { maxRetries: 0, breakerCooldownMs: 300 } });
      const loadOne = (id: number) => settle(scores.createLoader().load(scoreRequest('TV', id)));

      for (let id = 1; id <= 5; id += 1) {
        expect(errorCode((await loadOne(id)).error)).toBe('UPSTREAM_UNAVAILABLE');
      }
      expect(tmdb.fake.count()).toBe(5);
      expect(scores.circuitState).toBe('open');

      // Open: pages get their answer without TMDB hearing anything, so nothing to wait for.
      const loader = scores.createLoader();
      const refused = await Promise.all(
        [6, 7, 8, 9, 10].map((id) => settle(loader.load(scoreRequest('TV', id)))),
      );
      refused.forEach((r) => expect(errorCode(r.error)).toBe('UPSTREAM_UNAVAILABLE'));
      expect(tmdb.fake.count()).toBe(5);

      // After the cool-down one trial call goes out; it fails, so the circuit opens again.
      await sleep(350);
      await loadOne(11);
      expect(tmdb.fake.count()).toBe(6);
      expect(scores.circuitState).toBe('open');
      await loadOne(12);
      expect(tmdb.fake.count()).toBe(6);

      // TMDB recovers: the next trial call succeeds and closes the circuit.
      tmdb.fake.behave(null);
      await sleep(350);
      await expect(scores.createLoader().load(scoreRequest('TV', 20))).resolves.toMatchObject({
        voteCount: 20,
        stale: false,
      });
      expect(scores.circuitState).toBe('closed');
      const after = scores.createLoader();
      await Promise.all([21, 22, 23].map((id) => after.load(scoreRequest('TV', id))));
      expect(tmdb.fake.count()).toBe(10);
    });

    it('serves snapshots while the circuit is open', async () => {
      tmdb.fake.behave({ status: 503 });
      const { scores } = setup({ resilience: { maxRetries: 4, breakerThreshold: 5 } });
      await settle(scores.createLoader().load(scoreRequest('TV', 1))); // 5 attempts open it
      await scores.whenIdle();
      expect(scores.circuitState).toBe('open');
      expect(tmdb.fake.count()).toBe(5);

      const snapshot = { voteAverage: 5.5, voteCount: 55, fetchedAt: new Date('2024-02-02') };
      const score = await scores.createLoader().load(scoreRequest('TV', 2, snapshot));
      await scores.whenIdle();

      expect(score).toEqual({ ...snapshot, stale: true });
      expect(tmdb.fake.count()).toBe(5);
    });
  });

  describe('429 Too Many Requests', () => {
    it('pauses every TMDB call until Retry-After has passed, then resumes', async () => {
      for (const id of [1, 2, 3])
        tmdb.fake.setScore('MOVIE', id, { voteAverage: 7, voteCount: id });
      tmdb.fake.behave({ status: 429, retryAfterSeconds: 2, times: 1 });
      const { scores, clock, logs } = setup();
      const snapshot = { voteAverage: 6.9, voteCount: 2, fetchedAt: new Date('2024-03-03') };

      const throttled = await settle(scores.createLoader().load(scoreRequest('MOVIE', 1)));
      expect(errorCode(throttled.error)).toBe('UPSTREAM_UNAVAILABLE');
      expect(tmdb.fake.count()).toBe(1); // a 429 is not retried

      // Other ids too: nothing goes out during the pause, pages are answered at once.
      const page = scores.createLoader();
      const [withSnapshot, without] = await Promise.all([
        page.load(scoreRequest('MOVIE', 2, snapshot)),
        settle(page.load(scoreRequest('MOVIE', 3))),
      ]);
      await scores.whenIdle();
      expect(withSnapshot).toEqual({ ...snapshot, stale: true });
      expect(errorCode(without.error)).toBe('UPSTREAM_UNAVAILABLE');
      clock.advance(1999);
      await settle(scores.createLoader().load(scoreRequest('MOVIE', 3)));
      expect(tmdb.fake.count()).toBe(1);
      expect(logs.some((line) => line.includes('429'))).toBe(true);

      clock.advance(2);
      await expect(scores.createLoader().load(scoreRequest('MOVIE', 3))).resolves.toMatchObject({
        voteCount: 3,
        stale: false,
      });
      expect(tmdb.fake.count()).toBe(2);
    });
  });

  describe('a hanging TMDB', () => {
    it('gives a page up after timeoutMs, abandoning the request', async () => {
      // TMDB never answers: the page can only end by the client's own deadline.
      tmdb.fake.behave({ hang: true });
      const { scores } = setup({ env: { TMDB_TIMEOUT_MS: '300' } });

      const started = Date.now();
      const result = await settle(scores.createLoader().load(scoreRequest('TV', 1)));

      expect(errorCode(result.error)).toBe('UPSTREAM_UNAVAILABLE');
      expect(Date.now() - started).toBeGreaterThanOrEqual(290); // it did wait for TMDB first
      await eventually(() => tmdb.fake.inFlight === 0); // and hung up, not left the socket open
    });

    it('gives 50 titles up by one deadline, without more than maxConcurrency calls at once', async () => {
      tmdb.fake.behave({ hang: true });
      const { scores } = setup({ env: { TMDB_TIMEOUT_MS: '500' } });
      const loader = scores.createLoader();

      const results = await Promise.all(
        Array.from({ length: 50 }, (_, i) => settle(loader.load(scoreRequest('MOVIE', 500 + i)))),
      );

      results.forEach((r) => expect(errorCode(r.error)).toBe('UPSTREAM_UNAVAILABLE'));
      expect(tmdb.fake.maxInFlight).toBeLessThanOrEqual(8);
      // The page was answered while most titles were still queued behind the first 8:
      // they share the page's deadline instead of each waiting for its own call in turn
      // (which would have sent all 50 before answering).
      expect(tmdb.fake.count()).toBeLessThan(50);
    });

    it('serves a snapshot without waiting at all', async () => {
      tmdb.fake.behave({ hang: true });
      const { scores } = setup({ env: { TMDB_TIMEOUT_MS: '1000' } });
      const snapshot = { voteAverage: 8, voteCount: 8, fetchedAt: new Date('2024-04-04') };

      const score = await scores.createLoader().load(scoreRequest('TV', 1, snapshot));

      // Served while TMDB still holds the refresh (it never answers).
      expect(score).toEqual({ ...snapshot, stale: true });
      await eventually(() => tmdb.fake.inFlight === 1);
    });

    it('close() cancels background calls and releases their sockets', async () => {
      tmdb.fake.behave({ hang: true });
      // TMDB never answers and the timeout outlasts the test: only cancelling ends these calls.
      const { scores } = setup({ env: { TMDB_TIMEOUT_MS: '600000' } });
      const snapshot = { voteAverage: 8, voteCount: 8, fetchedAt: new Date('2024-04-04') };
      const loader = scores.createLoader();
      await Promise.all([1, 2, 3].map((id) => loader.load(scoreRequest('TV', id, snapshot))));
      await eventually(() => tmdb.fake.inFlight === 3);

      await scores.close();
      await scores.whenIdle();

      await eventually(() => tmdb.fake.inFlight === 0, 1000);
    });
  });
});
