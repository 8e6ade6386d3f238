import { heldHeap } from '../helpers/heap';
import { Freshness } from '../../src/cache/freshness';
import { RecordCache } from '../../src/cache/records';
import type { RequestReads } from '../../src/cache/request-reads';
import { RECORD_ENTRY_BYTES, recordEntryBytes } from '../../src/cache/sizes';
import { CATALOG, EVERYTHING, targetTag, titleTag } from '../../src/cache/tags';
import type { AccuracyAggregate, TitleRecord } from '../../src/model';
import type { Store } from '../../src/store/port';

const MAX_AGE_MS = 2000;

/** A store whose titles and aggregates are plain maps; every call is recorded with its keys. */
function fakeStore() {
  const titles = new Map<string, TitleRecord>();
  const aggregates = new Map<string, AccuracyAggregate>();
  const calls: string[] = [];
  let pending: Array<() => void> | null = null;
  const answer = async <T>(method: string, keys: readonly string[], find: (key: string) => T) => {
    calls.push(`${method}(${keys.join(',')})`);
    if (pending) await new Promise<void>((resolve) => pending!.push(resolve));
    return keys.map(find);
  };
  const store = {
    titlesByIds: (ids: readonly string[]) =>
      answer('titlesByIds', ids, (id) => (titles.has(id) ? { ...titles.get(id)! } : null)),
    aggregatesByTargets: (keys: readonly string[]) =>
      answer('aggregatesByTargets', keys, (key) => ({ ...aggregates.get(key)! })),
    countTitles: async () => titles.size,
    upsertRating: async () => ({}),
    editTitles: async () => [],
    ping: async () => 'pong',
  } as unknown as Store;
  return {
    store,
    titles,
    aggregates,
    calls,
    /** Reads wait until release() from now on. */
    hold() {
      pending = [];
    },
    release() {
      const waiting = pending ?? [];
      pending = null;
      for (const resolve of waiting) resolve();
    },
  };
}

function title(id: string, name: string): TitleRecord {
  return { id, slug: id, name } as TitleRecord;
}

function aggregate(count: number): AccuracyAggregate {
  return { targetKey: 'title:a', count, sum: count * 4, distribution: [0, 0, 0, count, 0] };
}

