import http from 'node:http';
import { pathOf, startFakeTmdb, type FakeTmdb } from '../fakes/fake-tmdb';
import { eventually, heldAnswer } from './helpers';

/** The fake is shared with the GraphQL integration tests: its knobs must do what they say. */
describe('fake TMDB', () => {
  let fake: FakeTmdb;
  beforeEach(async () => {
    fake = await startFakeTmdb();
  });
  afterEach(() => fake?.close());

  const get = (path: string, headers: Record<string, string> = { authorization: 'Bearer t' }) =>
    fetch(`${fake.baseUrl}${path}`, { headers }).then(async (res) => ({
      status: res.status,
      retryAfter: res.headers.get('retry-after'),
      body: (await res.json()) as unknown,
    }));

  it('serves configured scores, 404 for unknown ids and 401 without credentials', async () => {
    fake.setScore('TV', 1399, { voteAverage: 8.5, voteCount: 25000 });

    expect(await get('/tv/1399')).toMatchObject({
      status: 200,
      body: { id: 1399, vote_average: 8.5, vote_count: 25000 },
    });
    expect((await get('/movie/1399')).status).toBe(404);
    expect((await get('/tv/1399', {})).status).toBe(401);
    expect((await get('/tv/1399?api_key=k', {})).status).toBe(200);
    expect(fake.count()).toBe(4);
    expect(fake.count(pathOf('TV', 1399))).toBe(3);
    expect(fake.requests.map((r) => [r.authorization, r.apiKey])).toEqual([
      ['Bearer t', null],
      ['Bearer t', null],
      [null, null],
      [null, 'k'],
    ]);
  });

  it('applies per-id behaviors over global ones, and `times` only to the next N requests', async () => {
    fake.setScore('TV', 1, { voteAverage: 1, voteCount: 1 });
    fake.setScore('TV', 2, { voteAverage: 2, voteCount: 2 });
    fake.behave({ status: 500 });
    fake.behave({ status: 429, retryAfterSeconds: 3, times: 1 }, { mediaType: 'TV', id: 1 });

    expect(await get('/tv/1')).toMatchObject({ status: 429, retryAfter: '3' });
    expect((await get('/tv/1')).status).toBe(500);
    expect((await get('/tv/2')).status).toBe(500);
    fake.behave(null);
    expect((await get('/tv/2')).status).toBe(200);
  });

  it('holds an answer back until `until` settles, then answers as usual', async () => {
    fake.setScore('TV', 7, { voteAverage: 7, voteCount: 70 });
    const held = heldAnswer();
    fake.behave({ until: held.until });
    let answered = false;
    const response = get('/tv/7').then((res) => ((answered = true), res));
    await eventually(() => fake.inFlight === 1);
    await new Promise((resolve) => setImmediate(resolve));
    expect(answered).toBe(false);

    held.release();
    expect(await response).toMatchObject({ status: 200, body: { vote_count: 70 } });
  });

  it('close() ends hanging requests instead of waiting for them', async () => {
    fake.behave({ hang: true });
    const hanging = new Promise<string>((resolve) => {
      http
        .get(`${fake.baseUrl}/tv/1`, { headers: { authorization: 'Bearer t' } })
        .on('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
    });
    await eventually(() => fake.inFlight === 1); // the request has arrived, and hangs

    await fake.close();

    await expect(hanging).resolves.toBe('ECONNRESET');
  });
});
