import { LRUCache } from 'lru-cache';

/** Memory the cached search results may take in total. */
const MAX_CACHED_BYTES = 32 * 1024 * 1024;

/**
 * The slugs (in slug order) of the titles each recent search matches, kept
 * until the catalog changes. Finding the matches costs O(matches) on the
 * trigram index (O(titles) for a search of 1-2 characters); with the list
 * cached, a search's count and any page of it cost O(log matches + page)
 * whatever the catalog size. This process is the file's only writer, so
 * clearing on every catalog write keeps the cache exact.
 */
export class SearchResults {
  private readonly cache = new LRUCache<string, string[]>({
    maxSize: MAX_CACHED_BYTES,
    sizeCalculation: (slugs) => 64 + slugs.reduce((bytes, slug) => bytes + 16 + 2 * slug.length, 0),
  });

  /** The sorted matching slugs of a normalised search, computed by `find` on a miss. */
  matching(search: string, find: () => string[]): string[] {
    let slugs = this.cache.get(search);
    if (!slugs) {
      slugs = find();
      this.cache.set(search, slugs);
    }
    return slugs;
  }

  clear(): void {
    this.cache.clear();
  }
}

/**
 * Index of the first slug after `after` in slugs sorted by SQLite's BINARY
 * collation (UTF-8 bytes), compared the same way so pages never skip or
 * repeat a title.
 */
export function firstAfter(slugs: readonly string[], after: string): number {
  const key = Buffer.from(after);
  let [low, high] = [0, slugs.length];
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (Buffer.compare(Buffer.from(slugs[middle]), key) <= 0) low = middle + 1;
    else high = middle;
  }
  return low;
}
