import fs from 'node:fs';
import path from 'node:path';

/**
 * Where copies of the embedded store are kept: DATA_DIR/backups/, one file
 * per copy, named by what made it (the stamp is UTC, so names sort by time):
 *
 * - `reelcheck-<stamp>.sqlite`: `npm run store:backup` without --out; each
 *   was checked (integrity_check) before the script said done.
 * - `reelcheck-before-repair-<stamp>.sqlite` (+ `-wal`): the file as it was
 *   before store:repair or the open-time rebuild of derived data changed it.
 * - `reelcheck-replaced-<stamp>.sqlite` (+ `-wal`): the store that
 *   store:restore put aside.
 */
export const BACKUPS_DIR = 'backups';

export type BackupKind = 'backup' | 'before-repair' | 'replaced';

export function backupsDir(dataDir: string): string {
  return path.join(dataDir, BACKUPS_DIR);
}

/** A new, unused path for a copy of `kind` in DATA_DIR/backups (the directory is created). */
export function newBackupPath(dataDir: string, kind: BackupKind, now = new Date()): string {
  const dir = backupsDir(dataDir);
  fs.mkdirSync(dir, { recursive: true });
  const stamp = now.toISOString().replace(/[:.]/g, '-');
  const infix = kind === 'backup' ? '' : `${kind}-`;
  for (let n = 0; ; n++) {
    const candidate = path.join(dir, `reelcheck-${infix}${stamp}${n ? `-${n}` : ''}.sqlite`);
    if (!fs.existsSync(candidate)) return candidate;
  }
}

const VERIFIED = /^reelcheck-\d{4}-\d\d-\d\dT[\d-]+Z(-\d+)?\.sqlite$/;
const ANY = /^reelcheck-(before-repair-|replaced-)?\d{4}-\d\d-\d\dT[\d-]+Z(-\d+)?\.sqlite$/;

/**
 * The newest non-empty copy in DATA_DIR/backups: a verified store:backup one
 * if there is any, else the newest copy of another kind (it may hold the
 * damage it was taken before). Null when there is none.
 */
export function newestBackup(dataDir: string): { file: string; verified: boolean } | null {
  let names: string[];
  try {
    names = fs.readdirSync(backupsDir(dataDir));
  } catch {
    return null;
  }
  const stampOf = (name: string) => name.replace(/^reelcheck-(before-repair-|replaced-)?/, '');
  const usable = (name: string) => fs.statSync(path.join(backupsDir(dataDir), name)).size > 0;
  for (const [pattern, verified] of [
    [VERIFIED, true],
    [ANY, false],
  ] as const) {
    const found = names
      .filter((name) => pattern.test(name) && usable(name))
      .sort((a, b) => stampOf(a).localeCompare(stampOf(b)))
      .pop();
    if (found) return { file: path.join(backupsDir(dataDir), found), verified };
  }
  return null;
}

/** One sentence naming the newest backup and the command that puts it back (or saying there is none). */
export function restoreAdvice(dataDir: string): string {
  const newest = newestBackup(dataDir);
  if (!newest) {
    return (
      `No backup was found in ${backupsDir(dataDir)}; if you keep backups elsewhere, ` +
      'put one back with `npm run store:restore -- <backup file>` (server stopped).'
    );
  }
  const what = newest.verified ? 'newest backup' : 'newest copy (taken before a repair or restore)';
  return (
    `The ${what} is ${newest.file}: put it back with ` +
    `\`npm run store:restore -- ${newest.file}\` (server stopped).`
  );
}
