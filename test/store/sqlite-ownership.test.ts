import fs from 'node:fs';
import path from 'node:path';
import { seedStore, syntheticCatalog } from '../fixtures/catalog';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store';
import { capturingLogger } from '../helpers/capturing-logger';
import { tempDataDir, waitFor } from '../helpers/test-app';

/**
 * Ownership of DATA_DIR and its failure modes: one process (one store) at a
 * time, held by an OS lock the kernel drops with the process, never by a PID
 * that can go stale; an unusable DATA_DIR fails fast and says why.
 */
describe('embedded store: DATA_DIR ownership', () => {
  it('refuses a second owner while the first holds DATA_DIR, and lets it in after close', async () => {
    const dataDir = tempDataDir('reelcheck-owner-');
    const first = await SqliteStore.open({ dataDir });
    await expect(SqliteStore.open({ dataDir })).rejects.toThrow(
      `DATA_DIR ${dataDir} is in use by another Reelcheck process`,
    );
    await seedStore(first, { titles: [] });
    await first.close();
    const second = await SqliteStore.open({ dataDir });
    await expect(second.ping()).resolves.toBeUndefined();
    await second.close();
  });

  it('is not blocked by an old pid file naming a live, unrelated process', async () => {
    const dataDir = tempDataDir('reelcheck-owner-');
    // nedb's claim: a PID that is alive (here our parent) used to block the start.
    fs.writeFileSync(path.join(dataDir, 'reelcheck.pid'), String(process.ppid));
    const store = await SqliteStore.open({ dataDir });
    await expect(store.countTitles()).resolves.toBe(0);
    await store.close();
  });

  it('warns, naming them, about data files of the former nedb store it does not read', async () => {
    const dataDir = tempDataDir('reelcheck-owner-');
    fs.writeFileSync(path.join(dataDir, 'ratings.db'), '{"_id":"r1","score":4}\n');
    fs.writeFileSync(path.join(dataDir, 'titles.db'), '');
    const { logger, records } = capturingLogger();
    const store = await SqliteStore.open({ dataDir, logger });
    await store.close();
    const warnings = records.filter((record) => record.level === 40);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({ files: ['titles.db', 'ratings.db'] });
    expect(warnings[0].msg).toMatch(/former nedb embedded store; they are not read/);
  });

  it('leaves only its database file and its marker behind after close', async () => {
    const dataDir = tempDataDir('reelcheck-owner-');
    const store = await SqliteStore.open({ dataDir });
    await seedStore(store, syntheticCatalog(1));
    await store.close();
    await store.close(); // idempotent
    // The file alone is the store (WAL checkpointed and removed), and its marker says so.
    expect(fs.readdirSync(dataDir).sort()).toEqual(['reelcheck.sqlite', 'store-id.json']);
    expect(JSON.parse(fs.readFileSync(path.join(dataDir, 'store-id.json'), 'utf8'))).toMatchObject({
      state: 'closed',
    });
    await expect(store.ping()).rejects.toThrow('The embedded store is closed');
  });
});

describe('embedded store: an unusable DATA_DIR fails fast, naming it and the reason', () => {
  const refused = (dataDir: string) => SqliteStore.open({ dataDir });

  it('a file', async () => {
    const file = path.join(tempDataDir('reelcheck-file-'), 'not-a-dir');
    fs.writeFileSync(file, 'x');
    await expect(refused(file)).rejects.toThrow(
      `DATA_DIR ${file} cannot hold the embedded store: it is not a directory`,
    );
  });

  it('a path under a file', async () => {
    const file = path.join(tempDataDir('reelcheck-file-'), 'plain-file');
    fs.writeFileSync(file, 'x');
    await expect(refused(path.join(file, 'data'))).rejects.toThrow(/cannot be created \(ENOTDIR/);
  });

  it('procfs, which only looks like a directory', async () => {
    await expect(refused('/proc/self')).rejects.toThrow(
      'DATA_DIR /proc/self cannot hold the embedded store: it is on procfs, which does not keep files',
    );
    // Node's own recursive mkdir spins forever here; the check must come first.
    await expect(refused('/proc/reelcheck-data/store')).rejects.toThrow(
      'DATA_DIR /proc/reelcheck-data/store cannot hold the embedded store: it is on procfs',
    );
  });
});

describe('embedded store: maintenance while running', () => {
  it('checkpoints the WAL on a timer (the file shrinks to 0) and stops on close', async () => {
    const dataDir = tempDataDir('reelcheck-maint-');
    const { logger, records } = capturingLogger();
    const store = await SqliteStore.open({ dataDir, logger, maintenanceIntervalMs: 100 });
    const wal = path.join(dataDir, 'reelcheck.sqlite-wal');
    const runs = () => records.filter((record) => record.msg === 'embedded store maintenance done');
    await waitFor(() => runs().length > 0); // the first round empties what migration wrote
    for (let i = 0; i < 300; i++) {
      await store.upsertRating(
        { target: { kind: 'TITLE', titleId: 't' }, voterId: `voter-${i}`, score: 3, comment: null },
        new Date(),
      );
    }
    expect(fs.statSync(wal).size).toBeGreaterThan(0);
    await waitFor(() => fs.statSync(wal).size === 0, 3000);
    // The maintenance round did it (SQLite's own auto-checkpoint never shrinks the file).
    expect(runs().some((run) => Number(run.walBytesBefore) > 0 && run.walBytesAfter === 0)).toBe(
      true,
    );

    await store.close();
    const after = runs().length;
    await new Promise((resolve) => setTimeout(resolve, 350));
    expect(runs().length).toBe(after);
  });
});
