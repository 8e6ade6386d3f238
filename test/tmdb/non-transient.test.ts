import type { TmdbScoreRequest } from '../../src/tmdb';
import { pathOf } from '../fakes/fake-tmdb';
import {
  TOKEN,
  errorCode,
  scoreRequest,
  settle,
  testConfig,
  warnings,
  type ServiceSetup,
  useFakeTmdb,
} from './helpers';

const NEGATIVE_TTL_MS = 10 * 60_000;
const CREDENTIALS_PAUSE_MS = 5 * 60_000;
const snapshot = { voteAverage: 6.1, voteCount: 61, fetchedAt: new Date('2024-06-06') };

/**
 * Failures a repeat will not fix (404, malformed body, rejected credentials)
 * must not cost TMDB a request and us a log line on every page view.
 */
describe('TmdbScores: failures that are not transient', () => {
  const tmdb = useFakeTmdb();
  const { services } = tmdb;
  const setup = (options: Omit<Parameters<typeof services.create>[0], 'baseUrl'> = {}) =>
    services.create({
      baseUrl: tmdb.fake.baseUrl,
      // A logger that does not know the secrets: only the TMDB code keeps them out of logs.
      loggerConfig: testConfig({}),
      ...options,
      resilience: {
        negativeCacheTtlMs: NEGATIVE_TTL_MS,
        credentialsPauseMs: CREDENTIALS_PAUSE_MS,
        ...options.resilience,
      },
    });

  /**
   * `pages` page views one after the other, each with its own loader (as
   * separate GraphQL requests have), each waiting for its background work.
   */
  async function viewPages(
    { scores }: ServiceSetup,
    pages: number,
    requestsOf: (page: number) => TmdbScoreRequest[],
  ) {
    const results = [];
    for (let page = 0; page < pages; page += 1) {
      const loader = scores.createLoader();
      results.push(...(await Promise.all(requestsOf(page).map((r) => settle(loader.load(r))))));
      await scores.whenIdle();
    }
    return results;
  }

  describe('404 and malformed bodies are remembered per id', () => {
    it('a 404 id costs one request and one warning per period, however many pages ask', async () => {
      tmdb.fake.setScore('TV', 404, { voteAverage: 7.4, voteCount: 74 }); // same number, other type
      const service = setup();
      const wrongId = () => [scoreRequest('MOVIE', 404)];

      const first = await viewPages(service, 100, wrongId);
      first.forEach((r) => expect(errorCode(r.error)).toBe('UPSTREAM_UNAVAILABLE'));
      expect(tmdb.fake.count(pathOf('MOVIE', 404))).toBe(1);
      expect(warnings(service.logs)).toHaveLength(1);
      expect(warnings(service.logs)[0]).toMatchObject({
        status: 404,
        path: '/movie/404',
        notAskedAgainForMs: NEGATIVE_TTL_MS,
      });
      // Other ids, even the TV title with the same number, are asked as usual.
      await expect(
        service.scores.createLoader().load(scoreRequest('TV', 404)),
      ).resolves.toMatchObject({ voteAverage: 7.4, stale: false });

      service.clock.advance(NEGATIVE_TTL_MS - 1);
      await viewPages(service, 10, wrongId);
      expect(tmdb.fake.count(pathOf('MOVIE', 404))).toBe(1);

      // The period is over: one page asks again (still 404), the next ones do not.
      service.clock.advance(1);
      const second = await viewPages(service, 10, wrongId);
      second.forEach((r) => expect(errorCode(r.error)).toBe('UPSTREAM_UNAVAILABLE'));
      expect(tmdb.fake.count(pathOf('MOVIE', 404))).toBe(2);
      expect(warnings(service.logs)).toHaveLength(2);

      // Once TMDB knows the id, the first page after the period gets its score.
      tmdb.fake.setScore('MOVIE', 404, { voteAverage: 5.5, voteCount: 55 });
      service.clock.advance(NEGATIVE_TTL_MS);
      await expect(service.scores.createLoader().load(wrongId()[0]!)).resolves.toMatchObject({
        voteAverage: 5.5,
        stale: false,
      });
      expect(tmdb.fake.count(pathOf('MOVIE', 404))).toBe(3);
    });

    it('serves the snapshot (stale) for a remembered id without asking TMDB', async () => {
      const service = setup();
      const withSnapshot = () => [scoreRequest('TV', 9404, snapshot)];

      const served = await viewPages(service, 50, withSnapshot);
      served.forEach((r) => expect(r.value).toEqual({ ...snapshot, stale: true }));
      expect(tmdb.fake.count(pathOf('TV', 9404))).toBe(1); // the first page's background refresh
      expect(warnings(service.logs)).toHaveLength(1);

      service.clock.advance(NEGATIVE_TTL_MS);
      const later = await viewPages(service, 50, withSnapshot);
      later.forEach((r) => expect(r.value).toEqual({ ...snapshot, stale: true }));
      expect(tmdb.fake.count(pathOf('TV', 9404))).toBe(2);
      expect(warnings(service.logs)).toHaveLength(2);
    });

    it('remembers a malformed body the same way', async () => {
      tmdb.fake.behave({ body: { vote_average: 'high' } }, { mediaType: 'MOVIE', id: 3 });
      const service = setup();
      const pages = () => [scoreRequest('MOVIE', 3)];

      const results = await viewPages(service, 30, pages);
      results.forEach((r) => expect(errorCode(r.error)).toBe('UPSTREAM_UNAVAILABLE'));
      expect(tmdb.fake.count(pathOf('MOVIE', 3))).toBe(1);
      expect(warnings(service.logs)).toEqual([expect.objectContaining({ kind: 'malformed' })]);

      service.clock.advance(NEGATIVE_TTL_MS);
      await viewPages(service, 30, pages);
      expect(tmdb.fake.count(pathOf('MOVIE', 3))).toBe(2);
    });

    it('does not remember a transient failure: the next page asks again', async () => {
      tmdb.fake.setScore('TV', 5, { voteAverage: 5, voteCount: 5 });
      tmdb.fake.behave({ status: 500, times: 1 }, { mediaType: 'TV', id: 5 });
      const service = setup({ resilience: { maxRetries: 0 } });

      const [failed, next] = await viewPages(service, 2, () => [scoreRequest('TV', 5)]);
      expect(errorCode(failed!.error)).toBe('UPSTREAM_UNAVAILABLE');
      expect(next!.value).toMatchObject({ voteAverage: 5, stale: false });
      expect(tmdb.fake.count(pathOf('TV', 5))).toBe(2);
    });
  });

  describe('401/403: rejected credentials pause every TMDB call', () => {
    beforeEach(() => {
      for (let id = 1; id <= 40; id += 1)
        tmdb.fake.setScore('TV', id, { voteAverage: 8, voteCount: id });
    });

    /** A page of three titles, one of them with a stored snapshot. */
    const pageOfThree = (page: number) => [
      scoreRequest('TV', 2 + page * 3),
      scoreRequest('TV', 3 + page * 3, snapshot),
      scoreRequest('TV', 4 + page * 3),
    ];

    it.each([401, 403])(
      'a %i costs one request across many ids, logs one error without the token, and calls resume after the pause',
      async (status) => {
        tmdb.fake.behave({ status });
        const service = setup();

        const first = await viewPages(service, 1, () => [scoreRequest('TV', 1)]);
        expect(errorCode(first[0]!.error)).toBe('UPSTREAM_UNAVAILABLE');
        expect(tmdb.fake.count()).toBe(1);

        // Other ids on other pages: answered from snapshots or as field errors, with TMDB
        // never asked (the count below), so with nothing to wait for.
        const paused = await viewPages(service, 10, pageOfThree);
        paused.forEach((r, i) => {
          if (i % 3 === 1) expect(r.value).toEqual({ ...snapshot, stale: true });
          else expect(errorCode(r.error)).toBe('UPSTREAM_UNAVAILABLE');
        });
        expect(tmdb.fake.count()).toBe(1);

        service.clock.advance(CREDENTIALS_PAUSE_MS - 1);
        await viewPages(service, 3, pageOfThree);
        expect(tmdb.fake.count()).toBe(1);

        const logged = warnings(service.logs);
        expect(logged).toHaveLength(1);
        expect(logged[0]).toMatchObject({ level: 50, status, pauseMs: CREDENTIALS_PAUSE_MS });
        expect(logged[0]!.msg).toContain('credentials were rejected');
        expect(service.logs.join('\n')).not.toContain(TOKEN);

        // The credentials are fixed: after the pause one call goes out, succeeds, and calls resume.
        tmdb.fake.behave(null);
        service.clock.advance(1);
        await expect(
          service.scores.createLoader().load(scoreRequest('TV', 1)),
        ).resolves.toMatchObject({ voteCount: 1, stale: false });
        expect(tmdb.fake.count()).toBe(2);
        await viewPages(service, 1, pageOfThree); // the snapshot is served, then refreshed
        expect(tmdb.fake.count()).toBe(5);
        const resumed = await viewPages(service, 1, pageOfThree);
        resumed.forEach((r) => expect(r.value).toMatchObject({ voteAverage: 8, stale: false }));
        expect(tmdb.fake.count()).toBe(5);
        expect(service.logs.some((line) => line.includes('accepted the credentials again'))).toBe(
          true,
        );
        expect(warnings(service.logs)).toHaveLength(1);
      },
    );

    it('after the pause lets a single trial call through; refused again, it starts a new pause', async () => {
      tmdb.fake.behave({ status: 401 });
      const service = setup();
      await viewPages(service, 1, () => [scoreRequest('TV', 1)]);
      expect(tmdb.fake.count()).toBe(1);

      // A busy page right after the pause: only one of its ten titles is asked for.
      service.clock.advance(CREDENTIALS_PAUSE_MS);
      const page = Array.from({ length: 10 }, (_, i) => scoreRequest('TV', 10 + i));
      const results = await viewPages(service, 1, () => page);
      results.forEach((r) => expect(errorCode(r.error)).toBe('UPSTREAM_UNAVAILABLE'));
      expect(tmdb.fake.count()).toBe(2);
      expect(warnings(service.logs)).toHaveLength(2); // one error per pause

      await viewPages(service, 5, pageOfThree);
      service.clock.advance(CREDENTIALS_PAUSE_MS - 1);
      await viewPages(service, 5, pageOfThree);
      expect(tmdb.fake.count()).toBe(2);
      service.clock.advance(1);
      await viewPages(service, 1, () => page);
      expect(tmdb.fake.count()).toBe(3);
      expect(service.logs.join('\n')).not.toContain(TOKEN);
    });

    it('a page already asking for many ids when the 401 comes back logs it once and stops there', async () => {
      tmdb.fake.behave({ status: 401, latencyMs: 30 });
      const service = setup(); // maxConcurrency 8
      const many = Array.from({ length: 40 }, (_, i) => scoreRequest('TV', 1 + i));

      await viewPages(service, 1, () => many);
      const sent = tmdb.fake.count();
      expect(sent).toBeGreaterThanOrEqual(1);
      expect(sent).toBeLessThanOrEqual(8); // at most the calls already in flight
      await viewPages(service, 5, () => many);
      expect(tmdb.fake.count()).toBe(sent);
      expect(warnings(service.logs)).toHaveLength(1);
    });
  });
});
