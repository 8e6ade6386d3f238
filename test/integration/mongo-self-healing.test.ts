import { isDeepStrictEqual } from 'node:util';
import { RateAccuracyDocument } from '../generated/graphql';
import { execute } from '../helpers/graphql-client';
import {
  builtServersOnFreshDatabase,
  describeMongo,
  gloryIds,
  recomputedAggregate,
  servedOnceAgreed,
} from '../helpers/mongo';
import { exited } from '../helpers/server-process';
import { toAggregate } from '../../src/store/mongo/documents';
import {
  DEFAULT_PENDING_SWEEP_AGE_MS,
  DEFAULT_PENDING_SWEEP_INTERVAL_MS,
} from '../../src/store/mongo/mongo-store';

/**
 * Two API processes under rating load on one MongoDB; one is killed with -9
 * in the middle of it, so rating writes may be cut between the rating (with
 * its pending marker) and the aggregate $inc. Without anyone running
 * ratings:rebuild, the surviving process's sweep settles what was cut: every
 * aggregate ends equal to a recount of the ratings, within the documented
 * bound (markers older than the sweep age, swept at the sweep interval).
 */
describeMongo('self-healing rating aggregates (kill -9 of one of two servers)', (uri) => {
  const fixture = builtServersOnFreshDatabase(uri, { RATINGS_RATE_LIMIT_PER_MINUTE: '100000' });

  /** Every rated target whose stored aggregate differs from a recount of its ratings. */
  const drifted = async (): Promise<string[]> => {
    const { db } = fixture.database;
    const keys: string[] = await db.collection('ratings').distinct('targetKey');
    const off: string[] = [];
    for (const key of keys) {
      const doc = await db.collection<{ _id: string }>('aggregates').findOne({ _id: key });
      const stored = toAggregate(doc ?? { _id: key });
      if (!isDeepStrictEqual(stored, await recomputedAggregate(db, key))) off.push(key);
    }
    return off;
  };
  const markers = () =>
    fixture.database.db
      .collection('ratings')
      .countDocuments({ 'pendingAggregate.0': { $exists: true } });

  it('every aggregate equals a recount within the sweep bound, with no ratings:rebuild', async () => {
    const { database, servers } = fixture;
    const [a, b] = [await servers.start(), await servers.start()];
    const { titleId, factIds } = await gloryIds(a.url);

    // 40 requests in flight at all times, half on each server, voters re-rating now and then.
    let acknowledgedOnA = 0;
    let stopB = false;
    let aKilled = false;
    const worker = async (w: number) => {
      const server = w % 2 === 0 ? a : b;
      for (let i = w; server === a ? !aKilled : !stopB; i += 40) {
        const target = i % 3 === 0 ? {} : { factId: factIds[i % 3] };
        try {
          const res = await execute(server.url, RateAccuracyDocument, {
            input: { titleId, voterId: `heal-voter-${i % 400}`, score: 1 + (i % 5), ...target },
          });
          if (!res.errors && server === a) acknowledgedOnA++;
        } catch {
          // cut by the kill
        }
      }
    };
    const workers = Array.from({ length: 40 }, (_, w) => worker(w));
    while (acknowledgedOnA < 300) await new Promise((resolve) => setTimeout(resolve, 5));
    a.child.kill('SIGKILL');
    aKilled = true;
    await exited(a.child);
    await new Promise((resolve) => setTimeout(resolve, 500)); // B keeps writing a moment longer
    stopB = true;
    await Promise.all(workers);

    const killedAt = Date.now();
    const cut = await markers();
    const bound = DEFAULT_PENDING_SWEEP_AGE_MS + 2 * DEFAULT_PENDING_SWEEP_INTERVAL_MS;
    let off = await drifted();
    while ((off.length > 0 || (await markers()) > 0) && Date.now() - killedAt < bound + 30_000) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      off = await drifted();
    }
    const healedInMs = Date.now() - killedAt;
    console.log(
      `kill -9 after ${acknowledgedOnA} ratings acknowledged by A; ${cut} pending marker(s) ` +
        `right after; every aggregate equal to its recount ${healedInMs} ms later`,
    );
    expect(off).toEqual([]);
    expect(await markers()).toBe(0);
    expect(healedInMs).toBeLessThan(bound + 5_000);

    // And the surviving server serves it.
    const served = await servedOnceAgreed(b.url, database.db, 'the-glory');
    expect(served.served).toEqual(served.recomputed);
  });
});
