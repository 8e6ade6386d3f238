import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type Database from 'better-sqlite3';

/**
 * DATA_DIR/store-id.json: written beside the store file when a store is first
 * opened there, and kept. It names the store (an id also kept inside the
 * database, table `store_identity`) and whether it was last closed cleanly.
 * With it, a start can tell a new DATA_DIR (no marker: create and seed a
 * store) from one whose store file was removed, emptied or replaced by
 * another store's file (marker, but no file, an empty one, or another id):
 * those are refused instead of silently starting empty.
 *
 * `state` is 'open' while a process has the store open and 'closed' after a
 * clean close (which checkpoints the WAL into the file and removes it). After
 * a crash it stays 'open', and the `-wal` file is then part of the store: a
 * start that finds it missing is refused.
 */
export const MARKER_FILE = 'store-id.json';

export interface StoreMarker {
  storeId: string;
  file: string;
  createdAt: string;
  state: 'open' | 'closed';
}

export function markerFile(dataDir: string): string {
  return path.join(dataDir, MARKER_FILE);
}

export function readMarker(dataDir: string): StoreMarker | null {
  const file = markerFile(dataDir);
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
  try {
    const marker = JSON.parse(text) as StoreMarker;
    if (typeof marker.storeId !== 'string' || marker.storeId === '') throw new Error('no storeId');
    return marker;
  } catch (error) {
    throw new Error(
      `${file} is not a store marker (${(error as Error).message}); it names the store of this ` +
        'DATA_DIR: put the original back, or move it away to accept the store file as it is',
      { cause: error },
    );
  }
}

/** Replaces the marker atomically and durably (temp file, fsync, rename, fsync of the directory). */
export function writeMarker(dataDir: string, marker: StoreMarker): void {
  const file = markerFile(dataDir);
  const temp = `${file}.${process.pid}.tmp`;
  const fd = fs.openSync(temp, 'w', 0o644);
  try {
    fs.writeSync(fd, `${JSON.stringify(marker, null, 2)}\n`);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(temp, file);
  const dir = fs.openSync(dataDir, 'r');
  try {
    fs.fsyncSync(dir);
  } finally {
    fs.closeSync(dir);
  }
}

export function setMarkerState(
  dataDir: string,
  storeId: string,
  state: StoreMarker['state'],
): void {
  const previous = readMarker(dataDir);
  writeMarker(dataDir, {
    storeId,
    file: previous?.file ?? 'reelcheck.sqlite',
    createdAt:
      previous && previous.storeId === storeId ? previous.createdAt : new Date().toISOString(),
    state,
  });
}

/** The id kept inside the database, or null (no identity table yet, or unreadable). */
export function readStoreId(db: Database.Database): string | null {
  try {
    const row = db.prepare('SELECT id FROM store_identity LIMIT 1').get() as
      { id: string } | undefined;
    return row?.id ?? null;
  } catch {
    return null;
  }
}

/** Gives the database an id (`id`, or a new one) unless it has one; returns its id. */
export function ensureStoreId(db: Database.Database, id: string = randomUUID()): string {
  const existing = readStoreId(db);
  if (existing) return existing;
  db.transaction(() => {
    db.exec('CREATE TABLE IF NOT EXISTS store_identity (id TEXT NOT NULL)');
    db.prepare('DELETE FROM store_identity').run();
    db.prepare('INSERT INTO store_identity (id) VALUES (?)').run(id);
  }).immediate();
  return id;
}
