import { TmdbClient, TmdbError, parseRetryAfter } from '../../src/tmdb';
import { startFakeTmdb, type FakeTmdb } from '../fakes/fake-tmdb';
import { API_KEY, TOKEN, refusedBaseUrl } from './helpers';

describe('TmdbClient (against the fake TMDB over HTTP)', () => {
  let fake: FakeTmdb;
  const clients: TmdbClient[] = [];
  const client = (config: ConstructorParameters<typeof TmdbClient>[0]) => {
    const created = new TmdbClient(config);
    clients.push(created);
    return created;
  };

  beforeAll(async () => {
    fake = await startFakeTmdb();
  });
  afterEach(() => {
    fake?.reset();
    clients.splice(0).forEach((c) => c.close());
  });
  afterAll(() => fake?.close());

  /** Runs a fetch expected to fail and returns its TmdbError. */
  async function failure(promise: Promise<unknown>): Promise<TmdbError> {
    const error = await promise.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(TmdbError);
    return error as TmdbError;
  }

  it('GETs /tv/{id} and /movie/{id} under the base URL and maps the vote fields', async () => {
    fake.setScore('TV', 1399, { voteAverage: 8.5, voteCount: 25000 });
    fake.setScore('MOVIE', 1399, { voteAverage: 6.1, voteCount: 12 });
    const tmdb = client({ baseUrl: fake.baseUrl, apiToken: TOKEN });

    await expect(tmdb.fetchVotes('TV', 1399)).resolves.toEqual({
      voteAverage: 8.5,
      voteCount: 25000,
    });
    await expect(tmdb.fetchVotes('MOVIE', 1399)).resolves.toEqual({
      voteAverage: 6.1,
      voteCount: 12,
    });
    expect(fake.requests.map((r) => r.path)).toEqual(['/tv/1399', '/movie/1399']);
  });

  it('sends the token as a Bearer header (and no api_key) when a token is configured', async () => {
    fake.setScore('TV', 1, { voteAverage: 7, voteCount: 1 });
    await client({ baseUrl: fake.baseUrl, apiToken: TOKEN, apiKey: API_KEY }).fetchVotes('TV', 1);
    expect(fake.requests[0]).toMatchObject({ authorization: `Bearer ${TOKEN}`, apiKey: null });
  });

  it('sends the key as the api_key query parameter when only a key is configured', async () => {
    fake.setScore('TV', 1, { voteAverage: 7, voteCount: 1 });
    await client({ baseUrl: fake.baseUrl, apiKey: API_KEY }).fetchVotes('TV', 1);
    expect(fake.requests[0]).toMatchObject({ authorization: null, apiKey: API_KEY });
  });

  it.each([
    ['a string vote_average', { vote_average: '8.1', vote_count: 3 }],
    ['a missing vote_count', { vote_average: 8.1 }],
    ['a fractional vote_count', { vote_average: 8.1, vote_count: 2.5 }],
    ['an out-of-range vote_average', { vote_average: 11, vote_count: 2 }],
    ['not an object', 'not json at all'],
    ['null', null],
  ])('treats a body with %s as a malformed response, not a crash', async (_what, body) => {
    fake.behave({ body });
    const error = await failure(
      client({ baseUrl: fake.baseUrl, apiToken: TOKEN }).fetchVotes('TV', 5),
    );
    expect(error.kind).toBe('malformed');
    expect(error.transient).toBe(false);
  });

  it('classifies statuses: 5xx transient, other 4xx not, 429 throttled with its Retry-After', async () => {
    const tmdb = client({ baseUrl: fake.baseUrl, apiToken: TOKEN });
    fake.behave({ status: 503 }, { mediaType: 'TV', id: 1 });
    fake.behave({ status: 429, retryAfterSeconds: 7 }, { mediaType: 'TV', id: 2 });

    const serverError = await failure(tmdb.fetchVotes('TV', 1));
    expect(serverError).toMatchObject({ kind: 'http', status: 503, transient: true });
    const notFound = await failure(tmdb.fetchVotes('TV', 404404));
    expect(notFound).toMatchObject({ kind: 'http', status: 404, transient: false });
    const throttled = await failure(tmdb.fetchVotes('TV', 2));
    expect(throttled).toMatchObject({ kind: 'throttled', transient: false });
    expect(throttled.details.retryAfterMs).toBe(7000);
  });

  it('reports a refused connection as a transient network error', async () => {
    const tmdb = client({ baseUrl: await refusedBaseUrl(), apiToken: TOKEN });
    const error = await failure(tmdb.fetchVotes('MOVIE', 1));
    expect(error).toMatchObject({ kind: 'network', transient: true });
    expect(error.details.code).toBe('ECONNREFUSED');
  });

  it('never puts the credentials in an error (message, stack or serialised fields)', async () => {
    fake.behave({ status: 500 });
    const viaKey = await failure(
      client({ baseUrl: fake.baseUrl, apiKey: API_KEY }).fetchVotes('TV', 9),
    );
    const viaToken = await failure(
      client({ baseUrl: fake.baseUrl, apiToken: TOKEN }).fetchVotes('TV', 9),
    );
    const refused = await failure(
      client({ baseUrl: await refusedBaseUrl(), apiKey: API_KEY }).fetchVotes('TV', 9),
    );
    for (const error of [viaKey, viaToken, refused]) {
      const everything = `${error.message}\n${error.stack}\n${JSON.stringify(error)}\n${JSON.stringify(error.toLog())}`;
      expect(everything).toContain('/tv/9');
      expect(everything).not.toContain(API_KEY);
      expect(everything).not.toContain(TOKEN);
    }
  });
});

describe('parseRetryAfter', () => {
  it('reads delta-seconds and HTTP dates, and ignores garbage', () => {
    const now = Date.parse('2025-06-01T12:00:00Z');
    expect(parseRetryAfter('3', now)).toBe(3000);
    expect(parseRetryAfter('Sun, 01 Jun 2025 12:00:10 GMT', now)).toBe(10_000);
    expect(parseRetryAfter('Sun, 01 Jun 2025 11:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter(undefined, now)).toBeUndefined();
  });
});
