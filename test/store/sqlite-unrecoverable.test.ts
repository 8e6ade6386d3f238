import fs from 'node:fs';
import path from 'node:path';
import { backUpStore } from '../../src/store/sqlite/backup';
import { storeFile } from '../../src/store/sqlite/database';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store';
import { buildServer, runToExit } from '../helpers/server-process';
import { tempDataDir } from '../helpers/test-app';

/**
 * Damage store:repair cannot recover (SQLite cannot open the file at all: a
 * cut file, a zeroed header): start-up and store:repair both say so plainly
 * and point to the newest backup and store:restore, which brings it back.
 */
const target = { kind: 'TITLE' as const, titleId: 't' };

async function storeWithBackup(): Promise<{ dataDir: string; file: string; backup: string }> {
  const dataDir = tempDataDir('reelcheck-unrecoverable-');
  const store = await SqliteStore.open({ dataDir });
  for (let i = 0; i < 2000; i++) {
    await store.upsertRating(
      { target, voterId: `v-${i}`, score: 1 + (i % 5), comment: `comment ${i}`.repeat(5) },
      new Date(),
    );
  }
  await store.close();
  const { file: backup } = await backUpStore(dataDir);
  return { dataDir, file: storeFile(dataDir), backup };
}

const damages: Array<[string, (file: string) => void]> = [
  ['a file cut in half', (file) => fs.truncateSync(file, Math.floor(fs.statSync(file).size / 2))],
  [
    'a zeroed header',
    (file) => {
      const fd = fs.openSync(file, 'r+');
      fs.writeSync(fd, Buffer.alloc(100), 0, 100, 0);
      fs.closeSync(fd);
    },
  ],
];

describe('embedded store: damage store:repair cannot recover', () => {
  beforeAll(buildServer);

  it.each(damages)(
    '%s: start-up and store:repair point to the newest backup; store:restore brings it back',
    async (_, damage) => {
      const { dataDir, file, backup } = await storeWithBackup();
      damage(file);
      const damaged = fs.readFileSync(file);

      const opening = SqliteStore.open({ dataDir });
      await expect(opening).rejects.toThrow(`The embedded store ${file} cannot be opened at all`);
      await expect(opening).rejects.toThrow('`npm run store:repair` cannot recover it');
      await expect(opening).rejects.toThrow(
        `The newest backup is ${backup}: put it back with \`npm run store:restore -- ${backup}\``,
      );

      const repair = await runToExit('dist/scripts/store-repair.js', { DATA_DIR: dataDir });
      expect(repair.code).toBe(1);
      expect(repair.stderr).toContain('`npm run store:repair` cannot recover it');
      expect(repair.stderr).toContain(`npm run store:restore -- ${backup}`);
      expect(fs.readFileSync(file).equals(damaged)).toBe(true);

      const restore = await runToExit(
        'dist/scripts/store-restore.js',
        { DATA_DIR: dataDir },
        {
          args: [backup],
        },
      );
      expect(restore.stderr).toBe('');
      expect(restore.code).toBe(0);
      const kept = /the replaced store is kept as (.+)/.exec(restore.stdout)![1];
      expect(fs.readFileSync(kept).equals(damaged)).toBe(true);

      const store = await SqliteStore.open({ dataDir });
      try {
        expect(await store.ratingsByTarget('title:t')).toHaveLength(2000);
      } finally {
        await store.close();
      }
    },
  );

  it('says so when there is no backup to restore', async () => {
    const dataDir = tempDataDir('reelcheck-unrecoverable-');
    await (await SqliteStore.open({ dataDir })).close();
    damages[1][1](storeFile(dataDir));
    await expect(SqliteStore.open({ dataDir })).rejects.toThrow(
      `No backup was found in ${path.join(dataDir, 'backups')}`,
    );
  });
});
