import { AccuracyDocument, RateAccuracyDocument } from '../generated/graphql';
import { aggregateOf, targetKey } from '../../src/model';
import { errorCode, execute, postRaw } from '../helpers/graphql-client';
import { startTestApp, type TestApp } from '../helpers/test-app';

/** Store ids behind the opaque GraphQL ids, for checking what was written. */
const storeId = (globalId: string) => Buffer.from(globalId, 'base64url').toString().split(':')[1];

async function gloryIds(t: TestApp) {
  const res = await execute(t.url, AccuracyDocument, { slug: 'the-glory' });
  const title = res.data!.title!;
  return { titleId: title.id, factIds: title.facts.map((f) => f.id) };
}

describe('rateAccuracy', () => {
  let t: TestApp;
  let titleId: string;
  let factIds: string[];
  beforeAll(async () => {
    t = await startTestApp({ env: { RATINGS_RATE_LIMIT_PER_MINUTE: '100000' } });
    ({ titleId, factIds } = await gloryIds(t));
  });
  afterAll(() => t?.stop());

  it('rates a page and returns the summary including the write', async () => {
    const res = await execute(t.url, RateAccuracyDocument, {
      input: { titleId, score: 4, voterId: 'voter-page-1', comment: 'Mostly right' },
    });
    expect(res.errors).toBeUndefined();
    const { rating, accuracy } = res.data!.rateAccuracy;
    expect(rating).toMatchObject({ score: 4, comment: 'Mostly right' });
    expect(rating.createdAt).toBe(rating.updatedAt);
    expect(accuracy).toMatchObject({ count: 1, average: 4, distribution: [0, 0, 0, 1, 0] });
    expect(accuracy.verdict).not.toBe('UNRATED');
    const page = await execute(t.url, AccuracyDocument, { slug: 'the-glory' });
    expect(page.data!.title!.accuracy).toMatchObject({ count: 1, average: 4 });
  });

  it('rates a fact separately from the page', async () => {
    const before = await execute(t.url, AccuracyDocument, { slug: 'the-glory' });
    const res = await execute(t.url, RateAccuracyDocument, {
      input: { titleId, factId: factIds[3], score: 1, voterId: 'voter-fact-1' },
    });
    expect(res.data!.rateAccuracy.accuracy).toMatchObject({
      count: 1,
      distribution: [1, 0, 0, 0, 0],
    });
    const after = await execute(t.url, AccuracyDocument, { slug: 'the-glory' });
    expect(after.data!.title!.accuracy).toEqual(before.data!.title!.accuracy);
    expect(after.data!.title!.facts[3].accuracy).toMatchObject({ count: 1, average: 1 });
    expect(after.data!.title!.facts[2].accuracy.count).toBe(0);
  });

  it("replaces the voter's earlier rating instead of adding one", async () => {
    const input = { titleId, factId: factIds[5], voterId: 'voter-replace-1' };
    const first = await execute(t.url, RateAccuracyDocument, {
      input: { ...input, score: 2, comment: 'first thought' },
    });
    await new Promise((resolve) => setTimeout(resolve, 5));
    const second = await execute(t.url, RateAccuracyDocument, { input: { ...input, score: 5 } });
    const a = first.data!.rateAccuracy.rating;
    const b = second.data!.rateAccuracy.rating;
    expect(b.id).toBe(a.id);
    expect(b).toMatchObject({ score: 5, comment: null, createdAt: a.createdAt });
    expect(Date.parse(b.updatedAt)).toBeGreaterThan(Date.parse(a.updatedAt));
    expect(second.data!.rateAccuracy.accuracy).toMatchObject({
      count: 1,
      distribution: [0, 0, 0, 0, 1],
    });
    const stored = await t.store.ratingsByTarget(`fact:${storeId(factIds[5])}`);
    expect(stored).toHaveLength(1);
  });

  const valid = { score: 3, voterId: 'voter-valid-1' };
  it.each([
    ['score 0', { score: 0 }, 'score'],
    ['score 6', { score: 6 }, 'score'],
    ['a 1-character voterId', { voterId: 'a' }, 'voterId'],
    ['a $gt-like voterId', { voterId: '{"$gt":""}' }, 'voterId'],
    ['a voterId of 65 characters', { voterId: 'v'.repeat(65) }, 'voterId'],
    ['a comment of 501 characters', { comment: 'c'.repeat(501) }, 'comment'],
  ])('rejects %s with BAD_USER_INPUT naming the field, writing nothing', async (_c, bad, field) => {
    const key = `fact:${storeId(factIds[7])}`;
    const res = await execute(t.url, RateAccuracyDocument, {
      input: { titleId, factId: factIds[7], ...valid, ...bad },
    });
    expect(errorCode(res)).toBe('BAD_USER_INPUT');
    expect(res.errors![0].message).toContain(field);
    expect(res.errors![0].extensions!.fields).toEqual([expect.objectContaining({ field: field })]);
    expect(res.data).toBeNull();
    expect(await t.store.ratingsByTarget(key)).toEqual([]);
    expect((await t.store.aggregatesByTargets([key]))[0].count).toBe(0);
  });

  it('accepts a comment of exactly 500 characters', async () => {
    const res = await execute(t.url, RateAccuracyDocument, {
      input: {
        titleId,
        factId: factIds[6],
        score: 3,
        voterId: 'voter-long-1',
        comment: 'c'.repeat(500),
      },
    });
    expect(res.errors).toBeUndefined();
  });

  it('rejects malformed ids with BAD_USER_INPUT and unknown targets with NOT_FOUND', async () => {
    const malformed = await execute(t.url, RateAccuracyDocument, {
      input: { titleId: 'garbage!', ...valid },
    });
    expect(errorCode(malformed)).toBe('BAD_USER_INPUT');
    expect(malformed.errors![0].message).toContain('titleId');

    const unknownTitle = Buffer.from('Title:nosuchtitle').toString('base64url');
    const notFound = await execute(t.url, RateAccuracyDocument, {
      input: { titleId: unknownTitle, ...valid },
    });
    expect(errorCode(notFound)).toBe('NOT_FOUND');
    expect(notFound.errors![0].message).toContain('titleId');

    const vincenzo = Buffer.from('Title:vincenzo').toString('base64url');
    const wrongTitle = await execute(t.url, RateAccuracyDocument, {
      input: { titleId: vincenzo, factId: factIds[0], ...valid },
    });
    expect(errorCode(wrongTitle)).toBe('NOT_FOUND');
    expect(wrongTitle.errors![0].message).toContain('factId');
    expect(await t.store.ratingsByTarget(`fact:${storeId(factIds[0])}`)).toEqual([]);
    expect(await t.store.ratingsByTarget('title:vincenzo')).toEqual([]);
  });

  // Issue 9: `a` (valid) used to be written although the operation answered data: null.
  it('refuses an operation with two mutation fields and writes neither: all or nothing', async () => {
    const key = `fact:${storeId(factIds[4])}`;
    const rate = (alias: string, score: number) =>
      `${alias}: rateAccuracy(input: { titleId: $t, factId: $f, score: ${score}, voterId: "voter-pair-1" }) { rating { score } }`;
    const variables = { t: titleId, f: factIds[4] };
    const documents = [
      `mutation($t: ID!, $f: ID!) { ${rate('a', 5)} ${rate('b', 9)} }`,
      `mutation($t: ID!, $f: ID!) { ...A ... on Mutation { ${rate('b', 4)} } } fragment A on Mutation { ${rate('a', 5)} }`,
    ];
    for (const query of documents) {
      const res = await postRaw(t.url, { query, variables });
      expect(res.status).toBe(400);
      expect(errorCode(res)).toBe('GRAPHQL_VALIDATION_FAILED');
      expect(res.errors![0].message).toBe(
        'A mutation operation may select only one mutation field, so that it is all or nothing; this one selects 2 ("a", "b"). Send each mutation in its own operation.',
      );
      expect(res.data).toBeUndefined();
    }
    expect(await t.store.ratingsByTarget(key)).toEqual([]);

    const one = await postRaw(t.url, {
      query: `mutation($t: ID!, $f: ID!) { __typename ${rate('a', 5)} }`,
      variables,
    });
    expect(one.errors).toBeUndefined();
    expect(one.data).toEqual({ __typename: 'Mutation', a: { rating: { score: 5 } } });
    expect(await t.store.ratingsByTarget(key)).toHaveLength(1);
  });
});

