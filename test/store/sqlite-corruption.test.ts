import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { loadCatalog } from '../../src/seed/catalog';
import { seedStore } from '../fixtures/catalog';
import { aggregateOf, type RatingTarget, targetKey } from '../../src/model';
import { storeFile } from '../../src/store/sqlite/database';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store';
import { buildServer, ROOT } from '../helpers/server-process';
import { capturingLogger } from '../helpers/capturing-logger';
import { tempDataDir } from '../helpers/test-app';

/**
 * A damaged file never loses data silently. Real files are damaged by
 * overwriting bytes inside one b-tree page (found with SQLite's dbstat), as a
 * torn write or a bad sector would: damage to base rows refuses the start and
 * `npm run store:repair` salvages every readable row; damage to derived data
 * only (indexes, aggregates) is rebuilt at open with one warning.
 */
const TARGETS: RatingTarget[] = [
  { kind: 'TITLE', titleId: 'the-glory' },
  { kind: 'FACT', titleId: 'the-glory', factId: 'the-glory-bts-1' },
  { kind: 'TITLE', titleId: 'vincenzo' },
];

interface Written {
  id: string;
  key: string;
  voterId: string;
  score: number;
}

/** A store file with the catalog and 3,000 ratings; returns what was written, by rating id. */
async function populatedDataDir(): Promise<{ dataDir: string; written: Written[] }> {
  const dataDir = tempDataDir('reelcheck-corrupt-');
  const store = await SqliteStore.open({ dataDir });
  await seedStore(store, loadCatalog());
  const written: Written[] = [];
  for (let i = 0; i < 3000; i++) {
    const target = TARGETS[i % TARGETS.length];
    const voterId = `voter-${i}`;
    const score = 1 + ((i * 7) % 5);
    const { rating } = await store.upsertRating(
      { target, voterId, score, comment: `comment ${i}` },
      new Date(1_800_000_000_000 + i),
    );
    written.push({ id: rating.id, key: targetKey(target), voterId, score });
  }
  await store.close();
  return { dataDir, written };
}

/** Overwrites the header and cell pointers of the middle leaf page of `btree` (a table or index). */
function damagePage(file: string, btree: string): number {
  const db = new Database(file, { readonly: true });
  const pages = db
    .prepare("SELECT pageno FROM dbstat WHERE name = ? AND pagetype = 'leaf' ORDER BY pageno")
    .pluck()
    .all(btree) as number[];
  const pageSize = db.pragma('page_size', { simple: true }) as number;
  db.close();
  const page = pages[Math.floor(pages.length / 2)] ?? pages[0];
  const fd = fs.openSync(file, 'r+');
  fs.writeSync(fd, Buffer.alloc(200, 0xff), 0, 200, (page - 1) * pageSize + 3);
  fs.closeSync(fd);
  return page;
}

async function expectExactAggregates(store: SqliteStore): Promise<void> {
  const keys = TARGETS.map(targetKey);
  const aggregates = await store.aggregatesByTargets(keys);
  for (const [i, key] of keys.entries()) {
    const scores = (await store.ratingsByTarget(key)).map((r) => r.score);
    expect(aggregates[i]).toEqual(aggregateOf(key, scores));
  }
  expect((await store.rebuildAggregates({ dryRun: true })).drift).toEqual([]);
}

describe('embedded store: a damaged file', () => {
  beforeAll(buildServer);

  it('refuses to start when rows are unreadable; store:repair salvages every readable one', async () => {
    const { dataDir, written } = await populatedDataDir();
    const file = storeFile(dataDir);
    damagePage(file, 'ratings');
    const damaged = fs.readFileSync(file);

    const refused = SqliteStore.open({ dataDir });
    await expect(refused).rejects.toThrow(file);
    await expect(refused).rejects.toThrow(/table ratings: rows cannot be read after rowid \d+/);
    await expect(refused).rejects.toThrow(/SQLite quick_check: .*malformed/);
    await expect(refused).rejects.toThrow('npm run store:repair');
    expect(fs.readFileSync(file).equals(damaged)).toBe(true); // nothing dropped by the refusal

    const output = execFileSync(
      process.execPath,
      [path.join(ROOT, 'dist/scripts/store-repair.js')],
      {
        env: { PATH: process.env.PATH, DATA_DIR: dataDir },
        encoding: 'utf8',
      },
    );
    const backup = /backup of the original: (.+)/.exec(output)?.[1];
    expect(backup).toBeDefined();
    expect(fs.readFileSync(backup!).equals(damaged)).toBe(true);
    const dropped = /ratings: DROPPED unreadable rows from rowid (\d+) to rowid (\d+)/.exec(output);
    expect(dropped).not.toBeNull();
    const [from, to] = [Number(dropped![1]), Number(dropped![2])];
    const lost = written.filter((w) => Number(w.id) >= from && Number(w.id) <= to);
    expect(lost.length).toBeGreaterThan(0);
    expect(output).toContain(
      `ratings: the damaged file's aggregates counted 3000; ${3000 - lost.length} salvaged, ${lost.length} lost`,
    );
    expect(output).toMatch(/titles: kept 3 row\(s\)/);

    const store = await SqliteStore.open({ dataDir });
    try {
      const stored = new Map<string, { voterId: string; score: number }>();
      for (const key of TARGETS.map(targetKey)) {
        for (const r of await store.ratingsByTarget(key)) stored.set(r.id, r);
      }
      expect(stored.size).toBe(written.length - lost.length);
      for (const w of written) {
        if (lost.includes(w)) expect(stored.has(w.id)).toBe(false);
        else expect(stored.get(w.id)).toMatchObject({ voterId: w.voterId, score: w.score });
      }
      await expectExactAggregates(store);
      expect(await store.countTitles()).toBe(3);
    } finally {
      await store.close();
    }
  });

  it('rebuilds damaged derived data (an index, the aggregates) at open with one warning', async () => {
    const { dataDir, written } = await populatedDataDir();
    const file = storeFile(dataDir);
    damagePage(file, 'sqlite_autoindex_ratings_1');
    damagePage(file, 'aggregates');
    const damaged = fs.readFileSync(file);

    const { logger, records } = capturingLogger();
    const store = await SqliteStore.open({ dataDir, logger });
    try {
      const warnings = records.filter((record) => record.level === 40);
      expect(warnings).toHaveLength(1);
      expect(warnings[0].msg).toMatch(/rebuilt it from the intact base tables, nothing lost/);
      const backup = warnings[0].backup as string;
      expect(fs.readFileSync(backup).equals(damaged)).toBe(true);

      let count = 0;
      for (const key of TARGETS.map(targetKey)) count += (await store.ratingsByTarget(key)).length;
      expect(count).toBe(written.length);
      await expectExactAggregates(store);
      const again = await store.upsertRating(
        { target: TARGETS[0], voterId: 'voter-0', score: 5, comment: null },
        new Date(),
      );
      expect(again.created).toBe(false); // the unique (target, voter) index works again
    } finally {
      await store.close();
    }
    const check = new Database(file, { readonly: true });
    expect(check.pragma('quick_check', { simple: true })).toBe('ok');
    check.close();
  });
});
