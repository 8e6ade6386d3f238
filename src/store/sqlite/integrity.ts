import type Database from 'better-sqlite3';
import { restoreAdvice } from './backups';
import { BASE_TABLES, type BaseTable } from './migrations';

/** The command that salvages a damaged file whose pages can still be read. */
export const REPAIR_COMMAND = 'npm run store:repair';

/** The command that puts a backup back (server stopped). */
export const RESTORE_COMMAND = 'npm run store:restore';

/** What a check of the file found: nothing, damage only to derived data, or lost rows. */
export type Diagnosis =
  | { state: 'healthy' }
  | { state: 'derived'; report: string[] }
  | { state: 'base'; report: string[]; tables: Array<{ table: BaseTable; problem: string }> };

/**
 * Refused start: the file has rows that cannot be read. The message names the
 * file, SQLite's report and the repair command, so nothing is lost silently.
 */
export class StoreCorruptError extends Error {
  constructor(
    readonly file: string,
    readonly report: string[],
  ) {
    super(
      `The embedded store ${file} is damaged and was not opened, so that no rating is dropped ` +
        `silently.\n${report.map((line) => `  ${line}`).join('\n')}\n` +
        `Stop every Reelcheck process using this DATA_DIR and run \`${REPAIR_COMMAND}\`: it backs ` +
        'the file up first, keeps every readable row and prints what it dropped.',
    );
    this.name = 'StoreCorruptError';
  }
}

/**
 * Refused start or repair: SQLite cannot open the file at all (its header is
 * damaged, or the file was cut short, so the page count in its header does
 * not match). No row can be read from it, so store:repair cannot help: the
 * message says so and names the newest backup and the restore command.
 */
export class StoreUnrecoverableError extends Error {
  constructor(
    readonly file: string,
    readonly report: string[],
    dataDir: string,
  ) {
    super(
      `The embedded store ${file} cannot be opened at all: its header is damaged or the file is ` +
        `cut short.\n${report.map((line) => `  ${line}`).join('\n')}\n` +
        `\`${REPAIR_COMMAND}\` cannot recover it (no row of it can be read). ${restoreAdvice(dataDir)}`,
    );
    this.name = 'StoreUnrecoverableError';
  }
}

/**
 * Refused start: DATA_DIR held a store (its store-id.json says so) but the
 * store file was removed, emptied or replaced by another store's file.
 * Starting would create an empty store and hide every rating.
 */
export class StoreMissingError extends Error {
  constructor(
    readonly file: string,
    what: 'removed' | 'emptied' | 'replaced' | 'wal-missing',
    details: { dataDir: string; marker: string; storeId: string; foundId?: string | null },
  ) {
    const found = {
      removed: `the file is missing`,
      emptied: `the file is empty (0 bytes)`,
      replaced: `the file is another store (${details.foundId ? `id ${details.foundId}` : 'no store id'})`,
      'wal-missing':
        `the store was not closed cleanly and its write-ahead log ${file}-wal, which holds ` +
        'committed ratings not yet in the file, is missing',
    }[what];
    const fresh =
      what === 'wal-missing'
        ? `If the -wal cannot be put back and you accept losing what it held, run \`${REPAIR_COMMAND}\`: ` +
          'it checks the file as it is and lets it start.'
        : `To start a new, empty store here on purpose, move ${details.marker} away first.`;
    super(
      `The embedded store ${file} was not opened: ${details.marker} says DATA_DIR ${details.dataDir} ` +
        `holds store ${details.storeId}, but ${found}. Nothing was created or changed. ` +
        `${restoreAdvice(details.dataDir)} ${fresh}`,
    );
    this.name = 'StoreMissingError';
  }
}

/**
 * Checks the whole file with `PRAGMA quick_check` (page structure, record
 * format, NOT NULL and CHECK constraints; O(file size)). When it finds
 * something, finds out whether a base table lost rows (every row of every
 * base table is read, ignoring its indexes): if not, the damage is in
 * derived data (indexes, aggregates, the search index, free pages) and a
 * rebuild from the base tables loses nothing.
 */
export function diagnose(db: Database.Database): Diagnosis {
  const overall = quickCheck(db);
  if (overall.length === 0) return { state: 'healthy' };
  const tables: Array<{ table: BaseTable; problem: string }> = [];
  for (const table of BASE_TABLES) {
    const problem = unreadableRows(db, table);
    if (problem) tables.push({ table, problem });
  }
  const report = overall.map((line) => `SQLite quick_check: ${line}`);
  if (tables.length === 0) return { state: 'derived', report };
  return {
    state: 'base',
    tables,
    report: [...tables.map(({ table, problem }) => `table ${table}: ${problem}`), ...report],
  };
}

/** quick_check's findings (empty when the file is sound); a check that aborts reports its error. */
function quickCheck(db: Database.Database): string[] {
  try {
    const lines = db.pragma('quick_check') as Array<{ quick_check: string }>;
    const findings = lines.flatMap((row) => row.quick_check.split('\n'));
    return findings.length === 1 && findings[0] === 'ok'
      ? []
      : findings.filter((line) => !line.startsWith('***'));
  } catch (error) {
    return [`the check aborted: ${(error as Error).message}`];
  }
}

/** Reads every row and column of a base table from its own b-tree; null when all are readable. */
function unreadableRows(db: Database.Database, table: BaseTable): string | null {
  let lastRowid: number | null = null;
  try {
    const rows = db.prepare(`SELECT rowid AS "rowid", * FROM ${table} NOT INDEXED ORDER BY rowid`);
    for (const row of rows.iterate() as IterableIterator<{ rowid: number }>) lastRowid = row.rowid;
    return null;
  } catch (error) {
    const where = lastRowid === null ? 'from its first row' : `after rowid ${lastRowid}`;
    return `rows cannot be read ${where} (${(error as Error).message})`;
  }
}
