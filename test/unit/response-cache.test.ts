import { heldHeap } from '../helpers/heap';
import { Freshness } from '../../src/cache/freshness';
import { EMBEDDED_MIN_MAX_AGE_SECONDS, inProcessMaxAgeSeconds } from '../../src/cache';
import { RecordCache } from '../../src/cache/records';
import type { RequestReads } from '../../src/cache/request-reads';
import { ResponseCache } from '../../src/cache/responses';
import { VARY_BY, varyWith } from '../../src/cache/policy';
import { RESPONSE_ENTRY_BYTES, responseEntryBytes, stringBytes } from '../../src/cache/sizes';
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
    const size = responseEntryBytes('key-10', { ...response(100), tags: [] });
    const small = new ResponseCache(freshness, {
      maxAgeMs: MAX_AGE_MS,
      maxBytes: Math.floor(5.5 * size),
    });
    for (let i = 0; i < 20; i++) small.set(`key-${i}`, read(small, T0), response(100), T0);
    let kept = 0;
    for (let i = 0; i < 20; i++) if (small.get(`key-${i}`, T0)) kept++;
    expect(kept).toBe(5);
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
    expect(size().bytes).toBe(responseEntryBytes('page', observed.get('page', T0)!));
  });
});

/**
 * Memory: RESPONSE_CACHE_MAX_MB must bound what the process holds. Entries
 * here are shaped as the endpoint keeps them: fresh strings (the key
 * concatenated from the request's parts, the headers as read back from the
 * response), and a small body made by Buffer.from(string) between other small
 * Buffers, as on a busy server: a slice of one of Node's shared 8 KiB pools.
 */
describe('ResponseCache memory', () => {
  // Full collections until the heap settles: seconds on an idle machine, longer beside a busy suite.
  jest.setTimeout(180_000);
  const held = heldHeap();
  const fresh = (text: string) => Buffer.from(text).toString('latin1');
  const HEADERS = [
    ['content-security-policy', "default-src 'none';frame-ancestors 'none'"],
    ['strict-transport-security', 'max-age=31536000; includeSubDomains'],
    ['x-content-type-options', 'nosniff'],
    ['access-control-allow-origin', 'https://app.example'],
    ['vary', 'Origin, accept, origin'],
    ['cache-control', 'public, max-age=2'],
    ['content-type', 'application/json; charset=utf-8'],
  ];

  /** Keeps the answer to the i-th distinct request, as the endpoint does. */
  function keep(cache: ResponseCache, i: number): void {
    Buffer.from('x'.repeat(4000)); // other requests' bytes: the next body lands on another pool
    const body = Buffer.from('{"data":{"title":null}}');
    const text = JSON.stringify({
      query: 'query($s: String!) { title(slug: $s) { id } }',
      variables: { s: `probe-${i}` },
    });
    const key = `POST\n${fresh('*/*')}\n${fresh('https://app.example')}\n${text}`;
    const headers = HEADERS.flatMap(([name, value]) => [fresh(name), fresh(value)]);
    headers.push('content-length', String(body.length));
    const reads = cache.begin(T0);
    reads.tags.add(CATALOG);
    cache.set(
      key,
      reads,
      { status: 200, headers, body, operation: { type: 'query', name: 'anonymous' } },
      T0,
    );
  }

  function cacheOf(maxBytes: number) {
    let size = () => ({ bytes: -1, entries: -1 });
    const cache = new ResponseCache(
      new Freshness(MAX_AGE_MS),
      { maxAgeMs: MAX_AGE_MS, maxBytes },
      { lookup: () => undefined, watchSize: (read) => (size = read) },
    );
    return { cache, size: () => size() };
  }

  it('keeps its own exact copy of a body, not the pooled slice it was given', () => {
    const { cache } = cacheOf(1_000_000);
    const body = Buffer.from('{"data":{"title":null}}');
    expect(body.buffer.byteLength).toBeGreaterThan(body.length); // a slice of the 8 KiB pool
    cache.set('page', read(cache, T0), { ...response(), body }, T0);
    const kept = cache.get('page', T0)!.body;
    expect(kept.toString()).toBe('{"data":{"title":null}}');
    expect(kept.buffer.byteLength).toBe(kept.length);
    body.fill('!');
    expect(kept.toString()).toBe('{"data":{"title":null}}');
  });

  it('counts at least what its entries hold in memory', async () => {
    keep(cacheOf(1e9).cache, -1); // the code paths run once before measuring
    const { cache, size } = cacheOf(1e9);
    const before = await held();
    for (let i = 0; i < 20_000; i++) keep(cache, i);
    const growth = (await held()) - before;
    expect(size().entries).toBe(20_000);
    expect(growth).toBeLessThanOrEqual(size().bytes);
    // Not wildly more either: the cap is memory, not a fraction of it.
    expect(size().bytes).toBeLessThan(2 * growth);
  });

  it('keeps many tiny entries within its cap, counted by what they hold', async () => {
    const cap = 4 * 1024 * 1024;
    keep(cacheOf(cap).cache, -1);
    const { cache, size } = cacheOf(cap);
    const before = await held();
    for (let i = 0; i < 20_000; i++) keep(cache, i);
    const growth = (await held()) - before;
    expect(size().bytes).toBeLessThanOrEqual(cap);
    expect(size().entries).toBeLessThan(cap / RESPONSE_ENTRY_BYTES);
    expect(growth).toBeLessThanOrEqual(cap);
  });
});

