import fs from 'node:fs';
import path from 'node:path';
import type Database from 'better-sqlite3';
import { newBackupPath } from './backups';
import { BASE_TABLES, type BaseTable, rebuildAllAggregates } from './migrations';

/** What one base table kept and lost in a salvage. */
export interface TableSalvage {
  table: BaseTable;
  kept: number;
  /** Rowid ranges that could not be read (to: null = to the end of the table). */
  unreadable: Array<{ afterRowid: number | null; to: number | null }>;
  /** Rows that were read but are not valid any more (a constraint refused them). */
  invalid: Array<{ rowid: number; reason: string }>;
}

export interface SalvageReport {
  tables: TableSalvage[];
  /** Ratings the damaged file's aggregates counted, when they could be read: the loss is the difference. */
  ratingsCountedBefore: number | null;
  aggregates: { targets: number; ratings: number };
}

/** Every base table's rows, nothing dropped: what a rebuild of derived data must find. */
export function lostNothing(report: SalvageReport): boolean {
  return report.tables.every((t) => t.unreadable.length === 0 && t.invalid.length === 0);
}

/**
 * Copies every readable row of every base table from `source` (a possibly
 * damaged file) into `target` (a fresh, migrated file) and rebuilds all
 * derived data there: the search index and title count through the schema's
 * triggers, aggregates from the salvaged ratings. Rowids are kept, so rating
 * ids stay the same.
 *
 * Each table is read in rowid order from its own b-tree (no index). When a
 * read fails, the next readable row is found by seeking ever further past the
 * last good rowid and then narrowing down, so only the unreadable range is
 * lost, and it is reported.
 */
export function salvageInto(source: Database.Database, target: Database.Database): SalvageReport {
  const tables = BASE_TABLES.map((table) =>
    target.transaction(() => copyTable(source, target, table))(),
  );
  target.transaction(() => rebuildAllAggregates(target))();
  const aggregates = target
    .prepare('SELECT count(*) AS targets, coalesce(sum(count), 0) AS ratings FROM aggregates')
    .get() as { targets: number; ratings: number };
  return { tables, ratingsCountedBefore: countedRatings(source), aggregates };
}

function copyTable(
  source: Database.Database,
  target: Database.Database,
  table: BaseTable,
): TableSalvage {
  // Columns both files have: a file from an older schema version salvages into the current one.
  const names = (db: Database.Database) =>
    (db.pragma(`table_info(${table})`) as Array<{ name: string }>).map((c) => c.name);
  const sourceColumns = new Set(names(source));
  const columns = names(target).filter((name) => sourceColumns.has(name));
  const insert = target.prepare(
    `INSERT INTO ${table} (${columns.join(', ')}) VALUES (${columns.map((c) => `@${c}`).join(', ')})`,
  );
  const from = source.prepare(
    `SELECT rowid AS "rowid", * FROM ${table} NOT INDEXED WHERE rowid >= ? ORDER BY rowid`,
  );
  const seek = source.prepare(
    `SELECT rowid AS "rowid", * FROM ${table} NOT INDEXED WHERE rowid >= ? ORDER BY rowid LIMIT 1`,
  );
  const result: TableSalvage = { table, kept: 0, unreadable: [], invalid: [] };
  let next: number | null = Number.MIN_SAFE_INTEGER;
  let last: number | null = null;
  while (next !== null) {
    try {
      for (const row of from.iterate(next) as IterableIterator<Record<string, unknown>>) {
        last = row.rowid as number;
        try {
          insert.run(row);
          result.kept += 1;
        } catch (error) {
          result.invalid.push({ rowid: last, reason: (error as Error).message });
        }
      }
      next = null;
    } catch {
      const resume = nextReadableRowid(seek, last ?? Number.MIN_SAFE_INTEGER);
      result.unreadable.push({ afterRowid: last, to: resume === null ? null : resume - 1 });
      next = resume;
    }
  }
  return result;
}

/**
 * The smallest rowid past `last` whose row can be read, or null when nothing
 * further can. Seeks last+1, last+2, last+4, ... until one succeeds, then
 * narrows down between the last failing and the first working seek.
 */
function nextReadableRowid(seek: Database.Statement, last: number): number | null {
  const readFrom = (rowid: number): 'end' | 'error' | number => {
    try {
      const row = seek.get(rowid) as { rowid: number } | undefined;
      return row ? row.rowid : 'end';
    } catch {
      return 'error';
    }
  };
  let failing = last;
  for (let step = 1; last + step <= Number.MAX_SAFE_INTEGER; step *= 2) {
    const found = readFrom(last + step);
    if (found === 'end') return null;
    if (found === 'error') {
      failing = last + step;
      continue;
    }
    let [low, high, best] = [failing + 1, last + step, found];
    while (low < high) {
      const middle = Math.floor((low + high) / 2);
      const probe = readFrom(middle);
      if (probe === 'error') low = middle + 1;
      else {
        if (probe !== 'end') best = Math.min(best, probe);
        high = middle;
      }
    }
    return best;
  }
  return null;
}

/** The damaged file's own count of ratings (from its aggregates), when readable. */
function countedRatings(source: Database.Database): number | null {
  try {
    const row = source.prepare('SELECT coalesce(sum(count), 0) AS n FROM aggregates').get() as {
      n: number;
    };
    return row.n;
  } catch {
    return null;
  }
}

/**
 * Copies the database file and its WAL (which may hold committed rows) into
 * DATA_DIR/backups as `reelcheck-before-repair-<stamp>.sqlite` (see backups.ts).
 */
export function backUp(file: string, now = new Date()): string {
  const backup = newBackupPath(path.dirname(file), 'before-repair', now);
  fs.copyFileSync(file, backup, fs.constants.COPYFILE_EXCL);
  const wal = `${file}-wal`;
  if (fs.existsSync(wal) && fs.statSync(wal).size > 0) fs.copyFileSync(wal, `${backup}-wal`);
  return backup;
}

/** Human-readable lines for a salvage (the repair script prints them; open logs them). */
export function describeSalvage(report: SalvageReport): string[] {
  const lines: string[] = [];
  for (const t of report.tables) {
    lines.push(`${t.table}: kept ${t.kept} row(s)`);
    for (const range of t.unreadable) {
      const from = range.afterRowid === null ? 'the first row' : `rowid ${range.afterRowid + 1}`;
      const to = range.to === null ? 'the end of the table' : `rowid ${range.to}`;
      lines.push(`${t.table}: DROPPED unreadable rows from ${from} to ${to}`);
    }
    for (const row of t.invalid) {
      lines.push(`${t.table}: DROPPED rowid ${row.rowid}, no longer valid (${row.reason})`);
    }
  }
  const ratings = report.tables.find((t) => t.table === 'ratings');
  if (report.ratingsCountedBefore !== null && ratings) {
    const lost = report.ratingsCountedBefore - ratings.kept;
    lines.push(
      `ratings: the damaged file's aggregates counted ${report.ratingsCountedBefore}; ` +
        `${ratings.kept} salvaged${lost > 0 ? `, ${lost} lost` : ''}`,
    );
  }
  lines.push(
    `aggregates: rebuilt for ${report.aggregates.targets} target(s) from ${report.aggregates.ratings} rating(s)`,
  );
  return lines;
}
