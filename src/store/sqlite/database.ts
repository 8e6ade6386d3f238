import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { ensureUsableDataDir } from './data-dir';
import {
  ensureStoreId,
  markerFile,
  readMarker,
  readStoreId,
  setMarkerState,
  type StoreMarker,
} from './identity';
import {
  diagnose,
  StoreCorruptError,
  StoreMissingError,
  StoreUnrecoverableError,
} from './integrity';
import { migrate } from './migrations';
import { backUp, describeSalvage, lostNothing, type SalvageReport, salvageInto } from './salvage';

/**
 * The embedded store's file under DATA_DIR, plus its -wal while open or after
 * a crash (it then holds committed writes: never delete it) and
 * store-id.json (identity.ts) beside it.
 */
export const STORE_FILE = 'reelcheck.sqlite';

export function storeFile(dataDir: string): string {
  return path.join(dataDir, STORE_FILE);
}

/** Another process holds the file: one process owns a DATA_DIR. */
export class DataDirInUseError extends Error {
  constructor(dataDir: string, options?: { cause?: unknown }) {
    super(
      `DATA_DIR ${dataDir} is in use by another Reelcheck process (its database is locked). ` +
        'Stop that process first (scripts such as seed and ratings:rebuild need the server stopped), ' +
        'or point DATA_DIR elsewhere: the embedded store has one owner at a time.',
      options,
    );
    this.name = 'DataDirInUseError';
  }
}

/** Told when damage to derived data was repaired at open (nothing was lost). */
export type DerivedRepairListener = (repair: { backup: string; report: string[] }) => void;

/**
 * Opens DATA_DIR's store file for this process alone, checks it, repairs
 * damaged derived data, and migrates it to the current schema.
 *
 * - DATA_DIR is checked first (ensureUsableDataDir): an unusable one fails
 *   fast with a message that says why.
 * - Ownership: `locking_mode = EXCLUSIVE` holds an OS lock on the file for the
 *   connection's life. The kernel releases it when the process dies, so a
 *   crash or a reused PID can never block a start; a second live process gets
 *   DataDirInUseError at once (no busy wait).
 * - WAL with `synchronous = FULL`: the WAL is synced to disk at every commit
 *   before it returns, so an acknowledged write survives kill -9 and a power
 *   loss. In EXCLUSIVE mode the WAL index lives in the process's memory: no
 *   -shm file.
 * - Identity (identity.ts): DATA_DIR/store-id.json names the store; a file
 *   that was removed, emptied or replaced by another store's, or a -wal
 *   missing after an unclean stop, is refused (StoreMissingError) instead of
 *   starting a new, empty store. A file SQLite cannot open at all (damaged
 *   header, cut short) is refused with StoreUnrecoverableError, which points
 *   to the newest backup and store:restore (store:repair cannot read it).
 * - A file whose base tables cannot be read completely is refused
 *   (StoreCorruptError names the file, SQLite's report and the repair
 *   command). Damage only to derived data is rebuilt from the base tables
 *   into a fresh file, after a backup, and reported to `onDerivedRepair`.
 */
export function openDatabase(
  dataDir: string,
  onDerivedRepair: DerivedRepairListener = () => undefined,
): Database.Database {
  ensureUsableDataDir(dataDir);
  const file = storeFile(dataDir);
  const marker = readMarker(dataDir);
  if (marker) refuseLostStoreFile(dataDir, file, marker);
  let db = connect(file, dataDir);
  try {
    // Another store's file is refused before anything (a rebuild, a migration) touches it.
    const replaced = (found: string | null) => {
      if (marker && found !== marker.storeId) {
        throw new StoreMissingError(file, 'replaced', {
          dataDir,
          marker: markerFile(dataDir),
          storeId: marker.storeId,
          foundId: found,
        });
      }
    };
    const early = readStoreId(db);
    if (early !== null) replaced(early);
    const diagnosis = diagnose(db);
    if (diagnosis.state === 'base') throw new StoreCorruptError(file, diagnosis.report);
    if (diagnosis.state === 'derived') {
      db = rebuildDerivedData(db, file, dataDir, diagnosis.report, onDerivedRepair);
    }
    migrate(db, file);
    replaced(readStoreId(db));
    // A new store, or one from before store ids (or whose marker was moved away on purpose).
    const storeId = ensureStoreId(db);
    setMarkerState(dataDir, storeId, 'open');
    return db;
  } catch (error) {
    db.close();
    throw error;
  }
}

/**
 * The marker says DATA_DIR holds a store: refuses a missing or empty file,
 * and a missing -wal after an unclean stop (the marker still says 'open').
 * Runs before SQLite, which would create a new file.
 */
function refuseLostStoreFile(dataDir: string, file: string, marker: StoreMarker): void {
  const details = { dataDir, marker: markerFile(dataDir), storeId: marker.storeId };
  if (!fs.existsSync(file)) throw new StoreMissingError(file, 'removed', details);
  if (fs.statSync(file).size === 0) throw new StoreMissingError(file, 'emptied', details);
  if (marker.state === 'open' && !fs.existsSync(`${file}-wal`)) {
    throw new StoreMissingError(file, 'wal-missing', details);
  }
}

