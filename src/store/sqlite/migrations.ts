import type Database from 'better-sqlite3';

/**
 * The embedded store's schema, as ordered migrations keyed by
 * `PRAGMA user_version`: migration i brings the file from version i to i + 1.
 * Append new migrations; never edit a released one.
 *
 * Base tables (titles, title_slugs, facts, recommendations, ratings, changes,
 * reports, fact_reviews, review_resolutions) hold what cannot be recomputed.
 * Everything else is derived and rebuilt when damaged: indexes, `aggregates`
 * (from ratings), `title_stats` and `titles_fts` (from titles),
 * `review_settings` (emptied, so the next open re-ranks every fact).
 */
const MIGRATIONS: ReadonlyArray<(db: Database.Database) => void> = [
  (db) =>
    db.exec(`
      CREATE TABLE titles (
        pk INTEGER PRIMARY KEY,              -- stable rowid for the search index
        id TEXT NOT NULL UNIQUE,
        slug TEXT NOT NULL UNIQUE,           -- listing order and keyset cursor
        name TEXT NOT NULL,
        name_norm TEXT NOT NULL,             -- NFKC + lower case, what search matches
        media_type TEXT NOT NULL CHECK (media_type IN ('MOVIE', 'TV')),
        year INTEGER,
        tagline TEXT,
        overview TEXT,
        tmdb_id INTEGER,
        tmdb_vote_average REAL,
        tmdb_vote_count INTEGER,
        tmdb_fetched_at INTEGER,             -- ms since epoch; null: no snapshot
        verdict_blurb TEXT
      );
      CREATE INDEX titles_tmdb ON titles (tmdb_id, media_type); -- federation: titles by TMDB identity

      CREATE TABLE facts (
        id TEXT NOT NULL PRIMARY KEY,
        title_id TEXT NOT NULL,
        category TEXT NOT NULL CHECK (category IN ('BEHIND_THE_SCENES', 'DID_YOU_KNOW')),
        position INTEGER NOT NULL,
        text TEXT NOT NULL,
        UNIQUE (title_id, category, position)
      );

      CREATE TABLE recommendations (
        title_id TEXT NOT NULL,
        position INTEGER NOT NULL,
        recommended_title_id TEXT NOT NULL,
        label TEXT NOT NULL,
        reason TEXT NOT NULL,
        UNIQUE (title_id, position)
      );

      CREATE TABLE ratings (
        id INTEGER PRIMARY KEY,
        target_key TEXT NOT NULL,
        title_id TEXT NOT NULL,
        fact_id TEXT,
        voter_id TEXT NOT NULL,
        score INTEGER NOT NULL CHECK (typeof(score) = 'integer' AND score BETWEEN 1 AND 5),
        comment TEXT,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL,
        UNIQUE (target_key, voter_id)
      );

      -- Derived: one row per rated target, moved by each rating write's exact delta.
      CREATE TABLE aggregates (
        target_key TEXT NOT NULL PRIMARY KEY,
        count INTEGER NOT NULL,
        sum INTEGER NOT NULL,
        d1 INTEGER NOT NULL, d2 INTEGER NOT NULL, d3 INTEGER NOT NULL,
        d4 INTEGER NOT NULL, d5 INTEGER NOT NULL
      ) WITHOUT ROWID;

      -- Derived: the title count, so totalCount never scans.
      CREATE TABLE title_stats (id INTEGER PRIMARY KEY CHECK (id = 1), count INTEGER NOT NULL);
      INSERT INTO title_stats (id, count) VALUES (1, 0);
      CREATE TRIGGER titles_count_insert AFTER INSERT ON titles
        BEGIN UPDATE title_stats SET count = count + 1 WHERE id = 1; END;
      CREATE TRIGGER titles_count_delete AFTER DELETE ON titles
        BEGIN UPDATE title_stats SET count = count - 1 WHERE id = 1; END;

      -- Derived: literal substring search of 3+ characters on the normalised name.
      CREATE VIRTUAL TABLE titles_fts USING fts5(
        name_norm, content = 'titles', content_rowid = 'pk',
        tokenize = 'trigram case_sensitive 1'
      );
      CREATE TRIGGER titles_fts_insert AFTER INSERT ON titles BEGIN
        INSERT INTO titles_fts (rowid, name_norm) VALUES (new.pk, new.name_norm);
      END;
      CREATE TRIGGER titles_fts_delete AFTER DELETE ON titles BEGIN
        INSERT INTO titles_fts (titles_fts, rowid, name_norm) VALUES ('delete', old.pk, old.name_norm);
      END;
      CREATE TRIGGER titles_fts_update AFTER UPDATE OF name_norm ON titles BEGIN
        INSERT INTO titles_fts (titles_fts, rowid, name_norm) VALUES ('delete', old.pk, old.name_norm);
        INSERT INTO titles_fts (rowid, name_norm) VALUES (new.pk, new.name_norm);
      END;

      -- ping()'s write probe (see SqliteStore.ping); always empty between probes.
      CREATE TABLE write_probe (pad BLOB);
    `),
  // 2: curation. Revisions and TMDB-owned fields on titles, verification and
  // revisions on facts, slug history, comment moderation, the audit trail.
  (db) =>
    db.exec(`
      ALTER TABLE titles ADD COLUMN original_name TEXT;
      ALTER TABLE titles ADD COLUMN genres TEXT NOT NULL DEFAULT '[]';   -- JSON array of names
      ALTER TABLE titles ADD COLUMN poster_path TEXT;
      ALTER TABLE titles ADD COLUMN revision INTEGER NOT NULL DEFAULT 1;
      ALTER TABLE titles ADD COLUMN updated_at INTEGER NOT NULL DEFAULT 0;
      UPDATE titles SET updated_at = CAST(unixepoch('subsec') * 1000 AS INTEGER);

      -- Every slug a title has or had (its current one included): a former slug
      -- keeps resolving to it, and no other title may take it.
      CREATE TABLE title_slugs (
        slug TEXT NOT NULL PRIMARY KEY,
        title_id TEXT NOT NULL
      );  -- a rowid table: the repair salvages base tables by rowid
      CREATE INDEX title_slugs_title ON title_slugs (title_id);
      INSERT INTO title_slugs (slug, title_id) SELECT slug, id FROM titles;

      ALTER TABLE facts ADD COLUMN revision INTEGER NOT NULL DEFAULT 1;
      ALTER TABLE facts ADD COLUMN updated_at INTEGER NOT NULL DEFAULT 0;
      UPDATE facts SET updated_at = CAST(unixepoch('subsec') * 1000 AS INTEGER);
      ALTER TABLE facts ADD COLUMN verification_status TEXT NOT NULL DEFAULT 'UNVERIFIED'
        CHECK (verification_status IN ('UNVERIFIED', 'VERIFIED', 'DISPUTED', 'FALSE'));
      ALTER TABLE facts ADD COLUMN verification_note TEXT;
      ALTER TABLE facts ADD COLUMN verification_sources TEXT NOT NULL DEFAULT '[]'; -- JSON [{url, label}]
      ALTER TABLE facts ADD COLUMN verification_updated_at INTEGER;

      ALTER TABLE ratings ADD COLUMN hidden_reason TEXT;
      ALTER TABLE ratings ADD COLUMN hidden_at INTEGER;
      -- Comment lists: visible comments of a target, newest first; a page reads
      -- only its own rows, whatever the target's number of ratings.
      CREATE INDEX ratings_visible_comments ON ratings (target_key, updated_at DESC, id DESC)
        WHERE comment IS NOT NULL AND hidden_at IS NULL;

      -- The audit trail: one row per changed entity of an editor write.
      CREATE TABLE changes (
        pk INTEGER PRIMARY KEY,
        id TEXT NOT NULL UNIQUE,
        title_id TEXT NOT NULL,
        at INTEGER NOT NULL,
        operation TEXT NOT NULL,
        entity_type TEXT NOT NULL,
        entity_id TEXT NOT NULL,
        revision INTEGER,
        fields TEXT NOT NULL                 -- JSON [{field, before, after}]
      );
      CREATE INDEX changes_title ON changes (title_id, at DESC, id DESC);
    `),
  // 3: one title per TMDB identity (TMDB id and media type), so federation's
  // `tmdbId mediaType` key and a TMDB import each find exactly one title.
  (db) => {
    refuseSharedTmdbIdentities(db);
    db.exec(`
      DROP INDEX titles_tmdb;
      CREATE UNIQUE INDEX titles_tmdb_unique ON titles (tmdb_id, media_type)
        WHERE tmdb_id IS NOT NULL;
    `);
  },
  // 4: reports and the review queue (issue 22; src/store/sqlite/reviews.ts).
  (db) =>
    db.exec(`
      -- Viewers' reports of facts. One OPEN report per voter and fact; closed
      -- ones stay, naming the resolution that closed them.
      CREATE TABLE reports (
        pk INTEGER PRIMARY KEY,
        id TEXT NOT NULL UNIQUE,
        fact_id TEXT NOT NULL,
        title_id TEXT NOT NULL,
        voter_id TEXT NOT NULL,
        reason TEXT NOT NULL
          CHECK (reason IN ('INACCURATE', 'MISLEADING', 'OUTDATED', 'UNVERIFIABLE', 'OTHER')),
        note TEXT,
        source_url TEXT,
        suggested_text TEXT,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL,
        state TEXT NOT NULL CHECK (state IN ('OPEN', 'CLOSED')),
        closed_by TEXT
      );
      CREATE UNIQUE INDEX reports_open_voter ON reports (fact_id, voter_id) WHERE state = 'OPEN';
      -- A fact's open reports, newest first.
      CREATE INDEX reports_open_newest ON reports (fact_id, updated_at DESC, id DESC)
        WHERE state = 'OPEN';

      -- One row per fact that was reported, rated or reviewed: its FactReview
      -- (status, last outcome, open-report tally, ratings at the last
      -- resolution) and its stored rank (queued, priority), recomputed by every
      -- write that changes them. Defaults are notReviewed()'s.
      CREATE TABLE fact_reviews (
        pk INTEGER PRIMARY KEY,
        fact_id TEXT NOT NULL UNIQUE,
        title_id TEXT NOT NULL,
        status TEXT NOT NULL DEFAULT 'NOT_REVIEWED'
          CHECK (status IN ('NOT_REVIEWED', 'UNDER_REVIEW', 'REVIEWED')),
        outcome TEXT
          CHECK (outcome IN ('CONFIRMED_ACCURATE', 'CORRECTED', 'REMOVED', 'DISMISSED')),
        reviewed_at INTEGER,
        review_id TEXT,
        taken_up_at INTEGER,
        open_reports INTEGER NOT NULL DEFAULT 0,
        inaccurate INTEGER NOT NULL DEFAULT 0,
        misleading INTEGER NOT NULL DEFAULT 0,
        outdated INTEGER NOT NULL DEFAULT 0,
        unverifiable INTEGER NOT NULL DEFAULT 0,
        other INTEGER NOT NULL DEFAULT 0,
        with_source INTEGER NOT NULL DEFAULT 0,
        at_review_d1 INTEGER NOT NULL DEFAULT 0, at_review_d2 INTEGER NOT NULL DEFAULT 0,
        at_review_d3 INTEGER NOT NULL DEFAULT 0, at_review_d4 INTEGER NOT NULL DEFAULT 0,
        at_review_d5 INTEGER NOT NULL DEFAULT 0,
        queued INTEGER NOT NULL DEFAULT 0 CHECK (queued IN (0, 1)),
        priority REAL NOT NULL DEFAULT 0
      );
      -- The queue: keyset walks on (priority DESC, fact_id) over queued rows
      -- only, optionally of one title and/or one status.
      CREATE INDEX fact_reviews_queue ON fact_reviews (priority DESC, fact_id)
        WHERE queued = 1;
      CREATE INDEX fact_reviews_queue_title ON fact_reviews (title_id, priority DESC, fact_id)
        WHERE queued = 1;
      CREATE INDEX fact_reviews_queue_status ON fact_reviews (status, priority DESC, fact_id)
        WHERE queued = 1;
      CREATE INDEX fact_reviews_queue_title_status
        ON fact_reviews (title_id, status, priority DESC, fact_id) WHERE queued = 1;

      -- Editors' resolutions: what closed reports name, the audit of outcomes.
      CREATE TABLE review_resolutions (
        pk INTEGER PRIMARY KEY,
        id TEXT NOT NULL UNIQUE,
        fact_id TEXT NOT NULL,
        title_id TEXT NOT NULL,
        outcome TEXT NOT NULL
          CHECK (outcome IN ('CONFIRMED_ACCURATE', 'CORRECTED', 'REMOVED', 'DISMISSED')),
        note TEXT,
        resolved_at INTEGER NOT NULL
      );

      -- Derived: the queue threshold the stored ranks were computed with. No
      -- row: not computed yet (a new or upgraded file, a rebuild of the
      -- aggregates), so opening the store ranks every fact (review-ranks.ts).
      CREATE TABLE review_settings (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        min_ratings INTEGER NOT NULL,
        min_lower_bound REAL NOT NULL
      );
    `),
];

