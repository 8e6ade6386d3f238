import fs from 'node:fs';
import path from 'node:path';
import { backUpStore, restoreStore } from '../../src/store/sqlite/backup';
import { storeFile } from '../../src/store/sqlite/database';
import { repairStore } from '../../src/store/sqlite/repair';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store';
import { capturingLogger } from '../helpers/capturing-logger';
import { tempDataDir } from '../helpers/test-app';

/**
 * The store's lifecycle in DATA_DIR: store-id.json tells a new DATA_DIR from
 * one whose store file was removed, emptied or replaced (refused, naming the
 * newest backup); a clean close leaves the file alone complete, while after
 * an unclean stop the -wal is part of the store; commits are synced (FULL),
 * and ratings arriving together share one commit; a failure repeated on
 * every write is logged once, with a count.
 */
const target = { kind: 'TITLE' as const, titleId: 't' };

async function storeWithRatings(dataDir: string, count: number): Promise<SqliteStore> {
  const store = await SqliteStore.open({ dataDir });
  for (let i = 0; i < count; i++) {
    await store.upsertRating(
      { target, voterId: `v-${i}`, score: 1 + (i % 5), comment: null },
      new Date(),
    );
  }
  return store;
}

async function ratingCount(dataDir: string): Promise<number> {
  const store = await SqliteStore.open({ dataDir });
  try {
    return (await store.ratingsByTarget('title:t')).length;
  } finally {
    await store.close();
  }
}

/** The store's connection, kept by its gate (gate.ts); bracket access keeps it typed. */
const dbOf = (store: SqliteStore) => store['gate'].db;
const marker = (dataDir: string) =>
  JSON.parse(fs.readFileSync(path.join(dataDir, 'store-id.json'), 'utf8')) as {
    storeId: string;
    state: string;
  };

describe('embedded store: never empty by mistake', () => {
  it('refuses a removed, emptied or replaced store file, naming it and the newest backup', async () => {
    const dataDir = tempDataDir('reelcheck-marker-');
    const file = storeFile(dataDir);
    await (await storeWithRatings(dataDir, 10)).close();
    const { storeId } = marker(dataDir);
    expect(storeId).toMatch(/^[0-9a-f-]{36}$/);
    const { file: backup } = await backUpStore(dataDir);

    const refusal = (what: RegExp) => [
      file,
      `store-id.json says DATA_DIR ${dataDir} holds store ${storeId}`,
      what,
      `npm run store:restore -- ${backup}`,
      `move ${path.join(dataDir, 'store-id.json')} away`,
    ];
    const expectRefused = async (what: RegExp) => {
      const opening = SqliteStore.open({ dataDir });
      for (const part of refusal(what)) await expect(opening).rejects.toThrow(part);
    };

    fs.renameSync(file, `${file}.moved`);
    await expectRefused(/but the file is missing/);
    expect(fs.existsSync(file)).toBe(false); // no new store was created

    fs.renameSync(`${file}.moved`, file);
    fs.truncateSync(file, 0);
    await expectRefused(/but the file is empty \(0 bytes\)/);
    expect(fs.statSync(file).size).toBe(0);

    const other = tempDataDir('reelcheck-marker-other-');
    await (await storeWithRatings(other, 3)).close();
    fs.copyFileSync(storeFile(other), file);
    await expectRefused(
      new RegExp(`but the file is another store \\(id ${marker(other).storeId}\\)`),
    );

    // The command the refusal names puts the store back.
    await restoreStore(dataDir, backup);
    expect(await ratingCount(dataDir)).toBe(10);
    expect(marker(dataDir)).toMatchObject({ storeId, state: 'closed' });
  });

  it('starts a new DATA_DIR as today, and a new store where the marker was moved away on purpose', async () => {
    const dataDir = tempDataDir('reelcheck-marker-');
    const store = await storeWithRatings(dataDir, 2);
    expect(marker(dataDir).state).toBe('open');
    await store.close();
    const first = marker(dataDir).storeId;

    fs.rmSync(storeFile(dataDir));
    await expect(SqliteStore.open({ dataDir })).rejects.toThrow('but the file is missing');
    fs.renameSync(path.join(dataDir, 'store-id.json'), path.join(dataDir, 'store-id.json.old'));
    expect(await ratingCount(dataDir)).toBe(0);
    expect(marker(dataDir).storeId).not.toBe(first);
  });
});