describe('RecordCache', () => {
  let fake: ReturnType<typeof fakeStore>;
  let freshness: Freshness;
  let cache: RecordCache;
  let store: Store;
  beforeEach(() => {
    fake = fakeStore();
    fake.titles.set('a', title('a', 'A'));
    fake.titles.set('b', title('b', 'B'));
    fake.aggregates.set('title:a', aggregate(1));
    freshness = new Freshness(MAX_AGE_MS);
    cache = new RecordCache(fake.store, freshness, { maxAgeMs: MAX_AGE_MS, maxBytes: 1_000_000 });
    store = cache;
  });
  afterEach(() => jest.useRealTimers());

  it('reads each key from the store once, and only the keys it does not hold', async () => {
    expect(await store.titlesByIds(['a'])).toEqual([title('a', 'A')]);
    expect(await store.titlesByIds(['b', 'a', 'missing'])).toEqual([
      title('b', 'B'),
      title('a', 'A'),
      null,
    ]);
    expect(await store.titlesByIds(['missing', 'a', 'b'])).toEqual([
      null,
      title('a', 'A'),
      title('b', 'B'),
    ]);
    // A lookup that found nothing is not kept: unknown ids would push out the pages' records.
    expect(fake.calls).toEqual([
      'titlesByIds(a)',
      'titlesByIds(b,missing)',
      'titlesByIds(missing)',
    ]);
    // Methods it does not cache pass through.
    expect(await store.ping()).toBe('pong');
  });

  it('drops what a write through it changed, and only that', async () => {
    const writer = store;
    await store.titlesByIds(['a', 'b', 'new']);
    await store.aggregatesByTargets(['title:a']);
    fake.calls.length = 0;

    fake.aggregates.set('title:a', aggregate(2));
    await writer.upsertRating({ target: { kind: 'TITLE', titleId: 'a' } } as never, new Date());
    expect(await store.aggregatesByTargets(['title:a'])).toEqual([aggregate(2)]);
    expect(await store.titlesByIds(['a', 'b'])).toEqual([title('a', 'A'), title('b', 'B')]);
    expect(fake.calls).toEqual(['aggregatesByTargets(title:a)']);

    // An edit of "a" (and the catalog: "new" may exist now) leaves "b" cached.
    fake.calls.length = 0;
    fake.titles.set('a', title('a', 'A2'));
    fake.titles.set('new', title('new', 'New'));
    await writer.editTitles([{ titleId: 'a' }] as never);
    expect(await store.titlesByIds(['a', 'b', 'new'])).toEqual([
      title('a', 'A2'),
      title('b', 'B'),
      title('new', 'New'),
    ]);
    expect(fake.calls).toEqual(['titlesByIds(a,new)']);
  });

  it('does not keep an answer whose key was written while it was read', async () => {
    fake.hold();
    const reading = store.aggregatesByTargets(['title:a']);
    freshness.invalidate([targetTag('title:a')]);
    fake.release();
    expect(await reading).toEqual([aggregate(1)]);
    fake.calls.length = 0;
    await store.aggregatesByTargets(['title:a']);
    expect(fake.calls).toEqual(['aggregatesByTargets(title:a)']);
  });

  it('reads again after maxAgeMs from the read (what another process wrote)', async () => {
    jest.useFakeTimers({ now: 1_000_000 });
    await store.titlesByIds(['a']);
    jest.setSystemTime(1_000_000 + MAX_AGE_MS - 1);
    await store.titlesByIds(['a']);
    expect(fake.calls).toEqual(['titlesByIds(a)']);
    fake.titles.set('a', title('a', 'changed elsewhere'));
    jest.setSystemTime(1_000_000 + MAX_AGE_MS);
    expect(await store.titlesByIds(['a'])).toEqual([title('a', 'changed elsewhere')]);
    expect(fake.calls).toEqual(['titlesByIds(a)', 'titlesByIds(a)']);
  });

  it('on the embedded store (exact), keeps a record maxAgeMs from the last hit that found it current', async () => {
    jest.useFakeTimers({ now: 1_000_000 });
    const exact = new RecordCache(fake.store, freshness, {
      maxAgeMs: MAX_AGE_MS,
      maxBytes: 1_000_000,
      exact: true,
    });
    await exact.titlesByIds(['a']);
    // Read on: each hit keeps it another maxAgeMs, well past the first read's.
    for (let hit = 1; hit <= 3; hit++) {
      jest.setSystemTime(1_000_000 + hit * (MAX_AGE_MS - 1));
      expect(await exact.titlesByIds(['a'])).toEqual([title('a', 'A')]);
    }
    expect(fake.calls).toEqual(['titlesByIds(a)']);
    // A write through it still drops it at once.
    fake.titles.set('a', title('a', 'A2'));
    await exact.editTitles([{ titleId: 'a' }] as never);
    expect(await exact.titlesByIds(['a'])).toEqual([title('a', 'A2')]);
    expect(fake.calls).toEqual(['titlesByIds(a)', 'titlesByIds(a)']);
    // Not read for maxAgeMs: read again.
    jest.setSystemTime(Date.now() + MAX_AGE_MS);
    await exact.titlesByIds(['a']);
    expect(fake.calls).toEqual(['titlesByIds(a)', 'titlesByIds(a)', 'titlesByIds(a)']);
  });

  /** What one request reads through its view of the cache, as the request context gives it (src/graphql/request/context.ts). */
  async function asRequest(
    startedAt: number,
    run: (view: Store) => Promise<unknown>,
  ): Promise<RequestReads> {
    const reads: RequestReads = { bornAt: freshness.now, startedAt, tags: new Set() };
    await run(cache.forRequest(reads));
    return reads;
  }

  it("notes into the running request's reads the tags of what it read, and when kept records were read", async () => {
    jest.useFakeTimers({ now: 1_000_000 });
    await store.titlesByIds(['a']);
    jest.setSystemTime(1_000_500);
    const reads = await asRequest(1_000_500, async (view) => {
      await view.titlesByIds(['a', 'b', 'missing']);
      await view.countTitles();
    });
    // "a" was kept from the first read: the request's answer is as old as it; "b" was read now.
    expect(reads.startedAt).toBe(1_000_000);
    expect([...reads.tags].sort()).toEqual([CATALOG, titleTag('a'), titleTag('b')].sort());
  });

  it('keeps the reads of concurrent requests apart', async () => {
    fake.hold();
    const first = asRequest(0, (view) => view.titlesByIds(['a']));
    const second = asRequest(0, (view) => view.aggregatesByTargets(['title:a']));
    fake.release();
    expect([...(await first).tags]).toEqual([titleTag('a')]);
    expect([...(await second).tags]).toEqual([targetTag('title:a')]);
    // Outside a request, nothing is noted in either.
    await store.titlesByIds(['b']);
    expect([...(await first).tags]).toEqual([titleTag('a')]);
    expect([...(await second).tags]).toEqual([targetTag('title:a')]);
  });

  it('with RECORD_CACHE=false keeps nothing, but still notes reads and invalidates on writes', async () => {
    const uncached = new RecordCache(fake.store, freshness, null);
    const reads: RequestReads = { bornAt: freshness.now, startedAt: 0, tags: new Set() };
    const view = uncached.forRequest(reads);
    await view.titlesByIds(['a']);
    await view.titlesByIds(['a']);
    expect(fake.calls).toEqual(['titlesByIds(a)', 'titlesByIds(a)']);
    expect([...reads.tags]).toEqual([titleTag('a')]);
    const before = freshness.now;
    await uncached.editTitles([{ titleId: 'a' }] as never);
    expect(freshness.unchanged(before, [titleTag('a')])).toBe(false);
    expect(freshness.unchanged(before, [titleTag('b')])).toBe(true);
  });

  it('keeps a title across a catalog change, and drops everything on EVERYTHING', async () => {
    await store.titlesByIds(['a']);
    freshness.invalidate([CATALOG]);
    fake.calls.length = 0;
    await store.titlesByIds(['a']);
    expect(fake.calls).toEqual([]);
    freshness.invalidate(EVERYTHING);
    fake.calls.length = 0;
    await store.titlesByIds(['a']);
    expect(fake.calls).toEqual(['titlesByIds(a)']);
    // titleTag is what an edit of "a" stamps.
    freshness.invalidate([titleTag('a')]);
    fake.calls.length = 0;
    await store.titlesByIds(['a']);
    expect(fake.calls).toEqual(['titlesByIds(a)']);
  });

  it('shares frozen answers: a resolver that changed one would throw, not change other requests', async () => {
    const [first] = await store.titlesByIds(['a']);
    const [again] = await store.titlesByIds(['a']);
    expect(again).toBe(first);
    expect(() => {
      (again as { name: string }).name = 'vandalised';
    }).toThrow(TypeError);
  });

  it('keeps at most maxBytes of records (as they take in memory), least recently used out first, and reports to the metrics', async () => {
    let read = () => ({ hits: -1, misses: -1, entries: -1 });
    fake.titles.set('c', title('c', 'C'));
    // Room for two of these titles, not three.
    const size = recordEntryBytes('titlesByIds\na', title('a', 'A'));
    const small = new RecordCache(
      fake.store,
      freshness,
      { maxAgeMs: MAX_AGE_MS, maxBytes: Math.floor(2.5 * size) },
      { watch: (watcher) => (read = watcher) },
    );
    await small.titlesByIds(['a', 'b', 'missing']);
    await small.titlesByIds(['b', 'missing']);
    expect(read()).toEqual({ hits: 1, misses: 4, entries: 2 });
    await small.titlesByIds(['c']); // "a" was used least recently
    fake.calls.length = 0;
    await small.titlesByIds(['b', 'c', 'a']);
    expect(fake.calls).toEqual(['titlesByIds(a)']);
  });
});