describe('rateAccuracy under concurrency', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ env: { RATINGS_RATE_LIMIT_PER_MINUTE: '100000' } });
  });
  afterAll(() => t?.stop());

  it('keeps every aggregate exact with 500 voters and concurrent re-ratings', async () => {
    const { titleId, factIds } = await gloryIds(t);
    const targets = [null, factIds[0], factIds[1], factIds[8]];
    const voters = Array.from({ length: 500 }, (_, i) => `concurrent-voter-${i}`);
    const submitted = new Map<string, Set<number>>(); // "voter|target" -> scores sent
    const requests: Array<Promise<unknown>> = [];
    const started = Date.now();
    voters.forEach((voterId, i) => {
      const factId = targets[i % targets.length];
      // Every voter submits once; every third voter also re-rates twice, at the same moment.
      const scores =
        i % 3 === 0 ? [1 + (i % 5), 1 + ((i + 2) % 5), 1 + ((i + 4) % 5)] : [1 + (i % 5)];
      submitted.set(`${voterId}|${factId}`, new Set(scores));
      for (const score of scores) {
        requests.push(
          execute(t.url, RateAccuracyDocument, { input: { titleId, factId, score, voterId } }).then(
            (res) => expect(res.errors).toBeUndefined(),
          ),
        );
      }
    });
    await Promise.all(requests);
    const elapsed = Date.now() - started;

    let ratings = 0;
    for (const factId of targets) {
      const key = factId
        ? targetKey({ kind: 'FACT', titleId: storeId(titleId), factId: storeId(factId) })
        : targetKey({ kind: 'TITLE', titleId: storeId(titleId) });
      const raw = await t.store.ratingsByTarget(key);
      const [stored] = await t.store.aggregatesByTargets([key]);
      expect(stored).toEqual(
        aggregateOf(
          key,
          raw.map((r) => r.score),
        ),
      );
      // One rating per voter, with one of the scores that voter sent.
      expect(new Set(raw.map((r) => r.voterId)).size).toBe(raw.length);
      for (const rating of raw) {
        expect([...submitted.get(`${rating.voterId}|${factId}`)!]).toContain(rating.score);
      }
      ratings += raw.length;
    }
    expect(ratings).toBe(500);
    expect((await t.store.rebuildAggregates({ dryRun: true })).drift).toEqual([]);
    console.log(
      `concurrency: ${requests.length} rateAccuracy requests (500 voters, ${requests.length - 500} concurrent re-ratings) over ${targets.length} targets in ${elapsed} ms; ${ratings} ratings stored; every aggregate equals its recomputation`,
    );
  });
});

