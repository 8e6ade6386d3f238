import type Database from 'better-sqlite3';
import {
  type ChangeRecord,
  compareFactsInPageOrder,
  type CuratedTitle,
  type RatingRecord,
  sameValue,
  SlugTakenError,
  TmdbIdentityTakenError,
  type TmdbSnapshot,
} from '../../model';
import type {
  CurationStore,
  Page,
  PageRequest,
  RatingModeration,
  TitleEdit,
  TitleEditOutcome,
} from '../port';
import type { SqliteGate } from './gate';
import type { ReviewRanks } from './review-ranks';
import {
  changeParams,
  factParams,
  type FactRow,
  pageOf,
  type RatingRow,
  recommendationParams,
  type RecommendationRow,
  titleParams,
  type TitleRow,
  toFact,
  toRating,
  toRecommendation,
  toTitle,
} from './rows';

/**
 * Editor reads and writes on SQLite. Curated writes (editTitles) are one
 * transaction per batch: each edit reads its title's aggregate, the domain
 * computes the next one and its change records, and the differences and the
 * records are written in the same transaction, so an audit record exists
 * exactly when its change does. A fact an edit removes leaves the review
 * queue in that transaction too (review-ranks.ts).
 */
export class SqliteCuration implements CurationStore {
  private readonly sql;
  private readonly db: Database.Database;

  constructor(
    private readonly gate: SqliteGate,
    private readonly ranks: ReviewRanks,
  ) {
    this.db = gate.db;
    this.sql = curationStatements(gate.db);
  }

  async saveTmdbSnapshot(titleId: string, snapshot: TmdbSnapshot): Promise<void> {
    this.gate.write(() =>
      this.sql.saveSnapshot.run(
        snapshot.voteAverage,
        snapshot.voteCount,
        new Date(snapshot.fetchedAt).getTime(),
        titleId,
      ),
    );
  }

  async curatedTitlesByIds(ids: readonly string[]): Promise<Array<CuratedTitle | null>> {
    return this.gate.read(() => this.db.transaction(() => ids.map((id) => this.loadCurated(id)))());
  }

  /**
   * The whole batch is one transaction: each edit reads its title inside it
   * (seeing the batch's earlier writes), and an edit that throws, a slug that
   * belongs to another title or a failed statement rolls everything back.
   * Change records are rows of the same transaction.
   */
  async editTitles(edits: readonly TitleEdit[]): Promise<TitleEditOutcome[]> {
    return this.gate.write(() => this.db.transaction(() => this.applyEdits(edits)).immediate());
  }

  /**
   * The body of editTitles, inside the caller's transaction: an editor's
   * review transition (reviews.ts) applies its title edit with it, the same way.
   */
  applyEdits(edits: readonly TitleEdit[]): TitleEditOutcome[] {
    return edits.map((edit): TitleEditOutcome => {
      const current = this.loadCurated(edit.titleId);
      const result = edit.apply(current);
      if (!result) return { title: current, changes: [] };
      this.storeCurated(current, result.next);
      this.storeChanges(result.changes);
      return { title: result.next, changes: result.changes };
    });
  }

  /** Audit records, inside the transaction of the change they record. */
  storeChanges(changes: readonly ChangeRecord[]): void {
    for (const change of changes) this.sql.insertChange.run(changeParams(change));
  }

  /** One transaction: the rating's moderation and its change record. */
  async moderateRating(ratingId: string, apply: RatingModeration): Promise<RatingRecord | null> {
    if (!/^[1-9]\d{0,15}$/.test(ratingId)) return null;
    return this.gate.write(() =>
      this.db
        .transaction(() => {
          const row = this.sql.ratingById.get(Number(ratingId)) as RatingRow | undefined;
          if (!row) return null;
          const current = toRating(row);
          const result = apply(current);
          if (!result) return current;
          this.sql.hideComment.run(result.hidden.reason, result.hidden.at.getTime(), row.id);
          this.storeChanges([result.change]);
          return { ...current, hidden: result.hidden };
        })
        .immediate(),
    );
  }

