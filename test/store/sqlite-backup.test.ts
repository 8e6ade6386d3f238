import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import Database from 'better-sqlite3';
import { AccuracyDocument, RateAccuracyDocument } from '../generated/graphql';
import { aggregateOf } from '../../src/model';
import { storeFile } from '../../src/store/sqlite/database';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store';
import { execute } from '../helpers/graphql-client';
import { buildServer, exited, freePort, runToExit, startServer } from '../helpers/server-process';
import { tempDir } from '../helpers/temp-dirs';
import { tempDataDir } from '../helpers/test-app';
import { factKey } from './lifecycle-helpers';

/**
 * `npm run store:backup` copies the embedded store while the server (the
 * built server, as `npm start` runs it) keeps acknowledging ratings: the
 * server owns DATA_DIR (EXCLUSIVE lock), so the script asks it, through its
 * control socket, to run SQLite's online backup. `npm run store:restore`
 * puts the copy back with the server stopped, keeping the replaced store.
 */
const serverEnv = (dataDir: string) => ({
  DATA_DIR: dataDir,
  RATINGS_RATE_LIMIT_PER_MINUTE: '1000000',
});

describe('store:backup and store:restore', () => {
  beforeAll(buildServer);

  it('backs up under a rating load; the restored store has every rating acknowledged before the backup began', async () => {
    const dataDir = tempDataDir('reelcheck-backup-');
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const server = await startServer(port, serverEnv(dataDir));
    let stopped = false;
    try {
      const socket = path.join(dataDir, 'control.sock');
      expect(fs.statSync(socket).mode & 0o777).toBe(0o600);
      const page = await execute(url, AccuracyDocument, { slug: 'the-glory' });
      const titleId = page.data!.title!.id;
      const factIds = page.data!.title!.facts.slice(0, 2).map((f) => f.id);

      // 50 raters; each voter rates one fact 1, 2, 3... times, each time with a new score.
      // Every acknowledged score is recorded, in order, per voter.
      const acknowledged = new Map<string, number[]>();
      let acks = 0;
      let loading = true;
      let failures = 0;
      const rater = async (w: number) => {
        for (let i = 0; loading; i++) {
          const voterId = `backup-voter-${w}-${i % 40}`;
          const score = 1 + ((w + i + Math.floor(i / 40)) % 5);
          const res = await execute(url, RateAccuracyDocument, {
            input: { titleId, factId: factIds[(w + i) % 2 === 0 ? 0 : 1], score, voterId },
          });
          if (res.errors) failures++;
          else {
            acknowledged.set(voterId, [...(acknowledged.get(voterId) ?? []), score]);
            acks++;
          }
        }
      };
      const raters = Array.from({ length: 50 }, (_, w) => rater(w));
      while (acks < 1000) await new Promise((resolve) => setTimeout(resolve, 5));

      // What was acknowledged before the backup began: per voter, how many of its scores.
      const before = new Map(
        [...acknowledged].map(([voterId, scores]) => [voterId, scores.length]),
      );
      const acksAtStart = acks;
      const copy = path.join(tempDir('reelcheck-backup-out-'), 'copy.sqlite');
      const backup = await runToExit('dist/scripts/store-backup.js', serverEnv(dataDir), {
        args: ['--out', copy],
        timeoutMs: 60_000,
      });
      const acksDuring = acks - acksAtStart;
      loading = false;
      await Promise.all(raters);
      expect(failures).toBe(0);
      expect(backup.stderr).toBe('');
      expect(backup.code).toBe(0);
      expect(backup.stdout).toContain('through the running server');
      expect(backup.stdout).toContain('integrity check of the copy: ok');
      expect(backup.stdout).toContain(`backup: ${copy}`);
      expect(acksDuring).toBeGreaterThan(0); // the server kept acknowledging while it ran
      expect(fs.existsSync(`${copy}.partial`)).toBe(false);

      // A running server owns DATA_DIR: restore refuses and changes nothing.
      const refused = await runToExit('dist/scripts/store-restore.js', serverEnv(dataDir), {
        args: [copy],
      });
      expect(refused.code).toBe(1);
      expect(refused.stderr).toContain(
        `DATA_DIR ${dataDir} is in use by another Reelcheck process`,
      );

      server.kill('SIGTERM');
      await exited(server);
      stopped = true;
      expect(server.exitCode).toBe(0);
      expect(fs.existsSync(socket)).toBe(false); // removed on close
      const finalRatings = ratingsIn(storeFile(dataDir));

      const restored = await runToExit('dist/scripts/store-restore.js', serverEnv(dataDir), {
        args: [copy],
      });
      expect(restored.stderr).toBe('');
      expect(restored.code).toBe(0);
      const kept = /the replaced store is kept as (.+)/.exec(restored.stdout)?.[1];
      expect(kept).toMatch(/backups\/reelcheck-replaced-.+\.sqlite$/);
      expect(ratingsIn(kept!)).toEqual(finalRatings); // put aside whole, not deleted
      expect(ratingsIn(storeFile(dataDir))).toEqual(ratingsIn(copy));

      const store = await SqliteStore.open({ dataDir });
      try {
        const stored = new Map<string, number>();
        for (const key of factIds.map(factKey)) {
          const ratings = await store.ratingsByTarget(key);
          for (const r of ratings) stored.set(r.voterId, r.score);
          // Nothing half-written: each target's aggregate is exactly its ratings.
          const [aggregate] = await store.aggregatesByTargets([key]);
          expect(aggregate).toEqual(
            aggregateOf(
              key,
              ratings.map((r) => r.score),
            ),
          );
        }
        // Every voter acknowledged before the backup began is there, with the score it had
        // then or one acknowledged later (it may have re-rated while the backup ran).
        for (const [voterId, count] of before) {
          const scores = acknowledged.get(voterId)!;
          expect(scores.slice(count - 1)).toContain(stored.get(voterId));
        }
        // Nothing that was never acknowledged (requests in flight at the end were awaited).
        for (const [voterId, score] of stored) {
          expect(acknowledged.get(voterId) ?? []).toContain(score);
        }
        expect((await store.rebuildAggregates({ dryRun: true })).drift).toEqual([]);
      } finally {
        await store.close();
      }
    } finally {
      if (!stopped) {
        server.kill('SIGTERM');
        await exited(server);
      }
    }
  });

  it('closes while a client holds the control socket without asking anything', async () => {
    const dataDir = tempDataDir('reelcheck-backup-');
    const store = await SqliteStore.open({ dataDir });
    const socket = path.join(dataDir, 'control.sock');
    expect(fs.statSync(socket).mode & 0o777).toBe(0o600);
    const client = net.createConnection(socket);
    await new Promise((resolve) => client.once('connect', resolve));
    const ended = new Promise((resolve) => client.once('close', resolve));
    await store.close(); // does not wait for the silent client
    await ended;
    expect(fs.existsSync(socket)).toBe(false);
  });

  it('backs up a stopped store itself into DATA_DIR/backups, and restore refuses a damaged copy', async () => {
    const dataDir = tempDataDir('reelcheck-backup-');
    const store = await SqliteStore.open({ dataDir });
    for (let i = 0; i < 200; i++) {
      await store.upsertRating(
        {
          target: { kind: 'TITLE', titleId: 't' },
          voterId: `v-${i}`,
          score: 1 + (i % 5),
          comment: null,
        },
        new Date(),
      );
    }
    await store.close();

    const backup = await runToExit('dist/scripts/store-backup.js', { DATA_DIR: dataDir });
    expect(backup.stderr).toBe('');
    expect(backup.code).toBe(0);
    expect(backup.stdout).toContain('directly (no server was running)');
    expect(backup.stdout).toContain('backed up 200 rating(s)');
    const file = /backup: (.+)/.exec(backup.stdout)![1];
    expect(path.dirname(file)).toBe(path.join(dataDir, 'backups'));
    expect(path.basename(file)).toMatch(/^reelcheck-\d{4}-\d\d-\d\dT.*Z\.sqlite$/);
    expect(ratingsIn(file)).toHaveLength(200);
    // The copy ends the script's lock cleanly: the server starts on the same DATA_DIR.
    const reopened = await SqliteStore.open({ dataDir });
    await reopened.close();

    // A damaged copy is refused before anything is moved.
    const damaged = path.join(tempDir('reelcheck-backup-bad-'), 'bad.sqlite');
    fs.copyFileSync(file, damaged);
    const fd = fs.openSync(damaged, 'r+');
    const size = fs.statSync(damaged).size;
    fs.writeSync(fd, Buffer.alloc(4096, 0xff), 0, 4096, size - 4096 * 2 + 100);
    fs.closeSync(fd);
    const before = fs.readFileSync(storeFile(dataDir));
    const refused = await runToExit(
      'dist/scripts/store-restore.js',
      { DATA_DIR: dataDir },
      {
        args: [damaged],
      },
    );
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(
      /store:restore failed: .*bad\.sqlite (failed the integrity check|.*)/,
    );
    expect(refused.stderr).toContain('nothing was changed');
    expect(fs.readFileSync(storeFile(dataDir)).equals(before)).toBe(true);
  });
});

/** Every (voter, score) of a closed store file, in rowid order. */
function ratingsIn(file: string): Array<{ voter_id: string; score: number }> {
  const db = new Database(file, { readonly: true });
  try {
    return db.prepare('SELECT voter_id, score FROM ratings ORDER BY id').all() as Array<{
      voter_id: string;
      score: number;
    }>;
  } finally {
    db.close();
  }
}
