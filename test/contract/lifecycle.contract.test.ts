/**
 * The store contract of the store port's lifecycle role (kind, ping, close;
 * src/store/port/lifecycle.ts). Run against every adapter by
 * describeStoreContract (store-contract.ts).
 */
import type { Store } from '../../src/store/port';
import { describeStoreContract } from './store-contract';

describeStoreContract('lifecycle', (contract) => {
  const { name } = contract;
  let store: Store;
  beforeEach(() => {
    store = contract.store;
  });

  it('answers ping and names its kind', async () => {
    await expect(store.ping()).resolves.toBeUndefined();
    expect(store.kind).toBe(name);
  });
});
