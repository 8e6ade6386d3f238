import { createLoaders } from '../../src/graphql/request/loaders';
import type { Store } from '../../src/store/port';
import type { TmdbScoreLoader } from '../../src/tmdb';

describe('createLoaders', () => {
  it('makes a title found by slug or by TMDB id known by id, without another store call', async () => {
    const bySlug = { id: 't1', slug: 'by-slug' };
    const byTmdb = { id: 't2', slug: 'by-tmdb' };
    const calls: string[] = [];
    const store = {
      titlesBySlugs: async (slugs: readonly string[]) => {
        calls.push(`titlesBySlugs ${slugs.join()}`);
        return slugs.map(() => bySlug);
      },
      titlesByTmdbIds: async (keys: ReadonlyArray<{ tmdbId: number }>) => {
        calls.push(`titlesByTmdbIds ${keys.map((key) => key.tmdbId).join()}`);
        return keys.map(() => byTmdb);
      },
      titlesByIds: async (ids: readonly string[]) => {
        calls.push(`titlesByIds ${ids.join()}`);
        return ids.map(() => null);
      },
    } as unknown as Store;
    const loaders = createLoaders(store, {} as TmdbScoreLoader);
    await loaders.titleBySlug.load('by-slug');
    await loaders.titleByTmdb.load({ tmdbId: 7, mediaType: 'TV' });
    await expect(loaders.titleById.load('t1')).resolves.toBe(bySlug);
    await expect(loaders.titleById.load('t2')).resolves.toBe(byTmdb);
    await expect(loaders.titleById.load('t3')).resolves.toBeNull();
    expect(calls).toEqual(['titlesBySlugs by-slug', 'titlesByTmdbIds 7', 'titlesByIds t3']);
  });

  it('batches the loads of one tick into one store call, and memoizes them for the request', async () => {
    const calls: string[][] = [];
    const store = {
      aggregatesByTargets: async (keys: readonly string[]) => {
        calls.push([...keys]);
        return keys.map((targetKey) => ({ targetKey, count: 0 }));
      },
    } as unknown as Store;
    const loaders = createLoaders(store, {} as TmdbScoreLoader);
    const [a, b] = await Promise.all([
      loaders.aggregateByTarget.load('title:a'),
      loaders.aggregateByTarget.load('fact:b'),
    ]);
    expect(await loaders.aggregateByTarget.load('title:a')).toBe(a);
    expect(b).toMatchObject({ targetKey: 'fact:b' });
    expect(calls).toEqual([['title:a', 'fact:b']]);
    // Another request's loaders ask the store again: nothing is memoized across requests.
    await createLoaders(store, {} as TmdbScoreLoader).aggregateByTarget.load('title:a');
    expect(calls).toEqual([['title:a', 'fact:b'], ['title:a']]);
  });
});
