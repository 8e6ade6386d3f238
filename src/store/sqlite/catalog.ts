import type Database from 'better-sqlite3';
import {
  compareFactsInPageOrder,
  type FactRecord,
  type MediaType,
  type RecommendationRecord,
  type TitleRecord,
} from '../../model';
import type { CatalogReads, TitleListQuery, TitlePage } from '../port';
import { normalizeForSearch, TRIGRAM_LENGTH } from '../search';
import type { SqliteGate } from './gate';
import {
  type FactRow,
  type RecommendationRow,
  type TitleRow,
  toFact,
  toRecommendation,
  toTitle,
} from './rows';
import { firstAfter } from './search-results';

/** Catalog reads on SQLite: each batch one statement on an index (json_each of the keys). */
export class SqliteCatalog implements CatalogReads {
  private readonly sql;

  constructor(private readonly gate: SqliteGate) {
    this.sql = catalogStatements(gate.db);
  }

  async titlesByIds(ids: readonly string[]): Promise<Array<TitleRecord | null>> {
    const rows = this.gate.read(() => this.sql.titlesByIds.all(JSON.stringify(ids)) as TitleRow[]);
    const byId = new Map(rows.map((row) => [row.id, toTitle(row)]));
    return ids.map((id) => byId.get(id) ?? null);
  }

  /** Through the slug history: a former slug finds the title too. */
  async titlesBySlugs(slugs: readonly string[]): Promise<Array<TitleRecord | null>> {
    const rows = this.gate.read(
      () =>
        this.sql.titlesByAnySlug.all(JSON.stringify(slugs)) as Array<
          TitleRow & { requested: string }
        >,
    );
    const bySlug = new Map(rows.map((row) => [row.requested, toTitle(row)]));
    return slugs.map((slug) => bySlug.get(slug) ?? null);
  }

  /**
   * Without a search: keyset pagination on the slug index (first + 1 rows
   * after the cursor, nothing before it read or sorted) and the maintained
   * title count. With one: the search's matching slugs (cached until the
   * catalog changes, see SearchResults) give the count and the page's slugs,
   * whose rows are then read by slug.
   */
  async listTitles(query: TitleListQuery): Promise<TitlePage> {
    const after = query.afterSlug ?? '';
    const search = query.search ? normalizeForSearch(query.search) : '';
    const { rows, totalCount } = this.gate.read(() => {
      if (search === '') {
        const page = this.sql.page.all(after, query.first + 1) as TitleRow[];
        return { rows: page, totalCount: this.titleCount() };
      }
      const matching = this.gate.searches.matching(search, () => this.matchingSlugs(search));
      const start = after === '' ? 0 : firstAfter(matching, after);
      const slugs = matching.slice(start, start + query.first + 1);
      const bySlug = new Map(
        (this.sql.titlesBySlugs.all(JSON.stringify(slugs)) as TitleRow[]).map((row) => [
          row.slug,
          row,
        ]),
      );
      return { rows: slugs.flatMap((slug) => bySlug.get(slug) ?? []), totalCount: matching.length };
    });
    return {
      titles: rows.slice(0, query.first).map(toTitle),
      hasNextPage: rows.length > query.first,
      totalCount,
    };
  }

  /**
   * Slugs of the titles whose normalised name contains `search`, in slug
   * order. 3+ characters: the trigram index, O(matches). Shorter: no trigram
   * to look up, so the names are scanned, O(titles).
   */
  private matchingSlugs(search: string): string[] {
    if ([...search].length >= TRIGRAM_LENGTH && !search.includes('\0')) {
      const phrase = `"${search.replaceAll('"', '""')}"`; // an FTS5 string: matched literally
      return this.sql.searchIndexed.pluck().all(phrase) as string[];
    }
    return this.sql.searchScan.pluck().all(search) as string[];
  }

  async factsByTitleIds(titleIds: readonly string[]): Promise<FactRecord[][]> {
    const rows = this.gate.read(
      () => this.sql.factsByTitleIds.all(JSON.stringify(titleIds)) as FactRow[],
    );
    const facts = rows.map(toFact).sort(compareFactsInPageOrder);
    return bucketsFor(titleIds, facts, (fact) => fact.titleId);
  }

