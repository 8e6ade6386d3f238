import fs from 'node:fs';
import path from 'node:path';

/**
 * nedb holds its data in memory and appends to files; two processes on one
 * DATA_DIR would silently overwrite each other. A pid file claims the directory.
 * A claim left by a dead process (e.g. after `kill -9`) is taken over, so a
 * crash never blocks the restart.
 */
export interface DataDirClaim {
  release(): void;
}

export function claimDataDir(dataDir: string): DataDirClaim {
  const file = path.join(dataDir, 'reelcheck.pid');
  const holder = readPid(file);
  if (holder !== null && holder !== process.pid && isAlive(holder)) {
    throw new Error(
      `DATA_DIR ${dataDir} is in use by another Reelcheck process (pid ${holder}). ` +
        'Stop it first, or point DATA_DIR elsewhere: the embedded store has one owner at a time.',
    );
  }
  fs.writeFileSync(file, String(process.pid));
  return {
    release() {
      if (readPid(file) === process.pid) fs.rmSync(file, { force: true });
    },
  };
}

function readPid(file: string): number | null {
  try {
    const pid = Number(fs.readFileSync(file, 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : null;
  } catch {
    return null;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