/**
 * Memory: RECORD_CACHE_MAX_MB must bound what the process holds. Records here
 * are shaped as a store gives them: fresh objects and strings parsed from a
 * row, a Date; a title with every field set.
 */
describe('RecordCache memory', () => {
  // Full collections until the heap settles: seconds on an idle machine, longer beside a busy suite.
  jest.setTimeout(180_000);
  const held = heldHeap();

  /** A title as the embedded store gives it: parsed from its row, its Date set. */
  function titleRecord(id: string): TitleRecord {
    const record = JSON.parse(
      JSON.stringify({
        id,
        slug: `the-title-${id}`,
        name: `The Title ${id}`,
        originalName: '더 글로리',
        mediaType: 'TV',
        year: 2022,
        tagline: `A tagline for ${id}, of a usual length`,
        overview: `An overview of ${id}. `.repeat(10),
        genres: ['Drama', 'Mystery'],
        posterPath: `/${id}.jpg`,
        tmdbId: 1000,
        tmdbSnapshot: null,
        verdictBlurb: null,
        revision: 1,
      }),
    ) as TitleRecord;
    record.updatedAt = new Date();
    return record;
  }

  /** A cache over a store that has every title asked for. */
  function cacheOf(maxBytes: number) {
    let entries = () => -1;
    const cache = new RecordCache(
      { titlesByIds: async (ids: readonly string[]) => ids.map(titleRecord) } as unknown as Store,
      new Freshness(MAX_AGE_MS),
      { maxAgeMs: MAX_AGE_MS, maxBytes },
      { watch: (watcher) => (entries = () => watcher().entries) },
    );
    return { cache, store: cache, entries: () => entries() };
  }

  it('counts at least what its records hold in memory', async () => {
    await cacheOf(1e9).store.titlesByIds(['warm-up']); // the code paths run once before measuring
    const { cache, store, entries } = cacheOf(1e9);
    const before = await held();
    for (let i = 0; i < 20_000; i++) await store.titlesByIds([`t${i}`]);
    const growth = (await held()) - before;
    expect(entries()).toBe(20_000);
    expect(growth).toBeLessThanOrEqual(cache.bytes);
    // Not wildly more either: the cap is memory, not a multiple of it.
    expect(cache.bytes).toBeLessThan(2 * growth);
  });

  it('keeps many records within its cap, counted by what they hold', async () => {
    const cap = 2 * 1024 * 1024;
    await cacheOf(cap).store.titlesByIds(['warm-up']);
    const { cache, store, entries } = cacheOf(cap);
    const before = await held();
    for (let i = 0; i < 20_000; i++) await store.titlesByIds([`t${i}`]);
    const growth = (await held()) - before;
    expect(cache.bytes).toBeLessThanOrEqual(cap);
    expect(entries()).toBeLessThan(cap / RECORD_ENTRY_BYTES);
    expect(growth).toBeLessThanOrEqual(cap);
  });
});