  async factsByIds(ids: readonly string[]): Promise<Array<FactRecord | null>> {
    const rows = this.gate.read(() => this.sql.factsByIds.all(JSON.stringify(ids)) as FactRow[]);
    const byId = new Map(rows.map((row) => [row.id, toFact(row)]));
    return ids.map((id) => byId.get(id) ?? null);
  }

  async recommendationsByTitleIds(titleIds: readonly string[]): Promise<RecommendationRecord[][]> {
    const rows = this.gate.read(
      () => this.sql.recommendationsByTitleIds.all(JSON.stringify(titleIds)) as RecommendationRow[],
    );
    return bucketsFor(titleIds, rows.map(toRecommendation), (rec) => rec.titleId);
  }

  /** TMDB numbers films and series apart: the media type is part of the identity. */
  async titlesByTmdbIds(
    keys: ReadonlyArray<{ tmdbId: number; mediaType: MediaType }>,
  ): Promise<Array<TitleRecord | null>> {
    const rows = this.gate.read(
      () => this.sql.titlesByTmdbIds.all(JSON.stringify(keys.map((k) => k.tmdbId))) as TitleRow[],
    );
    const byKey = new Map(rows.map((row) => [`${row.media_type}:${row.tmdb_id}`, toTitle(row)]));
    return keys.map((k) => byKey.get(`${k.mediaType}:${k.tmdbId}`) ?? null);
  }

  async countTitles(): Promise<number> {
    return this.gate.read(() => this.titleCount());
  }

  private titleCount(): number {
    return (this.sql.titleCount.get() as { count: number }).count;
  }
}

/** Each key's items, in key order (repeated keys share one list): the shape batch reads answer in. */
function bucketsFor<T>(keys: readonly string[], items: T[], keyOf: (item: T) => string): T[][] {
  const buckets = new Map<string, T[]>(keys.map((key) => [key, []]));
  for (const item of items) buckets.get(keyOf(item))?.push(item);
  return keys.map((key) => buckets.get(key)!);
}

/** The statements of the catalog reads, prepared once. */
function catalogStatements(db: Database.Database) {
  const ids = 'SELECT value FROM json_each(?)';
  return {
    titlesByIds: db.prepare(`SELECT * FROM titles WHERE id IN (${ids})`),
    titlesBySlugs: db.prepare(`SELECT * FROM titles WHERE slug IN (${ids})`),
    titleCount: db.prepare('SELECT count FROM title_stats WHERE id = 1'),
    page: db.prepare('SELECT * FROM titles WHERE slug > ? ORDER BY slug LIMIT ?'),
    // CROSS JOIN keeps the trigram index as the outer loop: matches first, then their rows.
    searchIndexed: db.prepare(
      `SELECT titles.slug FROM titles_fts CROSS JOIN titles ON titles.pk = titles_fts.rowid
       WHERE titles_fts MATCH ? ORDER BY titles.slug`,
    ),
    // A sequential scan and a sort of the matches beats walking the slug index with a row lookup per title.
    searchScan: db.prepare(
      'SELECT slug FROM titles NOT INDEXED WHERE instr(name_norm, ?) > 0 ORDER BY slug',
    ),
    factsByTitleIds: db.prepare(`SELECT * FROM facts WHERE title_id IN (${ids})`),
    factsByIds: db.prepare(`SELECT * FROM facts WHERE id IN (${ids})`),
    recommendationsByTitleIds: db.prepare(
      `SELECT * FROM recommendations WHERE title_id IN (${ids}) ORDER BY title_id, position`,
    ),
    titlesByAnySlug: db.prepare(
      `SELECT titles.*, title_slugs.slug AS requested FROM title_slugs
       JOIN titles ON titles.id = title_slugs.title_id
       WHERE title_slugs.slug IN (${ids})`,
    ),
    titlesByTmdbIds: db.prepare(`SELECT * FROM titles WHERE tmdb_id IN (${ids})`),
  };
}
