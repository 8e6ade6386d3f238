import fs from 'node:fs';
import { connect, rebuildFile, storeFile } from './database';
import { diagnose } from './integrity';
import { backUp, describeSalvage } from './salvage';

export interface RepairOutcome {
  file: string;
  /** 'healthy': nothing to do; 'repaired': salvaged into a fresh file; 'missing': no store file. */
  state: 'missing' | 'healthy' | 'repaired';
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
 */
export function repairStore(dataDir: string): RepairOutcome {
  const file = storeFile(dataDir);
  if (!fs.existsSync(file)) {
    return { file, state: 'missing', backup: null, lines: [`no store file at ${file}`] };
  }
  const db = connect(file, dataDir);
  const diagnosis = diagnose(db);
  if (diagnosis.state === 'healthy') {
    db.close();
    return { file, state: 'healthy', backup: null, lines: ['quick_check found no damage'] };
  }
  const backup = backUp(file);
  const found = diagnosis.report;
  const salvage = rebuildFile(db, file, dataDir, () => undefined);
  return {
    file,
    state: 'repaired',
    backup,
    lines: [...found.map((line) => `found: ${line}`), ...describeSalvage(salvage)],
  };
}