/**
 * Titles written before migration 3 may share a TMDB identity. Which one it
 * names is an editor's call, not the store's: the upgrade stops (nothing
 * changed, the file stays at version 2) and says which titles and how to fix it.
 */
function refuseSharedTmdbIdentities(db: Database.Database): void {
  const shared = db
    .prepare(
      `SELECT media_type, tmdb_id, group_concat(id || ' (' || slug || ')', ', ') AS titles
       FROM titles WHERE tmdb_id IS NOT NULL
       GROUP BY tmdb_id, media_type HAVING count(*) > 1 ORDER BY tmdb_id, media_type`,
    )
    .all() as Array<{ media_type: string; tmdb_id: number; titles: string }>;
  if (shared.length === 0) return;
  throw new Error(
    'the embedded store cannot be upgraded: a TMDB identity must name one title, and these ' +
      `titles share one: ${shared.map((s) => `${s.media_type} ${s.tmdb_id}: ${s.titles}`).join('; ')}. ` +
      'Clear tmdbId on all but one title of each (updateTitle(id:, input: { tmdbId: null }) with the ' +
      'Reelcheck version that wrote the file, or sqlite3 reelcheck.sqlite "UPDATE titles SET tmdb_id = NULL WHERE id = \'<id>\'" ' +
      'with the server stopped), then start again',
  );
}