  /** Walks the partial index ratings_visible_comments from the cursor: first + 1 rows. */
  async commentsOf(key: string, page: PageRequest): Promise<Page<RatingRecord>> {
    const after = page.after;
    const rows = this.gate.read(() =>
      after
        ? (this.sql.commentsAfter.all({
            key,
            at: after.at.getTime(),
            id: Number(after.id),
            limit: page.first + 1,
          }) as RatingRow[])
        : (this.sql.comments.all(key, page.first + 1) as RatingRow[]),
    );
    return pageOf(rows, page.first, toRating);
  }

  /** A title's aggregate as stored now; null when there is no such title. */
  private loadCurated(id: string): CuratedTitle | null {
    const row = this.sql.titleById.get(id) as TitleRow | undefined;
    if (!row) return null;
    const title = toTitle(row);
    const slugs = this.sql.slugsOfTitle.pluck().all(id) as string[];
    return {
      title,
      formerSlugs: slugs.filter((slug) => slug !== title.slug),
      facts: (this.sql.factsOfTitle.all(id) as FactRow[]).map(toFact).sort(compareFactsInPageOrder),
      recommendations: (this.sql.recommendationsOfTitle.all(id) as RecommendationRow[]).map(
        toRecommendation,
      ),
    };
  }

  /**
   * Writes what differs between `current` and `next` (inside editTitles'
   * transaction): the title row, its slugs, its facts, its recommendations.
   * Facts and recommendations are rewritten whole when they differ, which
   * keeps the (title, category, position) key valid at every statement.
   */
  private storeCurated(current: CuratedTitle | null, next: CuratedTitle): void {
    const { title } = next;
    for (const slug of [title.slug, ...next.formerSlugs]) {
      const owner = this.sql.slugOwner.pluck().get(slug) as string | undefined;
      if (owner !== undefined && owner !== title.id) throw new SlugTakenError(slug);
      if (owner === undefined) this.sql.insertSlug.run(slug, title.id);
    }
    if (title.tmdbId !== null) {
      const holder = this.sql.titleByTmdbIdentity.get(title.tmdbId, title.mediaType) as
        { id: string; slug: string } | undefined;
      if (holder && holder.id !== title.id) {
        throw new TmdbIdentityTakenError(title.tmdbId, title.mediaType, holder);
      }
    }
    if (!current) {
      this.sql.insertTitle.run(titleParams(title));
      this.gate.searches.clear();
    } else if (!sameValue(current.title, title)) {
      this.sql.updateTitle.run(titleParams(title));
      if (current.title.name !== title.name) this.gate.searches.clear();
    }
    if (!sameValue(current?.facts ?? [], next.facts)) {
      this.sql.deleteFactsOfTitle.run(title.id);
      for (const fact of next.facts) this.sql.insertFact.run(factParams(fact));
      const before = new Set(current?.facts.map((fact) => fact.id));
      const after = new Set(next.facts.map((fact) => fact.id));
      this.ranks.factsRemoved([...before].filter((id) => !after.has(id)));
      this.ranks.factsAdded(next.facts.filter((fact) => !before.has(fact.id)));
    }
    if (!sameValue(current?.recommendations ?? [], next.recommendations)) {
      this.sql.deleteRecommendationsOfTitle.run(title.id);
      for (const rec of next.recommendations) {
        this.sql.insertRecommendation.run(recommendationParams(rec));
      }
    }
  }
}

