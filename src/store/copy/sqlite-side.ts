/**
 * The embedded store's read side of store:copy: a source read through a
 * snapshot (sqlite-target.ts is the write side, built on this one).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import {
  type AccuracyAggregate,
  type ChangeRecord,
  compareFactsInPageOrder,
  type CuratedTitle,
  type RatingRecord,
  type ReportRecord,
  type ReviewResolution,
} from '../../model';
import { STORE_FILE, storeFile } from '../sqlite/database';
import { readStoreId } from '../sqlite/identity';
import { migrate } from '../sqlite/migrations';
import {
  type AggregateRow,
  type ChangeRow,
  type FactRow,
  type RatingRow,
  type RecommendationRow,
  type TitleRow,
  toAggregate,
  toChange,
  toFact,
  toRating,
  toRecommendation,
  toTitle,
} from '../sqlite/rows';
import {
  type FactReviewRow,
  type ReportRow,
  type ResolutionRow,
  toFactReview,
  toReport,
  toResolution,
} from '../sqlite/review-rows';
import type { Contents, RatingKey, StoreReader, StoredReview } from './sides';

/** An embedded source is in use: a server (or another script) owns the data directory. */
export class SourceInUseError extends Error {
  constructor(dataDir: string, options?: { cause?: unknown }) {
    super(
      `the embedded store in ${dataDir} is in use: a Reelcheck server (or another script) holds ` +
        'its lock. Stop that server first and run store:copy again; a copy needs the source to ' +
        'stand still. (Or copy from a backup of it.)',
      options,
    );
    this.name = 'SourceInUseError';
  }
}

/** A positive integer that fits SQLite's integer ids, as a string. */
export function isEmbeddedRatingId(id: string): boolean {
  return /^[1-9][0-9]{0,14}$/.test(id);
}

/**
 * An embedded store read without writing to it. A server owns its file under
 * an EXCLUSIVE lock: a probe that finds the lock taken refuses at once
 * (SourceInUseError). Otherwise the file (and the -wal a crash left, which
 * holds committed writes) is copied to a private snapshot, and only the
 * snapshot is opened (migrated to this build's schema if older, then
 * `query_only`): the source's files are never opened for writing, so a
 * crash's -wal stays where the store's own start expects it. `path` is a data
 * directory or a store file (a backup made by store:backup).
 */
export function openSqliteSnapshot(location: string): {
  db: Database.Database;
  snapshotDir: string;
} {
  const isFile = fs.existsSync(location) && fs.statSync(location).isFile();
  const file = isFile ? location : storeFile(location);
  if (!fs.existsSync(file))
    throw new Error(`there is no embedded store in ${location} (no ${file})`);
  if (!isFile) assertNotInUse(file, location);
  const snapshotDir = fs.mkdtempSync(path.join(os.tmpdir(), 'reelcheck-store-copy-'));
  const snapshot = path.join(snapshotDir, STORE_FILE);
  let db: Database.Database | undefined;
  try {
    fs.copyFileSync(file, snapshot);
    if (fs.existsSync(`${file}-wal`)) fs.copyFileSync(`${file}-wal`, `${snapshot}-wal`);
    // A server that started while the files were copied may have torn the snapshot.
    if (!isFile) assertNotInUse(file, location);
    db = new Database(snapshot, { fileMustExist: true, timeout: 0 });
    db.pragma('locking_mode = EXCLUSIVE');
    migrate(db, `${file} (a snapshot of it)`);
    db.pragma('query_only = ON');
    return { db, snapshotDir };
  } catch (error) {
    db?.close();
    fs.rmSync(snapshotDir, { recursive: true, force: true });
    throw error;
  }
}

/** A read-only probe of the owner's lock: SQLITE_BUSY means a live process holds the store. */
function assertNotInUse(file: string, dataDir: string): void {
  let probe: Database.Database | undefined;
  try {
    probe = new Database(file, { readonly: true, fileMustExist: true, timeout: 0 });
    probe.pragma('locking_mode = EXCLUSIVE');
    probe.prepare('SELECT count(*) FROM sqlite_schema').get();
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED') {
      throw new SourceInUseError(dataDir, { cause: error });
    }
    // Anything else (a read-only connection cannot open a WAL file without its
    // owner's shared memory): nobody holds the lock; the snapshot reads it.
  } finally {
    probe?.close();
  }
}

/** An embedded store as a copy reads it: a source, or (SqliteTarget) the base of a target. */
export class SqliteSide implements StoreReader {
  readonly description: string;

  protected constructor(
    protected db: Database.Database,
    readonly dataDir: string,
    private readonly snapshotDir: string | null = null,
  ) {
    this.description = `embedded store ${dataDir}`;
  }

  /** The source side: a snapshot, never the source's own files (see openSqliteSnapshot). */
  static openSource(location: string): SqliteSide {
    const { db, snapshotDir } = openSqliteSnapshot(location);
    return new SqliteSide(db, location, snapshotDir);
  }

  /** The store's id (identity.ts), when it has one. */
  storeId(): string | null {
    try {
      return readStoreId(this.db);
    } catch {
      return null;
    }
  }

