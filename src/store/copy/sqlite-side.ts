import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import {
  type AccuracyAggregate,
  ChangeEntityType,
  type ChangeRecord,
  compareFactsInPageOrder,
  type CuratedTitle,
  type RatingRecord,
} from '../../model';
import {
  closeDatabase,
  DataDirInUseError,
  openDatabase,
  STORE_FILE,
  storeFile,
} from '../sqlite/database';
import { syncDirectory } from '../sqlite/backup';
import { readStoreId } from '../sqlite/identity';
import { BASE_TABLES, migrate, rebuildAllAggregates } from '../sqlite/migrations';
import {
  type AggregateRow,
  changeParams,
  type ChangeRow,
  factParams,
  type FactRow,
  type RatingRow,
  recommendationParams,
  type RecommendationRow,
  titleParams,
  type TitleRow,
  toAggregate,
  toChange,
  toFact,
  toRating,
  toRecommendation,
  toTitle,
} from '../sqlite/rows';
import { SqliteStore } from '../sqlite/sqlite-store';
import type { Contents, ProgressMarker, RatingKey, StoreReader, StoreWriter } from './sides';

/** The progress marker of a copy into a data directory (see copy.ts), next to the store file. */
export const MARKER_FILE = 'reelcheck.sqlite.store-copy.json';

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

/**
 * The target side: the data directory's store opened as the server opens it
 * (created and migrated when new, locked for this process), written with
 * upserts in one transaction per batch.
 */
export class SqliteTarget extends SqliteSide implements StoreWriter {
  private readonly markerFile: string;

  private constructor(db: Database.Database, dataDir: string) {
    super(db, dataDir);
    this.markerFile = `${dataDir}/${MARKER_FILE}`;
  }

