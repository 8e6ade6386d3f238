import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { newBackupPath } from './backups';
import { askOwner } from './control';
import {
  closeDatabase,
  connect,
  DataDirInUseError,
  removeDatabaseFiles,
  storeFile,
} from './database';
import { ensureStoreId, readMarker, readStoreId, writeMarker } from './identity';
import { StoreUnrecoverableError } from './integrity';

export interface BackupOutcome {
  file: string;
  /** 'server': the owning process ran the online backup; 'direct': this process opened the store. */
  via: 'server' | 'direct';
  storeId: string | null;
  ratings: number;
}

/**
 * `npm run store:backup`: a consistent copy of DATA_DIR's store in `out`
 * (default DATA_DIR/backups/reelcheck-<stamp>.sqlite), with the server
 * running or not.
 *
 * - A process owns DATA_DIR (its control socket answers): it runs SQLite's
 *   online backup itself (control.ts); the copy is the store as of the
 *   backup's end, with every write acknowledged before it began.
 * - Nobody does: this process takes the store's lock (so no server can start
 *   meanwhile) and runs the same backup.
 *
 * The copy is written as `<out>.partial`, checked with `PRAGMA
 * integrity_check` and only then renamed to `out`: a file under the final
 * name is a complete, verified backup.
 */
export async function backUpStore(dataDir: string, out?: string): Promise<BackupOutcome> {
  const file = storeFile(dataDir);
  const target = path.resolve(out ?? newBackupPath(dataDir, 'backup'));
  if (fs.existsSync(target)) throw new Error(`${target} already exists; choose a new file`);
  fs.mkdirSync(path.dirname(target), { recursive: true });
  const partial = `${target}.partial`;
  removeDatabaseFiles(partial);
  let via: BackupOutcome['via'] = 'server';
  try {
    const answer = await askOwner(dataDir, { op: 'backup', to: partial });
    if (answer && !answer.ok) throw new Error(`the server could not back up: ${answer.error}`);
    if (!answer) {
      via = 'direct';
      if (!fs.existsSync(file)) throw new Error(`there is no embedded store at ${file}`);
      let db: Database.Database;
      try {
        db = connect(file, dataDir);
      } catch (error) {
        if (error instanceof DataDirInUseError) {
          throw new Error(
            `${error.message} That process offers no control channel (${path.join(dataDir, 'control.sock')}), ` +
              'so it cannot be asked for a backup: stop it, or upgrade it.',
            { cause: error },
          );
        }
        throw error;
      }
      try {
        await db.backup(partial);
      } finally {
        closeDatabase(db, dataDir);
      }
    }
    const verified = verifyCopy(partial);
    fs.renameSync(partial, target);
    syncDirectory(path.dirname(target));
    return { file: target, via, ...verified };
  } catch (error) {
    removeDatabaseFiles(partial);
    throw error;
  }
}

/**
 * `npm run store:restore -- FILE` (server stopped): puts a backup back as
 * DATA_DIR's store. Refuses while a process owns DATA_DIR. The backup is
 * copied next to the store and checked (integrity_check) first; then the
 * current store file (with its -wal) is moved aside into
 * DATA_DIR/backups/reelcheck-replaced-<stamp>.sqlite, never deleted, the copy
 * takes its place and the marker (store-id.json) names the restored store.
 */
export async function restoreStore(
  dataDir: string,
  from: string,
): Promise<{ file: string; replacedKeptAs: string | null; storeId: string; ratings: number }> {
  const file = storeFile(dataDir);
  const source = path.resolve(from);
  if (!fs.existsSync(source) || fs.statSync(source).size === 0) {
    throw new Error(`${source} is not a backup (missing or empty); nothing was changed`);
  }
  if (await askOwner(dataDir, { op: 'ping' })) throw new DataDirInUseError(dataDir);
  // Holding the current file's lock refuses a running owner without a control channel too.
  let current: Database.Database | null = null;
  if (fs.existsSync(file) && fs.statSync(file).size > 0) {
    try {
      current = connect(file, dataDir);
    } catch (error) {
      if (error instanceof DataDirInUseError) throw error;
      // Damaged beyond opening: nothing can own it; it is replaced (and kept aside).
      if (!(error instanceof StoreUnrecoverableError)) throw error;
    }
  }
  const staging = `${file}.restore`;
  try {
    removeDatabaseFiles(staging);
    fs.copyFileSync(source, staging);
    if (fs.existsSync(`${source}-wal`)) fs.copyFileSync(`${source}-wal`, `${staging}-wal`);
    const copy = connect(staging, dataDir);
    let storeId: string;
    let ratings: number;
    try {
      const check = integrityProblems(copy);
      if (check.length > 0) {
        throw new Error(
          `${source} failed the integrity check; nothing was changed:\n  ${check.join('\n  ')}`,
        );
      }
      // A backup from before store ids gets the id of the store it replaces (or a new one).
      storeId = ensureStoreId(copy, readMarker(dataDir)?.storeId);
      ratings = countRatings(copy);
      copy.pragma('wal_checkpoint(TRUNCATE)');
    } finally {
      copy.close();
    }
    if (current) {
      closeDatabase(current, dataDir); // its WAL folded in: the file kept aside is complete
      current = null;
    }
    let replacedKeptAs: string | null = null;
    if (fs.existsSync(file)) {
      replacedKeptAs = newBackupPath(dataDir, 'replaced');
      fs.renameSync(file, replacedKeptAs);
      if (fs.existsSync(`${file}-wal`)) fs.renameSync(`${file}-wal`, `${replacedKeptAs}-wal`);
    }
    fs.rmSync(`${file}-wal`, { force: true });
    fs.rmSync(`${file}-shm`, { force: true });
    fs.renameSync(staging, file);
    writeMarker(dataDir, {
      storeId,
      file: path.basename(file),
      createdAt: new Date().toISOString(),
      state: 'closed',
    });
    return { file, replacedKeptAs, storeId, ratings };
  } catch (error) {
    removeDatabaseFiles(staging);
    throw error;
  } finally {
    current?.close();
  }
}

/** Opens a finished copy alone and checks it whole; throws when it is not sound. */
function verifyCopy(copyFile: string): { storeId: string | null; ratings: number } {
  const db = new Database(copyFile, { timeout: 0 });
  try {
    db.pragma('locking_mode = EXCLUSIVE'); // no -shm beside the copy
    const problems = integrityProblems(db);
    if (problems.length > 0) {
      throw new Error(`the copy failed the integrity check:\n  ${problems.join('\n  ')}`);
    }
    return { storeId: readStoreId(db), ratings: countRatings(db) };
  } finally {
    db.close();
    fs.rmSync(`${copyFile}-wal`, { force: true });
    fs.rmSync(`${copyFile}-shm`, { force: true });
  }
}

function integrityProblems(db: Database.Database): string[] {
  const rows = db.pragma('integrity_check') as Array<{ integrity_check: string }>;
  const lines = rows.map((row) => row.integrity_check);
  return lines.length === 1 && lines[0] === 'ok' ? [] : lines;
}

function countRatings(db: Database.Database): number {
  try {
    return (db.prepare('SELECT count(*) AS n FROM ratings').get() as { n: number }).n;
  } catch {
    return 0;
  }
}

/** Makes a rename or a new file in `dir` durable (its directory entry synced). */
export function syncDirectory(dir: string): void {
  const fd = fs.openSync(dir, 'r');
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}
