import fs from 'node:fs';
import type Database from 'better-sqlite3';
import pino from 'pino';
import {
  ChangeEntityType,
  type ChangeRecord,
  type CuratedTitle,
  type RatingRecord,
} from '../../model';
import type { ReviewRecords } from '../port';
import { syncDirectory } from '../sqlite/backup';
import { SqliteCuration } from '../sqlite/curation';
import { closeDatabase, DataDirInUseError, openDatabase, storeFile } from '../sqlite/database';
import { DEFAULT_FAILURE_LOG_INTERVAL_MS } from '../sqlite/failure-log';
import { SqliteGate } from '../sqlite/gate';
import { GroupCommit } from '../sqlite/group-commit';
import { BASE_TABLES, rebuildAllAggregates } from '../sqlite/migrations';
import { ReviewRanks } from '../sqlite/review-ranks';
import { SqliteReviews } from '../sqlite/reviews';
import { changeParams, factParams, recommendationParams, titleParams } from '../sqlite/rows';
import { SqliteStore } from '../sqlite/sqlite-store';
import type { Contents, ProgressMarker, RatingKey, StoreWriter } from './sides';
import {
  isEmbeddedRatingId,
  openSqliteSnapshot,
  SourceInUseError,
  SqliteSide,
} from './sqlite-side';

/** The progress marker of a copy into a data directory (see copy.ts), next to the store file. */
export const MARKER_FILE = 'reelcheck.sqlite.store-copy.json';

/**
 * The target side: the data directory's store opened as the server opens it
 * (created and migrated when new, locked for this process), written with
 * upserts in one transaction per batch.
 */
export class SqliteTarget extends SqliteSide implements StoreWriter {
  private readonly markerFile: string;
  /** The store's reviews role on the current connection (writeReviewRecords). */
  private reviews: { db: Database.Database; role: SqliteReviews } | null = null;

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
      const counted = [
        'titles',
        'ratings',
        'changes',
        'reports',
        'review_resolutions',
        'fact_reviews',
      ];
      return {
        contents: {
          titles: count('titles'),
          ratings: count('ratings'),
          changes: count('changes'),
          reports: count('reports'),
          resolutions: count('review_resolutions'),
          factReviews: count('fact_reviews'),
          aggregates: count('aggregates'),
          // Slug history, facts, Watch Next, and any base table a later migration adds.
          other: BASE_TABLES.filter((t) => !counted.includes(t)).reduce((n, t) => n + count(t), 0),
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
   * The store's own putReviewRecords (sqlite/reviews.ts) on this connection,
   * its roles composed as SqliteStore composes them: tallies and ranks are
   * derived as the server derives them, in one transaction per batch.
   */
  async writeReviewRecords(records: ReviewRecords): Promise<void> {
    if (this.reviews?.db !== this.db) {
      const gate = new SqliteGate(
        this.db,
        pino({ enabled: false }),
        DEFAULT_FAILURE_LOG_INTERVAL_MS,
      );
      const ranks = new ReviewRanks(gate);
      this.reviews = {
        db: this.db,
        role: new SqliteReviews(
          gate,
          ranks,
          new SqliteCuration(gate, ranks),
          new GroupCommit(gate),
        ),
      };
    }
    await this.reviews.role.putReviewRecords(records);
  }

  /**
   * rebuildAllAggregates (the repair's rebuild) on the raw file, then the
   * store's own check (SqliteStore.rebuildAggregates, dry run) on it. The
   * rebuild forgets the queue threshold, so opening the store re-ranks every
   * fact on the rebuilt aggregates.
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

const EMPTY: Contents = {
  titles: 0,
  ratings: 0,
  changes: 0,
  reports: 0,
  resolutions: 0,
  factReviews: 0,
  aggregates: 0,
  other: 0,
};

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
