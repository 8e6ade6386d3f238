import { Freshness } from '../../src/cache/freshness';
import { type RequestReads, ResponseCache } from '../../src/cache/responses';
import { CATALOG, EVERYTHING, targetTag, titleTag } from '../../src/cache/tags';
import type { Store } from '../../src/store/port';

const MAX_AGE_MS = 2000;
const T0 = 1_000_000;

/** A response of `bytes` body bytes, as the endpoint keeps it. */
function response(bytes = 10) {
  return {
    status: 200,
    headers: ['content-type', 'application/json; charset=utf-8'],
    body: Buffer.alloc(bytes, 'x'),
    operation: { type: 'query', name: 'Page' },
  };
}

/** A request that started at `at` and read `tags`. */
function read(cache: ResponseCache, at: number, ...tags: string[]): RequestReads {
  const reads = cache.begin(at);
  for (const tag of tags) reads.tags.add(tag);
  return reads;
}

describe('ResponseCache', () => {
  let freshness: Freshness;
  let cache: ResponseCache;
  beforeEach(() => {
    freshness = new Freshness(MAX_AGE_MS);
    cache = new ResponseCache(freshness, { maxAgeMs: MAX_AGE_MS, maxBytes: 10_000 });
  });

  it('answers a kept response until its max age, counted from its request’s start', () => {
    cache.set('page', read(cache, T0, titleTag('a')), response(), T0 + 500);
    expect(cache.get('page', T0 + 600)?.body).toEqual(response().body);
    expect(cache.get('page', T0 + MAX_AGE_MS - 1)).toBeDefined();
    expect(cache.get('page', T0 + MAX_AGE_MS)).toBeUndefined();
    // A request that took longer than the max age is not kept at all.
    cache.set('slow', read(cache, T0, titleTag('a')), response(), T0 + MAX_AGE_MS);
    expect(cache.get('slow', T0 + MAX_AGE_MS)).toBeUndefined();
  });

  it('expires a response by its oldest data: records read before its request started', () => {
    const reads = read(cache, T0 + 1500, titleTag('a'));
    reads.startedAt = T0; // a record it was given had been read at T0 (src/cache/records.ts)
    cache.set('page', reads, response(), T0 + 1600);
    expect(cache.get('page', T0 + MAX_AGE_MS - 1)).toBeDefined();
    expect(cache.get('page', T0 + MAX_AGE_MS)).toBeUndefined();
  });

  it('drops the responses that read what a write changed, and only those', () => {
    cache.set('a', read(cache, T0, titleTag('a'), targetTag('title:a')), response(), T0);
    cache.set('b', read(cache, T0, titleTag('b'), targetTag('title:b')), response(), T0);
    cache.set('list', read(cache, T0, CATALOG, titleTag('a'), titleTag('b')), response(), T0);
    freshness.invalidate([targetTag('title:a')], T0 + 1);
    expect(cache.get('a', T0 + 2)).toBeUndefined();
    expect(cache.get('b', T0 + 2)).toBeDefined();
    expect(cache.get('list', T0 + 2)).toBeDefined();
    freshness.invalidate([CATALOG], T0 + 3);
    expect(cache.get('list', T0 + 4)).toBeUndefined();
    expect(cache.get('b', T0 + 4)).toBeDefined();
    freshness.invalidate(EVERYTHING, T0 + 5);
    expect(cache.get('b', T0 + 6)).toBeUndefined();
  });

  it('never keeps a response whose request read something written while it ran', () => {
    const during = read(cache, T0, titleTag('a'));
    freshness.invalidate([titleTag('a')], T0 + 1);
    cache.set('page', during, response(), T0 + 2);
    expect(cache.get('page', T0 + 3)).toBeUndefined();
    // A request started after the write is kept.
    cache.set('page', read(cache, T0 + 4, titleTag('a')), response(), T0 + 5);
    expect(cache.get('page', T0 + 6)).toBeDefined();
    // So is one whose reads were not written.
    const other = read(cache, T0 + 7, titleTag('b'));
    freshness.invalidate([titleTag('a')], T0 + 8);
    cache.set('other', other, response(), T0 + 9);
    expect(cache.get('other', T0 + 10)).toBeDefined();
  });

  it('keeps at most maxBytes, dropping the least recently used', () => {
    const small = new ResponseCache(freshness, { maxAgeMs: MAX_AGE_MS, maxBytes: 1000 });
    for (let i = 0; i < 20; i++) small.set(`key-${i}`, read(small, T0), response(100), T0);
    let kept = 0;
    for (let i = 0; i < 20; i++) if (small.get(`key-${i}`, T0)) kept++;
    expect(kept).toBeGreaterThan(0);
    expect(kept).toBeLessThan(10);
    expect(small.get('key-0', T0)).toBeUndefined();
    expect(small.get('key-19', T0)).toBeDefined();
  });

  it('counts hits and misses and reports its size to the metrics', () => {
    const lookups: string[] = [];
    let size = () => ({ bytes: -1, entries: -1 });
    const observed = new ResponseCache(
      freshness,
      { maxAgeMs: MAX_AGE_MS, maxBytes: 10_000 },
      { lookup: (result) => lookups.push(result), watchSize: (read) => (size = read) },
    );
    observed.get('page', T0);
    observed.set('page', read(observed, T0), response(100), T0);
    observed.get('page', T0);
    expect(lookups).toEqual(['miss', 'hit']);
    expect(size().entries).toBe(1);
    expect(size().bytes).toBeGreaterThanOrEqual(100);
  });
});

describe('Freshness.invalidating', () => {
  it('invalidates what a write changed once it has run, also when it failed', async () => {
    const freshness = new Freshness(MAX_AGE_MS);
    const cache = new ResponseCache(freshness, { maxAgeMs: MAX_AGE_MS, maxBytes: 10_000 });
    let fail = false;
    const writes: string[] = [];
    const stub = {
      saveTmdbSnapshot: async (titleId: string) => {
        // Still readable while the write runs: only its end invalidates.
        writes.push(`${titleId}: ${cache.get('a') ? 'cached' : 'gone'}`);
        if (fail) throw new Error('disk full');
      },
    } as unknown as Store;
    const store = freshness.invalidating(stub);
    const keep = () => cache.set('a', read(cache, Date.now(), titleTag('a')), response());
    keep();
    await store.saveTmdbSnapshot('a', { voteAverage: 8, voteCount: 1, fetchedAt: new Date() });
    expect(cache.get('a')).toBeUndefined();
    keep();
    fail = true;
    await expect(
      store.saveTmdbSnapshot('a', { voteAverage: 8, voteCount: 1, fetchedAt: new Date() }),
    ).rejects.toThrow('disk full');
    expect(cache.get('a')).toBeUndefined();
    expect(writes).toEqual(['a: cached', 'a: cached']);
  });
});