/** The statements of curated writes and comments, prepared once. */
function curationStatements(db: Database.Database) {
  return {
    saveSnapshot: db.prepare(
      `UPDATE titles SET tmdb_vote_average = ?, tmdb_vote_count = ?, tmdb_fetched_at = ?
       WHERE id = ?`,
    ),
    titleById: db.prepare('SELECT * FROM titles WHERE id = ?'),
    slugsOfTitle: db.prepare('SELECT slug FROM title_slugs WHERE title_id = ? ORDER BY slug'),
    slugOwner: db.prepare('SELECT title_id FROM title_slugs WHERE slug = ?'),
    insertSlug: db.prepare('INSERT INTO title_slugs (slug, title_id) VALUES (?, ?)'),
    insertTitle: db.prepare(
      `INSERT INTO titles (id, slug, name, name_norm, media_type, year, tagline, overview, tmdb_id,
                           tmdb_vote_average, tmdb_vote_count, tmdb_fetched_at, verdict_blurb,
                           original_name, genres, poster_path, revision, updated_at)
       VALUES (@id, @slug, @name, @name_norm, @media_type, @year, @tagline, @overview, @tmdb_id,
               @tmdb_vote_average, @tmdb_vote_count, @tmdb_fetched_at, @verdict_blurb,
               @original_name, @genres, @poster_path, @revision, @updated_at)`,
    ),
    updateTitle: db.prepare(
      `UPDATE titles SET slug = @slug, name = @name, name_norm = @name_norm,
         media_type = @media_type, year = @year, tagline = @tagline, overview = @overview,
         tmdb_id = @tmdb_id, tmdb_vote_average = @tmdb_vote_average,
         tmdb_vote_count = @tmdb_vote_count, tmdb_fetched_at = @tmdb_fetched_at,
         verdict_blurb = @verdict_blurb, original_name = @original_name, genres = @genres,
         poster_path = @poster_path, revision = @revision, updated_at = @updated_at
       WHERE id = @id`,
    ),
    factsOfTitle: db.prepare('SELECT * FROM facts WHERE title_id = ?'),
    deleteFactsOfTitle: db.prepare('DELETE FROM facts WHERE title_id = ?'),
    insertFact: db.prepare(
      `INSERT INTO facts (id, title_id, category, position, text, revision, updated_at,
                          verification_status, verification_note, verification_sources,
                          verification_updated_at)
       VALUES (@id, @title_id, @category, @position, @text, @revision, @updated_at,
               @verification_status, @verification_note, @verification_sources,
               @verification_updated_at)`,
    ),
    recommendationsOfTitle: db.prepare(
      'SELECT * FROM recommendations WHERE title_id = ? ORDER BY position',
    ),
    deleteRecommendationsOfTitle: db.prepare('DELETE FROM recommendations WHERE title_id = ?'),
    insertRecommendation: db.prepare(
      `INSERT INTO recommendations (title_id, position, recommended_title_id, label, reason)
       VALUES (@title_id, @position, @recommended_title_id, @label, @reason)`,
    ),
    ratingById: db.prepare('SELECT * FROM ratings WHERE id = ?'),
    hideComment: db.prepare('UPDATE ratings SET hidden_reason = ?, hidden_at = ? WHERE id = ?'),
    comments: db.prepare(
      `SELECT * FROM ratings INDEXED BY ratings_visible_comments
       WHERE target_key = ? AND comment IS NOT NULL AND hidden_at IS NULL
       ORDER BY updated_at DESC, id DESC LIMIT ?`,
    ),
    commentsAfter: db.prepare(
      `SELECT * FROM ratings INDEXED BY ratings_visible_comments
       WHERE target_key = @key AND comment IS NOT NULL AND hidden_at IS NULL
         AND (updated_at < @at OR (updated_at = @at AND id < @id))
       ORDER BY updated_at DESC, id DESC LIMIT @limit`,
    ),
    insertChange: db.prepare(
      `INSERT INTO changes (id, title_id, at, operation, entity_type, entity_id, revision, fields)
       VALUES (@id, @title_id, @at, @operation, @entity_type, @entity_id, @revision, @fields)`,
    ),
    titleByTmdbIdentity: db.prepare(
      'SELECT id, slug FROM titles WHERE tmdb_id = ? AND media_type = ?',
    ),
  };
}
