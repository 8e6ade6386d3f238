import type Database from 'better-sqlite3';
import { AccuracyDocument, RateAccuracyDocument } from '../generated/graphql';
import { errorCode, execute } from '../helpers/graphql-client';
import { startTestApp, type TestApp } from '../helpers/test-app';

/**
 * A write the embedded store cannot make leaves no trace: the database really
 * refuses it (its page limit is pinned to its current size, so the next page
 * it needs gives SQLITE_FULL, as a full disk would), the client gets
 * SERVICE_UNAVAILABLE, nothing is stored or counted, /readyz is 503 until
 * writes work again, and a retry afterwards is a first rating.
 */
const storeId = (globalId: string) => Buffer.from(globalId, 'base64url').toString().split(':')[1];
const LONG_COMMENT = 'x'.repeat(500); // big rows fill pages quickly

describe('embedded store: a write that fails', () => {
  let t: TestApp;
  let db: Database.Database;
  beforeAll(async () => {
    t = await startTestApp({ env: { RATINGS_RATE_LIMIT_PER_MINUTE: '100000' } });
    db = (t.adapter as unknown as { gate: { db: Database.Database } }).gate.db; // SQLite-only test hook
  });
  afterAll(() => t?.stop());

  it('answers SERVICE_UNAVAILABLE, stores nothing, turns /readyz 503, and recovers', async () => {
    const page = await execute(t.url, AccuracyDocument, { slug: 'the-glory' });
    const titleId = page.data!.title!.id;
    const factId = page.data!.title!.facts[0].id;
    const rate = (input: { factId?: string; voterId: string; score: number }) =>
      execute(t.url, RateAccuracyDocument, {
        input: { titleId, comment: LONG_COMMENT, ...input },
      });

    // No free pages, and no room to grow: the next page the file needs is refused.
    db.pragma('incremental_vacuum');
    db.pragma(`max_page_count = ${db.pragma('page_count', { simple: true })}`);
    let factRatings = 0;
    for (let i = 0; i < 100; i++) {
      const res = await rate({ factId, voterId: `filler-voter-${i}`, score: 3 });
      if (res.errors) {
        expect(errorCode(res)).toBe('SERVICE_UNAVAILABLE');
        break;
      }
      factRatings += 1;
    }
    expect(factRatings).toBeLessThan(100); // the file did fill up

    const failed = await rate({ voterId: 'retrying-voter', score: 2 });
    expect(errorCode(failed)).toBe('SERVICE_UNAVAILABLE');
    expect(failed.errors![0].message).not.toMatch(/SQLITE|sqlite|reelcheck\.sqlite/);
    // Nothing in memory or on disk: no rating, no count.
    expect(await t.store.ratingsByTarget(`title:${storeId(titleId)}`)).toEqual([]);
    const [aggregate] = await t.store.aggregatesByTargets([`title:${storeId(titleId)}`]);
    expect(aggregate.count).toBe(0);
    const unavailable = await fetch(`${t.url}/readyz`);
    expect(unavailable.status).toBe(503);
    expect((await fetch(`${t.url}/readyz`)).status).toBe(503); // still, while writes fail
    // Reads keep working meanwhile.
    const stillServed = await execute(t.url, AccuracyDocument, { slug: 'the-glory' });
    expect(stillServed.data!.title!.facts[0].accuracy.count).toBe(factRatings);

    // Room again: readiness recovers by itself (no write traffic needed).
    db.pragma('max_page_count = 1073741823');
    expect((await fetch(`${t.url}/readyz`)).status).toBe(200);
    const retried = await rate({ voterId: 'retrying-voter', score: 2 });
    expect(retried.errors).toBeUndefined();
    expect(retried.data!.rateAccuracy.accuracy).toMatchObject({
      count: 1,
      distribution: [0, 1, 0, 0, 0],
    });
    expect(retried.data!.rateAccuracy.rating.createdAt).toBe(
      retried.data!.rateAccuracy.rating.updatedAt,
    ); // a first rating, not a re-rating of a ghost
    const report = await t.store.rebuildAggregates({ dryRun: true });
    expect(report.drift).toEqual([]);
    expect(report.ratings).toBe(factRatings + 1);
  });
});