  async contents(): Promise<Contents> {
    const count = (table: string) =>
      (this.db.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;
    return {
      titles: count('titles'),
      ratings: count('ratings'),
      changes: count('changes'),
      reports: count('reports'),
      resolutions: count('review_resolutions'),
      factReviews: count('fact_reviews'),
      aggregates: count('aggregates'),
      other: count('title_slugs') + count('facts') + count('recommendations'),
    };
  }

  async *titles(batchSize: number): AsyncIterable<CuratedTitle[]> {
    const page = this.db.prepare('SELECT * FROM titles WHERE id > ? ORDER BY id LIMIT ?');
    let after = '';
    for (;;) {
      const rows = page.all(after, batchSize) as TitleRow[];
      if (rows.length === 0) return;
      after = rows[rows.length - 1].id;
      yield this.curated(rows);
    }
  }

  private curated(rows: TitleRow[]): CuratedTitle[] {
    const ids = rows.map((row) => row.id);
    const marks = ids.map(() => '?').join(', ');
    const slugs = this.db
      .prepare(`SELECT slug, title_id FROM title_slugs WHERE title_id IN (${marks}) ORDER BY slug`)
      .all(...ids) as Array<{ slug: string; title_id: string }>;
    const facts = (
      this.db.prepare(`SELECT * FROM facts WHERE title_id IN (${marks})`).all(...ids) as FactRow[]
    ).map(toFact);
    const recs = (
      this.db
        .prepare(`SELECT * FROM recommendations WHERE title_id IN (${marks}) ORDER BY position`)
        .all(...ids) as RecommendationRow[]
    ).map(toRecommendation);
    return rows.map((row) => {
      const title = toTitle(row);
      return {
        title,
        formerSlugs: slugs
          .filter((s) => s.title_id === row.id && s.slug !== row.slug)
          .map((s) => s.slug),
        facts: facts.filter((f) => f.titleId === row.id).sort(compareFactsInPageOrder),
        recommendations: recs.filter((r) => r.titleId === row.id),
      };
    });
  }

  async *ratings(batchSize: number): AsyncIterable<RatingRecord[]> {
    const page = this.db.prepare('SELECT * FROM ratings WHERE id > ? ORDER BY id LIMIT ?');
    let after = 0;
    for (;;) {
      const rows = page.all(after, batchSize) as RatingRow[];
      if (rows.length === 0) return;
      after = rows[rows.length - 1].id;
      yield rows.map(toRating);
    }
  }

  async *changes(batchSize: number): AsyncIterable<ChangeRecord[]> {
    const page = this.db.prepare('SELECT * FROM changes WHERE pk > ? ORDER BY pk LIMIT ?');
    let after = 0;
    for (;;) {
      const rows = page.all(after, batchSize) as Array<ChangeRow & { pk: number }>;
      if (rows.length === 0) return;
      after = rows[rows.length - 1].pk;
      yield rows.map(toChange);
    }
  }

  async *reports(batchSize: number): AsyncIterable<ReportRecord[]> {
    yield* this.pages<ReportRow, ReportRecord>('reports', 'id', batchSize, toReport);
  }

  async *resolutions(batchSize: number): AsyncIterable<ReviewResolution[]> {
    yield* this.pages<ResolutionRow, ReviewResolution>(
      'review_resolutions',
      'id',
      batchSize,
      toResolution,
    );
  }

  async *factReviews(batchSize: number): AsyncIterable<StoredReview[]> {
    yield* this.pages<FactReviewRow, StoredReview>('fact_reviews', 'fact_id', batchSize, (row) => ({
      factId: row.fact_id,
      titleId: row.title_id,
      review: toFactReview(row),
    }));
  }

  /** A table in the order of a unique text key, a batch per statement. */
  private async *pages<Row, T>(
    table: string,
    key: keyof Row & string,
    batchSize: number,
    map: (row: Row) => T,
  ): AsyncIterable<T[]> {
    const page = this.db.prepare(`SELECT * FROM ${table} WHERE ${key} > ? ORDER BY ${key} LIMIT ?`);
    let after = '';
    for (;;) {
      const rows = page.all(after, batchSize) as Row[];
      if (rows.length === 0) return;
      after = String(rows[rows.length - 1][key]);
      yield rows.map(map);
    }
  }

  async *aggregates(batchSize: number): AsyncIterable<AccuracyAggregate[]> {
    const page = this.db.prepare(
      'SELECT * FROM aggregates WHERE target_key > ? ORDER BY target_key LIMIT ?',
    );
    let after = '';
    for (;;) {
      const rows = page.all(after, batchSize) as AggregateRow[];
      if (rows.length === 0) return;
      after = rows[rows.length - 1].target_key;
      yield rows.map(toAggregate);
    }
  }

  async ratingKeysByIds(ids: readonly string[]): Promise<Map<string, RatingKey>> {
    const found = new Map<string, RatingKey>();
    const lookup = this.db.prepare('SELECT target_key, voter_id FROM ratings WHERE id = ?');
    for (const id of ids) {
      if (!isEmbeddedRatingId(id)) continue;
      const row = lookup.get(Number(id)) as { target_key: string; voter_id: string } | undefined;
      if (row) found.set(id, { targetKey: row.target_key, voterId: row.voter_id });
    }
    return found;
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
    if (this.snapshotDir) fs.rmSync(this.snapshotDir, { recursive: true, force: true });
  }
}
