import fs from 'node:fs';
import path from 'node:path';

/** DATA_DIR cannot hold the embedded store; the message names the directory and the reason. */
export class DataDirError extends Error {
  constructor(dataDir: string, reason: string, options?: { cause?: unknown }) {
    super(`DATA_DIR ${dataDir} cannot hold the embedded store: ${reason}`, options);
    this.name = 'DataDirError';
  }
}

/** Filesystems that look like directories but do not keep files (procfs, sysfs, ...). */
const PSEUDO_FILESYSTEMS = new Map<number, string>([
  [0x9fa0, 'procfs'],
  [0x62656572, 'sysfs'],
  [0x1cd1, 'devpts'],
  [0x64626720, 'debugfs'],
  [0x27e0eb, 'cgroup'],
  [0x63677270, 'cgroup2'],
]);

/**
 * Fails fast, before SQLite touches anything, when DATA_DIR is not a
 * directory that keeps files: a file, a path under a file, a pseudo
 * filesystem such as /proc, or a directory this process cannot write
 * (read-only mount, permissions). Creates it when missing. The write check
 * creates, syncs and removes a probe file, which is what the store will do.
 */
export function ensureUsableDataDir(dataDir: string): void {
  createDirectory(dataDir);
  if (!fs.statSync(dataDir).isDirectory()) {
    throw new DataDirError(dataDir, 'it is not a directory');
  }
  const probe = path.join(dataDir, `.reelcheck-write-check-${process.pid}`);
  try {
    const fd = fs.openSync(probe, 'w');
    try {
      fs.writeSync(fd, 'reelcheck');
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
  } catch (error) {
    throw new DataDirError(dataDir, `files cannot be written there (${describe(error)})`, {
      cause: error,
    });
  } finally {
    fs.rmSync(probe, { force: true });
  }
}

/**
 * mkdir -p, one level at a time, after checking the filesystem of the nearest
 * existing ancestor: Node's recursive mkdir spins forever on procfs (mkdir
 * there fails with ENOENT, which it answers by creating the parent again).
 */
function createDirectory(dataDir: string): void {
  const missing: string[] = [];
  let existing = dataDir;
  while (!fs.existsSync(existing)) {
    missing.unshift(existing);
    existing = path.dirname(existing);
  }
  const kind = PSEUDO_FILESYSTEMS.get(Number(fs.statfsSync(existing).type));
  if (kind) throw new DataDirError(dataDir, `it is on ${kind}, which does not keep files`);
  try {
    for (const dir of missing) fs.mkdirSync(dir);
  } catch (error) {
    throw new DataDirError(dataDir, `it cannot be created (${describe(error)})`, { cause: error });
  }
}

function describe(error: unknown): string {
  const code = (error as NodeJS.ErrnoException)?.code;
  const message = error instanceof Error ? error.message : String(error);
  return code ? `${code}: ${message.replace(/^\w+: /, '')}` : message;
}

const NEDB_FILES = ['titles.db', 'facts.db', 'recommendations.db', 'ratings.db', 'aggregates.db'];

/**
 * Data files of the embedded store before SQLite (nedb) in DATA_DIR. They are
 * not read; the caller warns, so ratings kept there are never ignored silently.
 */
export function formerNedbFiles(dataDir: string): string[] {
  return NEDB_FILES.filter((name) => fs.existsSync(path.join(dataDir, name)));
}
