import { RateLimiterRes } from 'rate-limiter-flexible';
import { RateAccuracyDocument } from '../generated/graphql';
import { MongoStore } from '../../src/store/mongo/mongo-store';
import { errorCode, execute, type GraphQLResponse } from '../helpers/graphql-client';
import {
  describeMongo,
  gloryIds,
  openTestDatabase,
  serversOn,
  type ServersOn,
  type TestDatabase,
} from '../helpers/mongo';
import { buildServer } from '../helpers/server-process';
import { startTestApp, type TestApp } from '../helpers/test-app';

/**
 * With MONGODB_URI the rating rate limit is kept in MongoDB: API processes on
 * one database spend one budget per client, and when the counters cannot be
 * read the rating is refused, never let through unlimited.
 */
describeMongo('rating rate limit shared through MongoDB', (uri) => {
  let database: TestDatabase;
  beforeEach(() => {
    database = openTestDatabase(uri);
  });
  afterEach(() => database?.drop());

  describe('two API processes on one database', () => {
    beforeAll(buildServer);
    let servers: ServersOn;
    afterEach(() => servers?.stopAll());

    it('allow RATINGS_RATE_LIMIT_PER_MINUTE ratings per client in total, not each', async () => {
      // Behind one proxy: the client is the X-Forwarded-For address.
      servers = serversOn(database, {
        RATINGS_RATE_LIMIT_PER_MINUTE: '5',
        TRUST_PROXY: 'loopback',
      });
      const [a, b] = [await servers.start(), await servers.start()];
      const { titleId } = await gloryIds(a.url);
      const rate = (url: string, client: string, i: number) =>
        execute(
          url,
          RateAccuracyDocument,
          {
            input: {
              titleId,
              score: 1 + (i % 5),
              voterId: `budget-${client.replaceAll('.', '_')}-voter-${i}`,
            },
          },
          { 'x-forwarded-for': client },
        );

      // One client, 10 ratings one after another, alternating between the two servers.
      const alternating: GraphQLResponse<unknown>[] = [];
      for (let i = 0; i < 10; i++)
        alternating.push(await rate([a, b][i % 2].url, '203.0.113.1', i));
      expect(alternating.map(errorCode)).toEqual([
        ...Array(5).fill(undefined),
        ...Array(5).fill('RATE_LIMITED'),
      ]);
      // Server b refused its third rating although it had accepted only two itself.
      expect(errorCode(alternating[5])).toBe('RATE_LIMITED');
      for (const refused of alternating.slice(5)) {
        const retryAfter = refused.errors![0].extensions!.retryAfterSeconds as number;
        expect(retryAfter).toBeGreaterThanOrEqual(1);
        expect(retryAfter).toBeLessThanOrEqual(60);
      }

      // Another client, 10 ratings at once across both servers: still exactly 5.
      const burst = await Promise.all(
        Array.from({ length: 10 }, (_, i) => rate([a, b][i % 2].url, '203.0.113.2', i)),
      );
      expect(burst.filter((res) => res.errors === undefined)).toHaveLength(5);
      expect(burst.filter((res) => errorCode(res) === 'RATE_LIMITED')).toHaveLength(5);

      expect(await database.db.collection('ratings').countDocuments()).toBe(10);
    });
  });

  describe('in one process', () => {
    let t: TestApp | undefined;
    afterEach(async () => {
      await t?.stop();
      t = undefined;
    });

    it('refuses with SERVICE_UNAVAILABLE when the counters cannot be read, writing nothing', async () => {
      t = await startTestApp({ env: { MONGODB_URI: database.uri, TRUST_PROXY: 'loopback' } });
      const titleId = Buffer.from('Title:the-glory').toString('base64url');
      // A counter the limiter cannot $inc: the counters' store answers this client with an error.
      await database.db
        .collection('rate_limits')
        .insertOne(
          { key: 'rating:203.0.113.66', points: 'corrupt', expire: new Date(Date.now() + 60_000) },
          { bypassDocumentValidation: true },
        );
      const refused = await execute(
        t.url,
        RateAccuracyDocument,
        { input: { titleId, score: 5, voterId: 'fail-closed-voter-1' } },
        { 'x-forwarded-for': '203.0.113.66' },
      );
      expect(errorCode(refused)).toBe('SERVICE_UNAVAILABLE');
      expect(await database.db.collection('ratings').countDocuments()).toBe(0);
      expect(t.logs.some((line) => line.includes('rating rate limit could not be checked'))).toBe(
        true,
      );

      // Other clients' counters are fine: their ratings go through.
      const accepted = await execute(
        t.url,
        RateAccuracyDocument,
        { input: { titleId, score: 5, voterId: 'fail-closed-voter-2' } },
        { 'x-forwarded-for': '203.0.113.67' },
      );
      expect(accepted.errors).toBeUndefined();
      expect(await database.db.collection('ratings').countDocuments()).toBe(1);
    });
  });

  describe('the counters (MongoStore.rateLimiter)', () => {
    let store: MongoStore;
    beforeEach(() => {
      store = MongoStore.create({ uri: database.uri, serverSelectionTimeoutMs: 5000 });
    });
    afterEach(() => store?.close());

    const outcomes = (attempts: Array<Promise<unknown>>) =>
      Promise.all(
        attempts.map((attempt) =>
          attempt.then(
            () => 'spent',
            (error: unknown) => (error instanceof RateLimiterRes ? 'over' : error),
          ),
        ),
      );

    it('count concurrent first hits of a window on one counter', async () => {
      const limiter = store.rateLimiter({ keyPrefix: 'test', points: 5, durationSeconds: 60 });
      const results = await outcomes(Array.from({ length: 12 }, () => limiter.consume('client')));
      expect(results.filter((r) => r === 'spent')).toHaveLength(5);
      expect(results.filter((r) => r === 'over')).toHaveLength(7);
      expect(await database.db.collection('rate_limits').countDocuments()).toBe(1);
    });

    it('start a new window after the old one ends, without relying on TTL deletes', async () => {
      await store.ping(); // creates the schema; then take the TTL index away: nothing is deleted
      await database.db.collection('rate_limits').dropIndex('rate_limits_expire_ttl');
      const limiter = store.rateLimiter({ keyPrefix: 'test', points: 2, durationSeconds: 1 });
      const window = async () =>
        (await outcomes([1, 2, 3].map(() => limiter.consume('client')))).sort();
      expect(await window()).toEqual(['over', 'spent', 'spent']);
      await new Promise((resolve) => setTimeout(resolve, 1100));
      // The ended window's counter is still there; the next hits replace it.
      const [ended] = await database.db.collection('rate_limits').find().toArray();
      expect(ended.expire.getTime()).toBeLessThanOrEqual(Date.now());
      expect(await window()).toEqual(['over', 'spent', 'spent']);
      expect(await database.db.collection('rate_limits').countDocuments()).toBe(1);
    });
  });
});