describe('rate limit on rateAccuracy', () => {
  let t: TestApp;
  let trusted: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ env: { RATINGS_RATE_LIMIT_PER_MINUTE: '3' } });
    trusted = await startTestApp({
      env: { RATINGS_RATE_LIMIT_PER_MINUTE: '3', TRUST_PROXY: 'loopback' },
    });
  });
  afterAll(async () => {
    await t?.stop();
    await trusted?.stop();
  });

  const rate = (
    app: TestApp,
    titleId: string,
    voterId: string,
    headers: Record<string, string> = {},
  ) => execute(app.url, RateAccuracyDocument, { input: { titleId, score: 3, voterId } }, headers);

  it('answers RATE_LIMITED with a retry hint after the budget; bad input stays BAD_USER_INPUT', async () => {
    const { titleId } = await gloryIds(t);
    for (let i = 0; i < 3; i++) {
      // A spoofed X-Forwarded-For must not buy a new budget when proxies are not trusted.
      const res = await rate(t, titleId, `limited-voter-${i}`, {
        'x-forwarded-for': `10.0.0.${i}`,
      });
      expect(res.errors).toBeUndefined();
    }
    const limited = await rate(t, titleId, 'limited-voter-9', { 'x-forwarded-for': '10.0.0.99' });
    expect(errorCode(limited)).toBe('RATE_LIMITED');
    expect(limited.errors![0].extensions!.retryAfterSeconds).toEqual(expect.any(Number));
    expect(limited.errors![0].extensions!.retryAfterSeconds).toBeGreaterThan(0);
    expect(await t.store.ratingsByTarget(`title:${storeId(titleId)}`)).toHaveLength(3);

    const bad = await execute(t.url, RateAccuracyDocument, {
      input: { titleId, score: 9, voterId: 'limited-voter-9' },
    });
    expect(errorCode(bad)).toBe('BAD_USER_INPUT');
  });

  it('counts clients by X-Forwarded-For only behind a trusted proxy', async () => {
    const { titleId } = await gloryIds(trusted);
    for (let i = 0; i < 3; i++) {
      const res = await rate(trusted, titleId, `proxied-a-${i}`, {
        'x-forwarded-for': '203.0.113.1',
      });
      expect(res.errors).toBeUndefined();
    }
    const limited = await rate(trusted, titleId, 'proxied-a-9', {
      'x-forwarded-for': '203.0.113.1',
    });
    expect(errorCode(limited)).toBe('RATE_LIMITED');
    const other = await rate(trusted, titleId, 'proxied-b-1', { 'x-forwarded-for': '203.0.113.2' });
    expect(other.errors).toBeUndefined();
  });

  it('behind a trusted proxy, buys no budget with an X-Forwarded-For entry that is not an IP address', async () => {
    const { titleId } = await gloryIds(trusted);
    // Each is the loopback proxy's own client: the made-up entry ends the walk.
    const forwarded = ['made-up-1', 'made-up-2', '203.0.113.7, made-up-3'];
    for (const [i, entries] of forwarded.entries()) {
      const res = await rate(trusted, titleId, `made-up-voter-${i}`, {
        'x-forwarded-for': entries,
      });
      expect(res.errors).toBeUndefined();
    }
    const limited = await rate(trusted, titleId, 'made-up-voter-9', {
      'x-forwarded-for': 'made-up-4',
    });
    expect(errorCode(limited)).toBe('RATE_LIMITED');
    // A made-up entry further out than the first untrusted address changes nothing.
    const real = await rate(trusted, titleId, 'made-up-voter-10', {
      'x-forwarded-for': 'made-up-5, 203.0.113.9',
    });
    expect(real.errors).toBeUndefined();
  });
});
