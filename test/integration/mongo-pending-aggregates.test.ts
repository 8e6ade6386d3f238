/**
 * MongoDB rating writes heal themselves: a rating and its pending marker are
 * one atomic write, the aggregate $inc a second one. Whatever cuts in between
 * (a crash before or after the $inc, a writer slow enough for a sweep to take
 * its marker over, two processes sweeping at once, a re-rating on top of a
 * pending marker), once the markers are settled every aggregate equals a
 * recount of the ratings, and no delta is ever applied twice.
 */
import { aggregateOf, type RatingTarget } from '../../src/model';
import { MongoStore } from '../../src/store/mongo/mongo-store';
import { describeMongo, openTestDatabase, type TestDatabase } from '../helpers/mongo';

const TARGET: RatingTarget = { kind: 'TITLE', titleId: 'the-glory' };
const KEY = 'title:the-glory';

describeMongo('pending aggregate markers (rating writes without transactions)', (uri) => {
  let database: TestDatabase;
  const stores: MongoStore[] = [];
  /** A store as one API process would have it; the timers are off, the tests sweep by hand. */
  const open = async () => {
    const store = MongoStore.create({
      uri: database.uri,
      serverSelectionTimeoutMs: 5000,
      pendingSweepIntervalMs: 0,
      indexCheckIntervalMs: 0,
    });
    stores.push(store);
    await store.ping();
    return store;
  };
  // The store's parts by their private names: bracket access keeps them typed, so
  // a rename or a move breaks the typecheck instead of silently patching nothing.
  /** The rating writes (ratings.ts): step 2, the writer's own aggregate $inc. */
  const ratingWrites = (store: MongoStore) => store['ratingWrites'];
  /** The pending markers (pending-aggregates.ts): step 3 clears the writer's marker. */
  const pending = (store: MongoStore) => store['pending'];
  const rate = (store: MongoStore, voterId: string, score: number) =>
    store.upsertRating({ target: TARGET, voterId, score, comment: null }, new Date());
  const stored = async () => (await stores[0].aggregatesByTargets([KEY]))[0];
  const recount = async () => {
    const ratings = await database.db
      .collection<{ score: number }>('ratings')
      .find({ targetKey: KEY })
      .toArray();
    return aggregateOf(
      KEY,
      ratings.map((r) => r.score),
    );
  };
  const markers = () =>
    database.db.collection('ratings').countDocuments({ 'pendingAggregate.0': { $exists: true } });
  /** Makes the store's next aggregate $inc fail as if the process died just before it. */
  const crashBeforeIncrement = (store: MongoStore) => {
    const writes = ratingWrites(store);
    const original = writes['applyOwnDelta'];
    writes['applyOwnDelta'] = async () => {
      writes['applyOwnDelta'] = original;
      throw new Error('simulated crash before the aggregate $inc');
    };
  };

  beforeEach(() => {
    database = openTestDatabase(uri);
  });
  afterEach(async () => {
    for (const store of stores.splice(0)) await store.close();
    await database?.drop();
  });

  it('a write cut before its $inc is settled by a sweep, once, however often it runs', async () => {
    const store = await open();
    await rate(store, 'voter-1', 4);
    crashBeforeIncrement(store);
    await expect(rate(store, 'voter-2', 2)).rejects.toThrow('simulated crash');
    crashBeforeIncrement(store);
    await expect(rate(store, 'voter-1', 5)).rejects.toThrow('simulated crash'); // a re-rating

    expect(await stored()).toMatchObject({ count: 1, sum: 4 }); // short by the two cut writes
    expect(await markers()).toBe(2);
    // Young markers belong to writers that may still be running: the default sweep leaves them.
    expect(await store.sweepPendingAggregates()).toBe(0);

    expect(await store.sweepPendingAggregates(0)).toBe(2);
    expect(await stored()).toEqual(await recount());
    expect(await stored()).toMatchObject({ count: 2, sum: 7 });
    expect(await markers()).toBe(0);
    expect(await store.sweepPendingAggregates(0)).toBe(0);
    expect(await stored()).toEqual(await recount());
    const doc = await database.db.collection('aggregates').findOne({ _id: KEY as never });
    expect(doc?.applied).toEqual([]);
  });

  it('a write cut after its $inc (marker not yet cleared) is not counted again', async () => {
    const store = await open();
    const pendingMarkers = pending(store);
    const original = pendingMarkers.clearMarker;
    pendingMarkers.clearMarker = async () => {
      throw new Error('simulated crash after the aggregate $inc');
    };
    await expect(rate(store, 'voter-1', 3)).rejects.toThrow('simulated crash');
    pendingMarkers.clearMarker = original;
    expect(await stored()).toMatchObject({ count: 1, sum: 3 });
    expect(await markers()).toBe(1);

    const other = await open(); // another process sweeps it
    expect(await other.sweepPendingAggregates(0)).toBe(1);
    expect(await stored()).toEqual(await recount());
    expect(await stored()).toMatchObject({ count: 1, sum: 3 });
    expect(await markers()).toBe(0);
  });

  it('a slow writer whose marker a sweep settled meanwhile does not apply it again', async () => {
    const slow = await open();
    const sweeper = await open();
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    let paused!: () => void;
    const isPaused = new Promise<void>((resolve) => (paused = resolve));
    const writes = ratingWrites(slow);
    const original = writes['applyOwnDelta'].bind(writes);
    writes['applyOwnDelta'] = async (...args) => {
      paused();
      await released; // the writer stalls between its two writes (GC pause, slow network)
      return original(...args);
    };
    const writing = rate(slow, 'voter-1', 5);
    await isPaused;
    expect(await sweeper.sweepPendingAggregates(0)).toBe(1); // takes the marker over
    expect(await stored()).toMatchObject({ count: 1, sum: 5 });
    release();
    const result = await writing; // the writer is fenced off, and answers with the settled aggregate
    expect(result.aggregate).toMatchObject({ count: 1, sum: 5 });
    expect(await stored()).toEqual(await recount());
    expect(await markers()).toBe(0);
  });

  it('two processes sweeping the same markers at once apply each one once', async () => {
    const writer = await open();
    for (let i = 0; i < 30; i++) {
      crashBeforeIncrement(writer);
      await expect(rate(writer, `voter-${i % 20}`, 1 + (i % 5))).rejects.toThrow('simulated');
    }
    expect(await markers()).toBe(20);
    const [a, b] = [await open(), await open()];
    await Promise.all([
      a.sweepPendingAggregates(0),
      b.sweepPendingAggregates(0),
      a.sweepPendingAggregates(0),
      b.sweepPendingAggregates(0),
    ]);
    expect(await markers()).toBe(0);
    expect(await stored()).toEqual(await recount());
    expect(await stored()).toMatchObject({ count: 20 });
  });

  it('concurrent writes and sweeps on one target add up to the recount', async () => {
    const [a, b] = [await open(), await open()];
    let sweeping = true;
    const sweeps = (async () => {
      while (sweeping) {
        await Promise.all([a.sweepPendingAggregates(0), b.sweepPendingAggregates(0)]);
      }
    })();
    const writes = Array.from({ length: 120 }, async (_, i) => {
      const store = i % 2 === 0 ? a : b;
      if (i % 7 === 0) crashBeforeIncrement(store);
      try {
        await rate(store, `voter-${i % 40}`, 1 + (i % 5));
      } catch {
        // a simulated crash: the sweep settles it
      }
    });
    await Promise.all(writes);
    sweeping = false;
    await sweeps;
    await a.sweepPendingAggregates(0);
    expect(await markers()).toBe(0);
    expect(await stored()).toEqual(await recount());
    expect(await stored()).toMatchObject({ count: 40 });
  });
});