/**
 * Closes the store cleanly: a TRUNCATE checkpoint moves every committed page
 * of the WAL into the file (synced), then the marker is set to 'closed', and
 * close() removes the empty WAL. The file alone is then the whole store. If
 * the checkpoint fails (e.g. a full disk), the marker stays 'open' and the
 * WAL stays required.
 */
export function closeDatabase(db: Database.Database, dataDir: string): void {
  if (!db.open) return;
  try {
    const [result] = db.pragma('wal_checkpoint(TRUNCATE)') as Array<{ busy: number }>;
    const storeId = readStoreId(db);
    if (result?.busy === 0 && storeId) setMarkerState(dataDir, storeId, 'closed');
  } finally {
    db.close();
  }
}

/** Opens and locks one file with the store's settings; used for the store and for repairs. */
export function connect(file: string, dataDir: string): Database.Database {
  let db: Database.Database | undefined;
  const isNew = !fs.existsSync(file) || fs.statSync(file).size === 0;
  try {
    db = new Database(file, { timeout: 0 });
    db.pragma('locking_mode = EXCLUSIVE');
    // Before the first table; on an existing file the pragma would rewrite its header.
    if (isNew) db.pragma('auto_vacuum = INCREMENTAL');
    const mode = db.pragma('journal_mode = WAL', { simple: true });
    if (mode !== 'wal') throw new Error(`${file} cannot use write-ahead logging (mode ${mode})`);
    // FULL in WAL mode: each commit syncs the WAL before it returns (durable on power loss).
    db.pragma('synchronous = FULL');
    // The first read takes the lock (held until close) without writing anything.
    db.prepare('SELECT count(*) FROM sqlite_schema').get();
    return db;
  } catch (error) {
    db?.close();
    const code = (error as { code?: string }).code;
    if (code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED') {
      throw new DataDirInUseError(dataDir, { cause: error });
    }
    if (code === 'SQLITE_NOTADB' || code?.startsWith('SQLITE_CORRUPT')) {
      // Not even the header and schema can be read: nothing to salvage.
      throw new StoreUnrecoverableError(file, [`SQLite: ${(error as Error).message}`], dataDir);
    }
    throw new Error(`Cannot open the embedded store ${file}: ${(error as Error).message}`, {
      cause: error,
    });
  }
}

/**
 * Derived data (indexes, aggregates, search index, free-page lists) is
 * damaged but every base row is readable: rebuilds the file from its base
 * tables (see rebuildFile) after a backup. If the copy unexpectedly loses a
 * row, start is refused instead and the original stays in place.
 */
function rebuildDerivedData(
  db: Database.Database,
  file: string,
  dataDir: string,
  report: string[],
  onDerivedRepair: DerivedRepairListener,
): Database.Database {
  const backup = backUp(file);
  rebuildFile(db, file, dataDir, (salvage) => {
    if (!lostNothing(salvage)) {
      throw new StoreCorruptError(file, [...report, ...describeSalvage(salvage)]);
    }
  });
  onDerivedRepair({ backup, report });
  return connect(file, dataDir);
}

/**
 * Copies every readable base row of the open `db` into a fresh file next to
 * it, rebuilds derived data there (salvageInto), and, unless `accept` throws,
 * closes both and moves the fresh file over the original. `db` is closed
 * when it returns; on a throw the original is untouched.
 */
export function rebuildFile(
  db: Database.Database,
  file: string,
  dataDir: string,
  accept: (salvage: SalvageReport) => void,
): SalvageReport {
  const fresh = `${file}.rebuild`;
  removeDatabaseFiles(fresh);
  // The store keeps its identity across a rebuild (from the file, else from its marker).
  const storeId = readStoreId(db) ?? readMarker(dataDir)?.storeId;
  const target = connect(fresh, dataDir);
  let salvage: SalvageReport;
  try {
    migrate(target, fresh);
    if (storeId) ensureStoreId(target, storeId);
    salvage = salvageInto(db, target);
    accept(salvage);
  } catch (error) {
    target.close();
    removeDatabaseFiles(fresh);
    throw error;
  }
  target.close();
  db.close();
  replaceDatabaseFile(fresh, file);
  return salvage;
}

/**
 * Moves a closed, complete database file over `file`. The old file's WAL is
 * removed first: it belongs to the old file and must never be replayed into
 * the new one.
 */
export function replaceDatabaseFile(fresh: string, file: string): void {
  fs.rmSync(`${file}-wal`, { force: true });
  fs.rmSync(`${file}-shm`, { force: true });
  fs.renameSync(fresh, file);
}

export function removeDatabaseFiles(file: string): void {
  for (const suffix of ['', '-wal', '-shm']) fs.rmSync(`${file}${suffix}`, { force: true });
}
