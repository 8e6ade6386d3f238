import { createLoaders, RecordLoader, whenLoaded } from '../../src/graphql/loaders';
import type { Store } from '../../src/store/port';
import type { TmdbScoreLoader } from '../../src/tmdb';

describe('RecordLoader', () => {
  it('gives what the cache holds at once, and the same record for the rest of the request', async () => {
    const batches: string[][] = [];
    // The cache's record changes between the two asks (another request read it again).
    let version = 0;
    const loader = new RecordLoader<{ id: string; version?: number }>(
      async (keys) => {
        batches.push([...keys]);
        return keys.map((id) => ({ id }));
      },
      (key) => (key === 'kept' ? { id: 'kept', version: (version += 1) } : undefined),
    );
    const now = loader.loadNow('kept');
    expect(now).toEqual({ id: 'kept', version: 1 });
    // Asked again in the request: the record it was given first, as DataLoader's memo gives it.
    await expect(loader.loadNow('kept')).resolves.toBe(now);
    // Not kept: loaded once, in one batch, and the same record for both asks.
    const loaded = loader.loadNow('other');
    expect(loaded).toBeInstanceOf(Promise);
    const again = loader.loadNow('other');
    expect(await again).toBe(await loaded);
    expect(batches).toEqual([['other']]);
  });

  it('loads everything when there is no cache to look in', async () => {
    const loader = new RecordLoader<string>(async (keys) => keys.map((key) => `${key}!`), null);
    const value = loader.loadNow('a');
    expect(value).toBeInstanceOf(Promise);
    await expect(value).resolves.toBe('a!');
  });

  it('makes a title given by slug, from the cache or the store, known by id', async () => {
    const kept = { id: 't1', slug: 'kept' };
    const read = { id: 't2', slug: 'read' };
    const calls: string[] = [];
    const store = {
      titlesBySlugs: async (slugs: readonly string[]) => {
        calls.push(`titlesBySlugs ${slugs.join()}`);
        return slugs.map(() => read);
      },
      titlesByIds: async (ids: readonly string[]) => {
        calls.push(`titlesByIds ${ids.join()}`);
        return ids.map(() => null);
      },
    } as unknown as Store;
    const peek = (method: string, key: string) =>
      method === 'titlesBySlugs' && key === 'kept' ? kept : undefined;
    const loaders = createLoaders(store, {} as TmdbScoreLoader, peek);
    expect(loaders.titleBySlug.loadNow('kept')).toBe(kept);
    await loaders.titleBySlug.loadNow('read');
    await expect(loaders.titleById.loadNow('t1')).resolves.toBe(kept);
    await expect(loaders.titleById.loadNow('t2')).resolves.toBe(read);
    expect(calls).toEqual(['titlesBySlugs read']);
  });
});

describe('whenLoaded', () => {
  it('maps a value at once and a promise after it', async () => {
    expect(whenLoaded(2, (n) => n * 3)).toBe(6);
    const later = whenLoaded(Promise.resolve(2), (n) => n * 3);
    expect(later).toBeInstanceOf(Promise);
    await expect(later).resolves.toBe(6);
  });
});
