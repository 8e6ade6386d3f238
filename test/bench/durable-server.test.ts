import { todayMode } from '../../scripts/bench/durable-server';
import { benchCatalog, buildSqliteStore, titleIdAt } from '../../scripts/bench/fixtures';
import type { Store } from '../../src/store';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store';
import { tempDir } from '../helpers/temp-dirs';

/**
 * Issue 20's "today" mode (durable-server.ts): NORMAL sync and every rating
 * committed inside its own upsertRating call, as before group commit; the
 * store as built answers a rating only at the next turn's group commit.
 */
describe('durable-ratings commit modes', () => {
  async function withStore(use: (store: SqliteStore) => Promise<void>): Promise<void> {
    const dataDir = tempDir('reelcheck-durable-');
    await buildSqliteStore(dataDir, benchCatalog(1));
    const store = await SqliteStore.open({ dataDir });
    try {
      await use(store);
    } finally {
      await store.close();
    }
  }

  /** Whether a rating sent now is answered before the event loop's next turn. */
  async function answeredInTheSameTurn(store: Store, voterId: string): Promise<boolean> {
    let answered = false;
    const written = store
      .upsertRating(
        { target: { kind: 'TITLE', titleId: titleIdAt(0) }, voterId, score: 4, comment: null },
        new Date(),
      )
      .then(() => (answered = true));
    for (let i = 0; i < 5; i++) await Promise.resolve(); // microtasks only
    const sameTurn = answered;
    await written;
    return sameTurn;
  }

  it('today: synchronous = NORMAL, each rating committed in its own call', async () => {
    await withStore(async (opened) => {
      const { db } = opened['gate'];
      expect(db.pragma('synchronous', { simple: true })).toBe(2); // FULL, as built
      const today = todayMode(opened);
      expect(db.pragma('synchronous', { simple: true })).toBe(1); // NORMAL
      expect(today.kind).toBe('sqlite');
      expect(await answeredInTheSameTurn(today, 'voter-today-1')).toBe(true);
      const [aggregate] = await today.aggregatesByTargets([`title:${titleIdAt(0)}`]);
      expect(aggregate.count).toBe(1);
    });
  });

  it('durable (as built): answered at the group commit, a turn later', async () => {
    await withStore(async (opened) => {
      expect(await answeredInTheSameTurn(opened, 'voter-durable-1')).toBe(false);
    });
  });
});
