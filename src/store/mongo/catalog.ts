import type { Collection, Filter } from 'mongodb';
import type { FactRecord, MediaType, RecommendationRecord, TitleRecord } from '../../model';
import type { CatalogReads, TitleListQuery, TitlePage } from '../port';
import {
  assertString,
  assertStrings,
  searchFilter,
  TITLE_AND_SLUGS,
  TITLE_FIELDS_ONLY,
  tmdbKeyOf,
  type TitleDoc,
  toFacts,
  toRecommendations,
  toTitle,
} from './documents';
import type { MongoGate } from './gate';

/**
 * Catalog reads on MongoDB: a title document holds its whole aggregate (facts
 * and recommendations in page order), so each batch is one indexed query.
 */
export class MongoCatalog implements CatalogReads {
  private readonly titles: Collection<TitleDoc>;

  constructor(private readonly gate: MongoGate) {
    this.titles = gate.titles;
  }

  async titlesByIds(ids: readonly string[]): Promise<Array<TitleRecord | null>> {
    const keys = assertStrings(ids, 'title ids');
    if (keys.length === 0) return [];
    const docs = await this.gate.op(() =>
      this.titles.find({ _id: { $in: keys } }, { projection: TITLE_FIELDS_ONLY }).toArray(),
    );
    const byId = new Map(docs.map((doc) => [doc._id, toTitle(doc)]));
    return ids.map((id) => byId.get(id) ?? null);
  }

  /** Through the slug history (`slugs`, unique multikey index): former slugs resolve too. */
  async titlesBySlugs(slugs: readonly string[]): Promise<Array<TitleRecord | null>> {
    const keys = assertStrings(slugs, 'slugs');
    if (keys.length === 0) return [];
    const docs = await this.gate.op(() =>
      this.titles.find({ slugs: { $in: keys } }, { projection: TITLE_AND_SLUGS }).toArray(),
    );
    const bySlug = new Map<string, TitleRecord>();
    for (const doc of docs) for (const slug of doc.slugs) bySlug.set(slug, toTitle(doc));
    return slugs.map((slug) => bySlug.get(slug) ?? null);
  }

  async titlesByTmdbIds(
    keys: ReadonlyArray<{ tmdbId: number; mediaType: MediaType }>,
  ): Promise<Array<TitleRecord | null>> {
    if (keys.length === 0) return [];
    const tmdbKeys = keys.map(({ tmdbId, mediaType }) => {
      if (!Number.isSafeInteger(tmdbId)) throw new TypeError('tmdbId must be an integer');
      assertString(mediaType, 'mediaType');
      return tmdbKeyOf({ tmdbId, mediaType });
    });
    const docs = await this.gate.op(() =>
      this.titles.find({ tmdbKey: { $in: tmdbKeys } }, { projection: TITLE_FIELDS_ONLY }).toArray(),
    );
    const byKey = new Map(docs.map((doc) => [doc.tmdbKey, toTitle(doc)]));
    return tmdbKeys.map((key) => byKey.get(key) ?? null);
  }

  /**
   * What the server is asked, each bounded by an index: the page is the
   * first `first + 1` titles after the cursor in slug order (titles_slug_unique,
   * or titles_name_trigrams for a search of 3+ characters: the titles holding
   * one of its trigrams, in slug order, checked for the whole search); the
   * total is the collection's own count without a search (countAll), and the
   * matches counted through the same index with one (its cost grows with the
   * number of matches, not of titles).
   */
  async listTitles(query: TitleListQuery): Promise<TitlePage> {
    const { first } = query;
    if (!Number.isInteger(first) || first < 0) {
      throw new RangeError('first must be a non-negative integer');
    }
    const match: Filter<TitleDoc> = searchFilter(query.search);
    const page: Filter<TitleDoc> = { ...match };
    if (query.afterSlug !== null && query.afterSlug !== undefined && query.afterSlug !== '') {
      assertString(query.afterSlug, 'afterSlug');
      page.slug = { $gt: query.afterSlug };
    }
    const [docs, totalCount] = await this.gate.op(() =>
      Promise.all([
        this.titles
          .find(page, { projection: TITLE_FIELDS_ONLY })
          .sort({ slug: 1 })
          .limit(first + 1)
          .toArray(),
        Object.keys(match).length === 0 ? this.countAll() : this.titles.countDocuments(match),
      ]),
    );
    return {
      titles: docs.slice(0, first).map(toTitle),
      hasNextPage: docs.length > first,
      totalCount,
    };
  }

  /** Facts live inside their title document, in page order. */
  async factsByTitleIds(titleIds: readonly string[]): Promise<FactRecord[][]> {
    const keys = assertStrings(titleIds, 'title ids');
    if (keys.length === 0) return [];
    const docs = await this.gate.op(() =>
      this.titles.find({ _id: { $in: keys } }, { projection: { facts: 1 } }).toArray(),
    );
    const byTitle = new Map(docs.map((doc) => [doc._id, toFacts(doc)]));
    return titleIds.map((id) => [...(byTitle.get(id) ?? [])]);
  }

  /** The titles holding the facts, by the titles_fact_ids index. */
  async factsByIds(ids: readonly string[]): Promise<Array<FactRecord | null>> {
    const keys = assertStrings(ids, 'fact ids');
    if (keys.length === 0) return [];
    const docs = await this.gate.op(() =>
      this.titles.find({ 'facts.id': { $in: keys } }, { projection: { facts: 1 } }).toArray(),
    );
    const byId = new Map(docs.flatMap((doc) => toFacts(doc)).map((fact) => [fact.id, fact]));
    return ids.map((id) => byId.get(id) ?? null);
  }

  async recommendationsByTitleIds(titleIds: readonly string[]): Promise<RecommendationRecord[][]> {
    const keys = assertStrings(titleIds, 'title ids');
    if (keys.length === 0) return [];
    const docs = await this.gate.op(() =>
      this.titles.find({ _id: { $in: keys } }, { projection: { recommendations: 1 } }).toArray(),
    );
    const byTitle = new Map(docs.map((doc) => [doc._id, toRecommendations(doc)]));
    return titleIds.map((id) => [...(byTitle.get(id) ?? [])]);
  }

  /** See countAll. */
  async countTitles(): Promise<number> {
    return this.gate.op(() => this.countAll());
  }

  /**
   * MongoDB's own count of the collection (collection metadata, kept by the
   * server with every insert): constant time, where counting the documents
   * reads all of them. Titles are never deleted and the collection is not
   * sharded (docs/stores.md "Scaling out"), so it is exact; MongoDB documents that
   * after an unclean shutdown of the server it can be off until `validate`
   * runs on the collection.
   */
  private countAll(): Promise<number> {
    return this.titles.estimatedDocumentCount();
  }
}