describe('in-process lifetime', () => {
  it('is at least a minute on the embedded store, as configured on MongoDB', () => {
    expect(EMBEDDED_MIN_MAX_AGE_SECONDS).toBe(60);
    expect(inProcessMaxAgeSeconds(2, 'sqlite')).toBe(60);
    expect(inProcessMaxAgeSeconds(600, 'sqlite')).toBe(600);
    expect(inProcessMaxAgeSeconds(2, 'mongo')).toBe(2);
    expect(inProcessMaxAgeSeconds(600, 'mongo')).toBe(600);
  });

  it('keeps an answer past the public max-age until invalidated, its Age within that max-age', () => {
    const freshness = new Freshness(60_000);
    const cache = new ResponseCache(freshness, {
      maxAgeMs: 60_000,
      publicMaxAgeMs: 2000,
      maxBytes: 10_000,
    });
    expect(cache.maxAgeSeconds).toBe(2);
    cache.set('page', read(cache, T0, titleTag('a'), targetTag('title:a')), response(), T0);
    expect(cache.get('page', T0 + 30_000)).toBeDefined();
    // Known current at every hit: counted revalidated once per public max-age.
    expect(cache.ageSeconds(T0, T0 + 1999)).toBe(1);
    expect(cache.ageSeconds(T0, T0 + 2000)).toBe(0);
    expect(cache.ageSeconds(T0, T0 + 31_500)).toBe(1);
    expect(cache.get('page', T0 + 60_000)).toBeUndefined();
    cache.set('page', read(cache, T0, titleTag('a'), targetTag('title:a')), response(), T0);
    freshness.invalidate([targetTag('title:a')], T0 + 10);
    expect(cache.get('page', T0 + 20)).toBeUndefined();
  });

  it('on the embedded store, keeps an answer a lifetime from each hit that finds it current, unless it read a live TMDB score', () => {
    const freshness = new Freshness(60_000);
    const cache = new ResponseCache(freshness, {
      maxAgeMs: 60_000,
      publicMaxAgeMs: 2000,
      maxBytes: 10_000,
      exact: true,
    });
    cache.set('page', read(cache, T0, titleTag('a')), response(), T0);
    const scored = read(cache, T0, titleTag('b'));
    scored.live = true; // it showed a TMDB score (src/tmdb/scores.ts createLoader)
    cache.set('scored', scored, response(), T0);
    expect(cache.get('page', T0 + 59_000)).toBeDefined();
    expect(cache.get('scored', T0 + 59_000)).toBeDefined();
    // A live score's answer expires a lifetime after it was computed: the next read refreshes it.
    expect(cache.get('scored', T0 + 60_000)).toBeUndefined();
    // Read within each lifetime: kept on, its Age still counted from when it was computed.
    expect(cache.get('page', T0 + 118_000)?.startedAt).toBe(T0);
    expect(cache.get('page', T0 + 177_000)).toBeDefined();
    // A write still drops it at once.
    freshness.invalidate([titleTag('a')], T0 + 177_500);
    expect(cache.get('page', T0 + 177_600)).toBeUndefined();
    // Not read for a lifetime: expired.
    cache.set('other', read(cache, T0 + 200_000, titleTag('c')), response(), T0 + 200_000);
    expect(cache.get('other', T0 + 259_999)).toBeDefined();
    expect(cache.get('other', T0 + 319_998)).toBeDefined();
    expect(cache.get('other', T0 + 380_000)).toBeUndefined();
  });

  it('gives the time since an answer was computed as its Age where it is kept no longer than CDNs may', () => {
    const cache = new ResponseCache(new Freshness(MAX_AGE_MS), {
      maxAgeMs: MAX_AGE_MS,
      maxBytes: 10_000,
    });
    expect(cache.maxAgeSeconds).toBe(2);
    expect(cache.ageSeconds(T0, T0 + 1999)).toBe(1);
    expect(cache.ageSeconds(T0 + 10, T0)).toBe(0);
  });
});

describe('varyWith', () => {
  it('adds field names to a Vary header, each once whatever its case, never dropping one', () => {
    expect(varyWith(undefined, VARY_BY)).toBe('accept, origin');
    // As the CORS middleware leaves it on the response.
    expect(varyWith('Origin', VARY_BY)).toBe('Origin, accept');
    expect(varyWith(['Accept-Encoding', 'origin'], VARY_BY)).toBe(
      'Accept-Encoding, origin, accept',
    );
    expect(varyWith('Accept, X-Client', ['accept', 'origin'])).toBe('Accept, X-Client, origin');
    expect(varyWith('*', VARY_BY)).toBe('*');
  });
});

describe('stringBytes', () => {
  it('counts one byte a character for Latin-1 text, two for any other', () => {
    expect(stringBytes('the-glory')).toBe(9);
    expect(stringBytes('café')).toBe(4);
    expect(stringBytes('더 글로리')).toBe(10);
    expect(stringBytes('a😀')).toBe(6);
  });
});

describe('writes through the store in front of the caches', () => {
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
    const store = new RecordCache(stub, freshness, null);
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