describe('embedded store: the -wal holds committed data', () => {
  it('a clean close folds the WAL into the file; after an unclean stop a missing -wal is refused', async () => {
    const dataDir = tempDataDir('reelcheck-wal-');
    const store = await storeWithRatings(dataDir, 500);
    // A crash now: the files as they are on disk while the store is open.
    const crashed = tempDataDir('reelcheck-wal-crash-');
    for (const name of fs.readdirSync(dataDir)) {
      if (name !== 'control.sock')
        fs.copyFileSync(path.join(dataDir, name), path.join(crashed, name));
    }
    expect(fs.statSync(path.join(crashed, 'reelcheck.sqlite-wal')).size).toBeGreaterThan(0);
    expect(marker(crashed).state).toBe('open');
    await store.close();
    expect(fs.readdirSync(dataDir).sort()).toEqual(['reelcheck.sqlite', 'store-id.json']);
    expect(marker(dataDir).state).toBe('closed');
    expect(await ratingCount(dataDir)).toBe(500); // the file alone is complete

    // With its -wal, the crashed store opens with every commit.
    const withWal = tempDataDir('reelcheck-wal-crash-');
    for (const name of fs.readdirSync(crashed)) {
      fs.copyFileSync(path.join(crashed, name), path.join(withWal, name));
    }
    expect(await ratingCount(withWal)).toBe(500);

    // Without it, the start is refused; store:repair accepts the file as it is, on purpose.
    const file = storeFile(crashed);
    fs.rmSync(`${file}-wal`);
    const opening = SqliteStore.open({ dataDir: crashed });
    await expect(opening).rejects.toThrow(
      `the store was not closed cleanly and its write-ahead log ${file}-wal, which holds committed ratings not yet in the file, is missing`,
    );
    await expect(opening).rejects.toThrow('npm run store:repair');
    const repaired = repairStore(crashed);
    expect(repaired.state).toBe('accepted');
    expect(repaired.lines.join('\n')).toContain('commits it held are lost');
    expect(await ratingCount(crashed)).toBeLessThan(500);
  });
});

describe('embedded store: acknowledged means durable', () => {
  it('ratings that arrive together share a commit, each written as if alone', async () => {
    const store = await SqliteStore.open({ dataDir: tempDataDir('reelcheck-group-') });
    try {
      // 200 ratings in one turn of the event loop: 50 voters, each rating 4 times.
      const sent = Array.from({ length: 200 }, (_, i) => ({
        voterId: `v-${i % 50}`,
        score: 1 + ((i * 7) % 5),
      }));
      const results = await Promise.all(
        sent.map(({ voterId, score }) =>
          store.upsertRating({ target, voterId, score, comment: null }, new Date()),
        ),
      );
      // In order: each voter's first rating created it, the later ones re-rated it.
      expect(results.map((r) => r.created)).toEqual(sent.map((_, i) => i < 50));
      // Each answer's aggregate is the one right after its own write.
      expect(results.map((r) => r.aggregate.count)).toEqual(
        sent.map((_, i) => Math.min(i + 1, 50)),
      );
      const stored = await store.ratingsByTarget('title:t');
      expect(new Map(stored.map((r) => [r.voterId, r.score]))).toEqual(
        new Map(sent.slice(150).map(({ voterId, score }) => [voterId, score])),
      );
      expect((await store.rebuildAggregates({ dryRun: true })).drift).toEqual([]);
    } finally {
      await store.close();
    }
  });

  it('syncs every commit (synchronous = FULL in WAL mode)', async () => {
    const store = await SqliteStore.open({ dataDir: tempDataDir('reelcheck-sync-') });
    try {
      expect(dbOf(store).pragma('journal_mode', { simple: true })).toBe('wal');
      expect(dbOf(store).pragma('synchronous', { simple: true })).toBe(2); // FULL
    } finally {
      await store.close();
    }
  });
});

describe('embedded store: quiet under faults', () => {
  it('logs a failure repeated on every write once, then the count when writes work again', async () => {
    const { logger, records } = capturingLogger();
    const store = await SqliteStore.open({ dataDir: tempDataDir('reelcheck-full-'), logger });
    try {
      const db = dbOf(store);
      db.pragma('incremental_vacuum');
      db.pragma(`max_page_count = ${db.pragma('page_count', { simple: true })}`);
      let refused = 0;
      for (let i = 0; i < 300; i++) {
        try {
          await store.upsertRating(
            { target, voterId: `v-${i}`, score: 3, comment: 'x'.repeat(2000) },
            new Date(),
          );
        } catch (error) {
          expect((error as Error).name).toBe('StoreUnavailableError');
          refused++;
        }
      }
      expect(refused).toBeGreaterThan(250);
      const errors = records.filter((record) => record.level === 50);
      expect(errors).toHaveLength(1);
      expect(errors[0].msg).toBe('embedded store operation failed; nothing was written');
      expect(errors[0].err).toBeDefined();

      db.pragma('max_page_count = 1073741823');
      await store.upsertRating({ target, voterId: 'after', score: 3, comment: null }, new Date());
      const summary = records.filter((record) => record.level === 50).slice(1);
      expect(summary).toEqual([
        expect.objectContaining({ code: 'SQLITE_FULL', repeated: refused - 1 }),
      ]);
      expect(summary[0].err).toBeUndefined(); // a count, not another stack
      expect(
        records.find((r) => r.msg === 'embedded store operations succeed again'),
      ).toMatchObject({ failures: refused });
    } finally {
      await store.close();
    }
  });
});
