import Database from 'better-sqlite3';
import { loadCatalog } from '../../src/seed/catalog';
import { storeFile } from '../../src/store/sqlite/database';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store';
import { seedStore } from '../fixtures/catalog';
import { tempDataDir } from '../helpers/test-app';

/**
 * Upgrades of the embedded store's file (src/store/sqlite/migrations.ts) that
 * can meet data they must not decide about on their own.
 */
describe('embedded store: upgrading a file', () => {
  /** A seeded file taken back to schema version 2, as that version left it. */
  async function versionTwoFile(dataDir: string): Promise<string> {
    const store = await SqliteStore.open({ dataDir });
    await seedStore(store, loadCatalog());
    await store.close();
    const db = new Database(storeFile(dataDir));
    db.exec(`
      ${DROP_VERSION_FOUR}
      DROP INDEX titles_tmdb_unique;
      CREATE INDEX titles_tmdb ON titles (tmdb_id, media_type);
      PRAGMA user_version = 2;
    `);
    db.close();
    return storeFile(dataDir);
  }

  /** What version 4 added: reports and the review queue (issue 22). */
  const DROP_VERSION_FOUR = `
    DROP TABLE reports; DROP TABLE fact_reviews; DROP TABLE review_resolutions; DROP TABLE review_settings;
  `;

  const inspect = (file: string, work: (db: Database.Database) => unknown) => {
    const db = new Database(file, { readonly: true });
    try {
      return work(db);
    } finally {
      db.close();
    }
  };
  const indexes = (db: Database.Database) =>
    db
      .prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'titles'")
      .pluck()
      .all();

  it('gives a TMDB identity to one title: version 3 adds the unique index', async () => {
    const dataDir = tempDataDir('reelcheck-migrate-');
    const file = await versionTwoFile(dataDir);
    const store = await SqliteStore.open({ dataDir });
    await store.close();
    inspect(file, (db) => {
      expect(db.pragma('user_version', { simple: true })).toBe(4);
      expect(indexes(db)).toContain('titles_tmdb_unique');
      expect(indexes(db)).not.toContain('titles_tmdb');
    });
  });

  it('refuses to upgrade titles that share a TMDB identity, naming them; nothing changes', async () => {
    const dataDir = tempDataDir('reelcheck-migrate-');
    const file = await versionTwoFile(dataDir);
    const db = new Database(file);
    db.prepare("UPDATE titles SET tmdb_id = 136283, media_type = 'TV' WHERE id = 'vincenzo'").run();
    db.close();

    await expect(SqliteStore.open({ dataDir })).rejects.toThrow(
      /TMDB identity must name one title.*TV 136283: (the-glory \(the-glory\), vincenzo \(vincenzo\)|vincenzo \(vincenzo\), the-glory \(the-glory\))\. Clear tmdbId/,
    );
    inspect(file, (db) => {
      expect(db.pragma('user_version', { simple: true })).toBe(2);
      expect(indexes(db)).toContain('titles_tmdb');
      expect(
        db.prepare('SELECT id FROM titles WHERE tmdb_id = 136283 ORDER BY id').pluck().all(),
      ).toEqual(['the-glory', 'vincenzo']);
    });

    // What the message says to do: clear it on all but one, then start again.
    const fix = new Database(file);
    fix.prepare("UPDATE titles SET tmdb_id = NULL WHERE id = 'vincenzo'").run();
    fix.close();
    const store = await SqliteStore.open({ dataDir });
    const [glory] = await store.titlesByTmdbIds([{ tmdbId: 136283, mediaType: 'TV' }]);
    expect(glory?.id).toBe('the-glory');
    await store.close();
  });

  it('queues facts rated before version 4 by their ratings when it adds the review queue', async () => {
    const dataDir = tempDataDir('reelcheck-migrate-');
    const store = await SqliteStore.open({ dataDir });
    await seedStore(store, loadCatalog());
    const [fact] = (await store.factsByTitleIds(['the-glory']))[0];
    const target = { kind: 'FACT', titleId: 'the-glory', factId: fact.id } as const;
    // 8 low scores of 10: over the default threshold (docs/reviews.md).
    const scores = [1, 1, 1, 1, 2, 2, 2, 2, 5, 5];
    for (const [i, score] of scores.entries()) {
      await store.upsertRating(
        { target, voterId: `migration-voter-${i}`, score, comment: null },
        new Date(),
      );
    }
    await store.close();
    const db = new Database(storeFile(dataDir));
    db.exec(`${DROP_VERSION_FOUR} PRAGMA user_version = 3;`);
    db.close();

    const upgraded = await SqliteStore.open({ dataDir });
    try {
      const queue = await upgraded.reviewQueue({ first: 10 });
      expect(queue.items.map((entry) => entry.factId)).toEqual([fact.id]);
      expect(queue.items[0].rank.figures).toMatchObject({ ratings: 10, lowRatings: 8 });
    } finally {
      await upgraded.close();
    }
  });
});
