/**
 * The store contract of the TMDB snapshots role (src/store/port/tmdb.ts). Run
 * against every adapter by describeStoreContract (store-contract.ts).
 */
import { type TmdbSnapshot } from '../../src/model';
import { seedStore } from '../fixtures/catalog';
import type { Store } from '../../src/store/port';
import { describeStoreContract, seed } from './store-contract';

describeStoreContract('TMDB snapshots', (contract) => {
  let store: Store;
  beforeEach(() => {
    store = contract.store;
  });

  describe('saveTmdbSnapshot', () => {
    it('round-trips the snapshot, Dates included, and ignores unknown titles', async () => {
      await seedStore(store, seed());
      const snapshot: TmdbSnapshot = {
        voteAverage: 7.25,
        voteCount: 98765,
        fetchedAt: new Date('2027-03-04T05:06:07.089Z'),
      };
      await store.saveTmdbSnapshot('my-name', snapshot);
      const [myName] = await store.titlesByIds(['my-name']);
      expect(myName?.tmdbSnapshot).toEqual(snapshot);
      expect(myName?.tmdbSnapshot?.fetchedAt).toBeInstanceOf(Date);
      expect(myName?.tmdbSnapshot?.fetchedAt.getTime()).toBe(snapshot.fetchedAt.getTime());
      const [bySlug] = await store.titlesBySlugs(['my-name']);
      expect(bySlug).toEqual(myName);

      await store.saveTmdbSnapshot('no-such-title', snapshot);
      expect(await store.countTitles()).toBe(3);
      expect(await store.titlesByIds(['no-such-title'])).toEqual([null]);
    });
  });
});