  /**
   * Looks at the directory without changing it (through a snapshot, as a
   * source is read): null when there is no store file yet, else what it holds
   * and its marker. A target is checked before it is opened for writing,
   * which would migrate an older file.
   */
  static async inspect(
    dataDir: string,
  ): Promise<{ contents: Contents; marker: ProgressMarker | null } | null> {
    const marker = readMarkerFile(`${dataDir}/${MARKER_FILE}`);
    if (!fs.existsSync(storeFile(dataDir))) return marker ? { contents: EMPTY, marker } : null;
    let opened: { db: Database.Database; snapshotDir: string };
    try {
      opened = openSqliteSnapshot(dataDir);
    } catch (error) {
      if (error instanceof SourceInUseError) throw new DataDirInUseError(dataDir, { cause: error });
      throw error;
    }
    const { db, snapshotDir } = opened;
    try {
      const count = (table: string) =>
        (db.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;
      return {
        contents: {
          titles: count('titles'),
          ratings: count('ratings'),
          changes: count('changes'),
          aggregates: count('aggregates'),
          other: BASE_TABLES.filter((t) => !['titles', 'ratings', 'changes'].includes(t)).reduce(
            (n, t) => n + count(t),
            0,
          ),
        },
        marker,
      };
    } finally {
      db.close();
      fs.rmSync(snapshotDir, { recursive: true, force: true });
    }
  }

  static openTarget(dataDir: string): SqliteTarget {
    return new SqliteTarget(openDatabase(dataDir), dataDir);
  }

  async readMarker(): Promise<ProgressMarker | null> {
    return readMarkerFile(this.markerFile);
  }

  /** Written (and synced) before the first row, so any row of a partial copy has its marker. */
  async writeMarker(marker: ProgressMarker): Promise<void> {
    const temporary = `${this.markerFile}.tmp`;
    const fd = fs.openSync(temporary, 'w');
    try {
      fs.writeSync(fd, `${JSON.stringify(marker, null, 2)}\n`);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(temporary, this.markerFile);
    syncDirectory(this.dataDir);
  }

  async clearMarker(): Promise<void> {
    fs.rmSync(this.markerFile, { force: true });
    syncDirectory(this.dataDir);
  }

  async prepare(): Promise<void> {
    // openDatabase created and migrated the file.
  }

  async writeTitles(batch: readonly CuratedTitle[]): Promise<void> {
    const upsertTitle = this.db.prepare(
      `INSERT INTO titles (id, slug, name, name_norm, media_type, year, tagline, overview, tmdb_id,
         tmdb_vote_average, tmdb_vote_count, tmdb_fetched_at, verdict_blurb, original_name, genres,
         poster_path, revision, updated_at)
       VALUES (@id, @slug, @name, @name_norm, @media_type, @year, @tagline, @overview, @tmdb_id,
         @tmdb_vote_average, @tmdb_vote_count, @tmdb_fetched_at, @verdict_blurb, @original_name,
         @genres, @poster_path, @revision, @updated_at)
       ON CONFLICT (id) DO UPDATE SET slug = excluded.slug, name = excluded.name,
         name_norm = excluded.name_norm, media_type = excluded.media_type, year = excluded.year,
         tagline = excluded.tagline, overview = excluded.overview, tmdb_id = excluded.tmdb_id,
         tmdb_vote_average = excluded.tmdb_vote_average, tmdb_vote_count = excluded.tmdb_vote_count,
         tmdb_fetched_at = excluded.tmdb_fetched_at, verdict_blurb = excluded.verdict_blurb,
         original_name = excluded.original_name, genres = excluded.genres,
         poster_path = excluded.poster_path, revision = excluded.revision,
         updated_at = excluded.updated_at`,
    );
    const upsertSlug = this.db.prepare(
      'INSERT INTO title_slugs (slug, title_id) VALUES (?, ?) ON CONFLICT (slug) DO UPDATE SET title_id = excluded.title_id',
    );
    const upsertFact = this.db.prepare(
      `INSERT OR REPLACE INTO facts (id, title_id, category, position, text, revision, updated_at,
         verification_status, verification_note, verification_sources, verification_updated_at)
       VALUES (@id, @title_id, @category, @position, @text, @revision, @updated_at,
         @verification_status, @verification_note, @verification_sources, @verification_updated_at)`,
    );
    const upsertRec = this.db.prepare(
      `INSERT OR REPLACE INTO recommendations (title_id, position, recommended_title_id, label, reason)
       VALUES (@title_id, @position, @recommended_title_id, @label, @reason)`,
    );
    this.db
      .transaction(() => {
        for (const curated of batch) {
          upsertTitle.run(titleParams(curated.title));
          for (const slug of [curated.title.slug, ...curated.formerSlugs]) {
            upsertSlug.run(slug, curated.title.id);
          }
          for (const fact of curated.facts) upsertFact.run(factParams(fact));
          for (const rec of curated.recommendations) upsertRec.run(recommendationParams(rec));
        }
      })
      .immediate();
  }

  /**
   * Upserts by (target, voter). An embedded-form id is kept; any other id
   * (MongoDB's) gets the next free integer: the source yields embedded-form
   * ids first (MongoSide.ratings), so a new number never takes a kept one's.
   */
  async writeRatings(batch: readonly RatingRecord[]): Promise<void> {
    const columns = `target_key, title_id, fact_id, voter_id, score, comment, hidden_reason,
      hidden_at, created_at, updated_at`;
    const values = `@target_key, @title_id, @fact_id, @voter_id, @score, @comment, @hidden_reason,
      @hidden_at, @created_at, @updated_at`;
    const update = `ON CONFLICT (target_key, voter_id) DO UPDATE SET title_id = excluded.title_id,
      fact_id = excluded.fact_id, score = excluded.score, comment = excluded.comment,
      hidden_reason = excluded.hidden_reason, hidden_at = excluded.hidden_at,
      created_at = excluded.created_at, updated_at = excluded.updated_at`;
    const withId = this.db.prepare(
      `INSERT INTO ratings (id, ${columns}) VALUES (@id, ${values}) ${update}`,
    );
    const withoutId = this.db.prepare(
      `INSERT INTO ratings (${columns}) VALUES (${values}) ${update}`,
    );
    this.db
      .transaction(() => {
        for (const rating of batch) {
          const params = {
            target_key: rating.targetKey,
            title_id: rating.titleId,
            fact_id: rating.factId,
            voter_id: rating.voterId,
            score: rating.score,
            comment: rating.comment,
            hidden_reason: rating.hidden?.reason ?? null,
            hidden_at: rating.hidden ? rating.hidden.at.getTime() : null,
            created_at: rating.createdAt.getTime(),
            updated_at: rating.updatedAt.getTime(),
          };
          if (isEmbeddedRatingId(rating.id)) withId.run({ id: Number(rating.id), ...params });
          else withoutId.run(params);
        }
      })
      .immediate();
  }

  async writeChanges(
    batch: readonly ChangeRecord[],
    sourceRatingKeys: (ids: readonly string[]) => Promise<Map<string, RatingKey>>,
  ): Promise<void> {
    // Audit records of hidden comments name a rating: one the source numbered otherwise gets ours.
    const foreign = batch
      .filter((c) => c.entityType === ChangeEntityType.RATING_COMMENT)
      .map((c) => c.entityId)
      .filter((id) => !isEmbeddedRatingId(id));
    const renumbered = new Map<string, string>();
    if (foreign.length > 0) {
      const keys = await sourceRatingKeys(foreign);
      const ours = this.db.prepare('SELECT id FROM ratings WHERE target_key = ? AND voter_id = ?');
      for (const [id, key] of keys) {
        const row = ours.get(key.targetKey, key.voterId) as { id: number } | undefined;
        if (row) renumbered.set(id, String(row.id));
      }
    }
    const insert = this.db.prepare(
      `INSERT INTO changes (id, title_id, at, operation, entity_type, entity_id, revision, fields)
       VALUES (@id, @title_id, @at, @operation, @entity_type, @entity_id, @revision, @fields)
       ON CONFLICT (id) DO NOTHING`,
    );
    this.db
      .transaction(() => {
        for (const change of batch) {
          const entityId =
            change.entityType === ChangeEntityType.RATING_COMMENT
              ? (renumbered.get(change.entityId) ?? change.entityId)
              : change.entityId;
          insert.run(changeParams({ ...change, entityId }));
        }
      })
      .immediate();
  }

  /**
   * rebuildAllAggregates (the repair's rebuild) on the raw file, then the
   * store's own check (SqliteStore.rebuildAggregates, dry run) on it.
   */
  async rebuildAggregates(): Promise<{ targets: number; ratings: number; drift: number }> {
    this.db.transaction(() => rebuildAllAggregates(this.db)).immediate();
    closeDatabase(this.db, this.dataDir);
    const store = await SqliteStore.open({ dataDir: this.dataDir });
    try {
      const report = await store.rebuildAggregates({ dryRun: true });
      return { targets: report.targets, ratings: report.ratings, drift: report.drift.length };
    } finally {
      await store.close();
      this.db = openDatabase(this.dataDir);
    }
  }

  /** As the store closes (identity.ts: its marker then says the file alone is the store). */
  override async close(): Promise<void> {
    closeDatabase(this.db, this.dataDir);
  }
}

const EMPTY: Contents = { titles: 0, ratings: 0, changes: 0, aggregates: 0, other: 0 };

function readMarkerFile(file: string): ProgressMarker | null {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as ProgressMarker;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new Error(
      `cannot read the store:copy progress marker ${file}: ${(error as Error).message}`,
      { cause: error },
    );
  }
}