/** The schema version this build writes. */
export const SCHEMA_VERSION = MIGRATIONS.length;

/** Tables whose rows cannot be recomputed: the repair salvages these, row by row. */
export const BASE_TABLES = [
  'titles',
  'title_slugs',
  'facts',
  'recommendations',
  'ratings',
  'changes',
  'reports',
  'fact_reviews',
  'review_resolutions',
] as const;
export type BaseTable = (typeof BASE_TABLES)[number];

/**
 * Brings the file to SCHEMA_VERSION, one transaction per migration. A file
 * from a newer build is refused rather than guessed at.
 */
export function migrate(db: Database.Database, file: string): void {
  const version = db.pragma('user_version', { simple: true }) as number;
  if (version > SCHEMA_VERSION) {
    throw new Error(
      `${file} has schema version ${version}, newer than this build knows (${SCHEMA_VERSION}); ` +
        'run the Reelcheck version that wrote it, or restore a backup',
    );
  }
  for (let next = version; next < SCHEMA_VERSION; next++) {
    db.transaction(() => {
      MIGRATIONS[next](db);
      db.pragma(`user_version = ${next + 1}`);
    }).immediate();
  }
}

/**
 * Recomputes every aggregate from the ratings (repair and salvage; O(ratings)).
 * The review ranks were computed from the old aggregates: forgetting the
 * threshold they were computed with makes the next open re-rank every fact.
 */
export function rebuildAllAggregates(db: Database.Database): void {
  db.exec(`
    DELETE FROM review_settings;
    DELETE FROM aggregates;
    INSERT INTO aggregates (target_key, count, sum, d1, d2, d3, d4, d5)
      SELECT target_key, count(*), sum(score), sum(score = 1), sum(score = 2),
             sum(score = 3), sum(score = 4), sum(score = 5)
      FROM ratings GROUP BY target_key;
  `);
}
