import fs from 'node:fs';
import { restoreAdvice } from './backups';
import { closeDatabase, connect, rebuildFile, storeFile } from './database';
import { readMarker, setMarkerState } from './identity';
import { diagnose } from './integrity';
import { backUp, describeSalvage } from './salvage';

export interface RepairOutcome {
  file: string;
  /**
   * 'healthy': nothing to do; 'repaired': salvaged into a fresh file;
   * 'missing': no store file (or an empty one); 'accepted': the -wal was
   * missing after an unclean stop and the file was accepted as it is.
   */
  state: 'missing' | 'healthy' | 'repaired' | 'accepted';
  backup: string | null;
  /** What was found and what was kept and dropped, for a person to read. */
  lines: string[];
}

/**
 * `npm run store:repair`: makes a damaged embedded store openable again
 * without losing anything that can still be read.
 *
 * 1. Takes the file's lock (refuses while the server or a script holds it).
 * 2. Checks it (integrity.diagnose); a healthy file is left alone.
 * 3. Copies the file and its WAL into DATA_DIR/backups before changing anything.
 * 4. Copies every readable row of every base table into a fresh file, skipping
 *    unreadable ranges, rebuilds aggregates from the salvaged ratings and the
 *    search index from the titles, and moves the fresh file into place.
 * 5. Reports per table what was kept and what was dropped (rowid ranges,
 *    rows that were no longer valid), and how many ratings were lost
 *    according to the damaged file's own aggregates.
 *
 * What it cannot recover it says plainly, pointing to the newest backup and
 * `npm run store:restore`: a missing or empty file, and a file SQLite cannot
 * open at all (damaged header, cut short: connect throws
 * StoreUnrecoverableError, whose message says so). A store whose -wal went
 * missing after an unclean stop (start-up refuses it) is checked as above and
 * then accepted as it is: what the -wal held is lost.
 */
export function repairStore(dataDir: string): RepairOutcome {
  const file = storeFile(dataDir);
  if (!fs.existsSync(file) || fs.statSync(file).size === 0) {
    return {
      file,
      state: 'missing',
      backup: null,
      lines: [
        `${fs.existsSync(file) ? 'the store file is empty (0 bytes)' : 'no store file'} at ${file}: ` +
          `there is nothing to repair. ${restoreAdvice(dataDir)}`,
      ],
    };
  }
  const marker = readMarker(dataDir);
  const walMissing = marker?.state === 'open' && !fs.existsSync(`${file}-wal`);
  const db = connect(file, dataDir);
  const diagnosis = diagnose(db);
  const accepted = walMissing
    ? [
        `the store was not closed cleanly and ${file}-wal is missing: commits it held are lost; ` +
          'the file is accepted as it is',
      ]
    : [];
  if (diagnosis.state === 'healthy') {
    closeDatabase(db, dataDir); // the file alone is the store now: the marker says 'closed'
    return {
      file,
      state: walMissing ? 'accepted' : 'healthy',
      backup: null,
      lines: ['quick_check found no damage', ...accepted],
    };
  }
  const backup = backUp(file);
  const found = diagnosis.report;
  const salvage = rebuildFile(db, file, dataDir, () => undefined);
  // The fresh file is complete (no -wal): a marker left 'open' by a crash must not refuse it.
  if (marker) setMarkerState(dataDir, marker.storeId, 'closed');
  return {
    file,
    state: 'repaired',
    backup,
    lines: [...found.map((line) => `found: ${line}`), ...describeSalvage(salvage), ...accepted],
  };
}
