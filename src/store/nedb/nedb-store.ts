import fs from 'node:fs';
import path from 'node:path';
import Datastore from '@seald-io/nedb';
import type { Store } from '../port';
import { KeyedLock } from '../keyed-lock';
import { newStoreId } from '../ids';
import { literalSubstringPattern } from '../search';
import {
  type AccuracyAggregate,
  aggregateOf,
  type Catalog,
  type CatalogReport,
  compareFactsInPageOrder,
  emptyAggregate,
  sameAggregate,
  type FactRecord,
  type MediaType,
  type RatingRecord,
  type RecommendationRecord,
  targetKey,
  type TitleRecord,
  type TmdbSnapshot,
} from '../../model';
import {
  type RatingWrite,
  type RatingWriteResult,
  type RebuildReport,
  type TitleListQuery,
  type TitlePage,
} from '../port';
import {
  type AggregateDoc,
  aggregateFields,
  aggregateIncrement,
  type FactDoc,
  type RatingDoc,
  type RecommendationDoc,
  type TitleDoc,
  toAggregate,
  toFact,
  toRating,
  toRecommendation,
  toTitle,
} from '../documents';
import { claimDataDir, type DataDirClaim } from './data-dir-claim';

/**
 * The embedded store: @seald-io/nedb datastores persisted as append-only files
 * under DATA_DIR. Every write is appended to its file before the promise
 * resolves, so an acknowledged write survives `kill -9` (the OS has it).
 *
 * One process owns a DATA_DIR (see data-dir-claim.ts): nedb keeps the data in
 * memory and would not see another process's writes.
 */

export interface NedbStoreOptions {
  dataDir: string;
  /**
   * Repair aggregate drift (a crash between a rating and its aggregate) when
   * opening; default true. `ratings:rebuild --dry-run` opens without it.
   */
  repairOnOpen?: boolean;
  /** Told about drift repaired at open. */
  onRepair?: (report: RebuildReport) => void;
}

export class NedbStore implements Store {
  readonly kind = 'nedb' as const;
  private readonly locks = new KeyedLock();

  private constructor(
    private readonly claim: DataDirClaim,
    private readonly titles: Datastore<TitleDoc>,
    private readonly facts: Datastore<FactDoc>,
    private readonly recommendations: Datastore<RecommendationDoc>,
    private readonly ratings: Datastore<RatingDoc>,
    private readonly aggregates: Datastore<AggregateDoc>,
  ) {}

  /**
   * Opens (creating if needed) the datastores under dataDir, builds indexes and
   * reconciles aggregates with raw ratings. Loading is in memory anyway, so the
   * reconciliation is cheap here and makes a crash mid-write self-healing.
   */
  static async open(options: NedbStoreOptions): Promise<NedbStore> {
    fs.mkdirSync(options.dataDir, { recursive: true });
    const claim = claimDataDir(options.dataDir);
    try {
      const open = <T>(name: string) =>
        new Datastore<T>({ filename: path.join(options.dataDir, `${name}.db`) });
      const store = new NedbStore(
        claim,
        open<TitleDoc>('titles'),
        open<FactDoc>('facts'),
        open<RecommendationDoc>('recommendations'),
        open<RatingDoc>('ratings'),
        open<AggregateDoc>('aggregates'),
      );
      await store.load();
      if (options.repairOnOpen !== false) {
        const report = await store.rebuildAggregates();
        if (report.drift.length > 0) options.onRepair?.(report);
      }
      return store;
    } catch (error) {
      claim.release();
      throw error;
    }
  }

  private async load(): Promise<void> {
    const all = [this.titles, this.facts, this.recommendations, this.ratings, this.aggregates];
    await Promise.all(all.map((ds) => ds.loadDatabaseAsync()));
    await Promise.all([
      this.titles.ensureIndexAsync({ fieldName: 'slug', unique: true }),
      this.facts.ensureIndexAsync({ fieldName: 'titleId' }),
      this.facts.ensureIndexAsync({ fieldName: ['titleId', 'category', 'position'], unique: true }),
      this.recommendations.ensureIndexAsync({ fieldName: 'titleId' }),
      this.recommendations.ensureIndexAsync({ fieldName: ['titleId', 'position'], unique: true }),
      this.ratings.ensureIndexAsync({ fieldName: ['targetKey', 'voterId'], unique: true }),
      this.ratings.ensureIndexAsync({ fieldName: 'targetKey' }),
    ]);
  }

  async titlesByIds(ids: readonly string[]): Promise<Array<TitleRecord | null>> {
    const docs = await this.titles.findAsync({ _id: { $in: [...ids] } });
    const byId = new Map(docs.map((doc) => [doc._id, toTitle(doc)]));
    return ids.map((id) => byId.get(id) ?? null);
  }

  async titlesBySlugs(slugs: readonly string[]): Promise<Array<TitleRecord | null>> {
    const docs = await this.titles.findAsync({ slug: { $in: [...slugs] } });
    const bySlug = new Map(docs.map((doc) => [doc.slug, toTitle(doc)]));
    return slugs.map((slug) => bySlug.get(slug) ?? null);
  }

  async titlesByTmdbIds(
    keys: ReadonlyArray<{ tmdbId: number; mediaType: MediaType }>,
  ): Promise<Array<TitleRecord | null>> {
    const docs = await this.titles.findAsync({ tmdbId: { $in: keys.map((k) => k.tmdbId) } });
    const byKey = new Map(docs.map((doc) => [`${doc.mediaType}:${doc.tmdbId}`, toTitle(doc)]));
    return keys.map((k) => byKey.get(`${k.mediaType}:${k.tmdbId}`) ?? null);
  }

  async listTitles(query: TitleListQuery): Promise<TitlePage> {
    const match: Record<string, unknown> = {};
    if (query.search) match.name = { $regex: literalSubstringPattern(query.search) };
    const page: Record<string, unknown> = { ...match };
    if (query.afterSlug) page.slug = { $gt: query.afterSlug };
    const [docs, totalCount] = await Promise.all([
      this.titles
        .findAsync(page)
        .sort({ slug: 1 })
        .limit(query.first + 1),
      this.titles.countAsync(match),
    ]);
    return {
      titles: docs.slice(0, query.first).map(toTitle),
      hasNextPage: docs.length > query.first,
      totalCount,
    };
  }

  async factsByTitleIds(titleIds: readonly string[]): Promise<FactRecord[][]> {
    const docs = await this.facts.findAsync({ titleId: { $in: [...titleIds] } });
    const sorted = docs.map(toFact).sort(compareFactsInPageOrder);
    return titleIds.map((id) => sorted.filter((fact) => fact.titleId === id));
  }

  async factsByIds(ids: readonly string[]): Promise<Array<FactRecord | null>> {
    const docs = await this.facts.findAsync({ _id: { $in: [...ids] } });
    const byId = new Map(docs.map((doc) => [doc._id, toFact(doc)]));
    return ids.map((id) => byId.get(id) ?? null);
  }

  async recommendationsByTitleIds(titleIds: readonly string[]): Promise<RecommendationRecord[][]> {
    const docs = await this.recommendations
      .findAsync({ titleId: { $in: [...titleIds] } })
      .sort({ position: 1 });
    return titleIds.map((id) => docs.filter((doc) => doc.titleId === id).map(toRecommendation));
  }

  async aggregatesByTargets(keys: readonly string[]): Promise<AccuracyAggregate[]> {
    const docs = await this.aggregates.findAsync({ _id: { $in: [...keys] } });
    const byKey = new Map(docs.map((doc) => [doc._id, toAggregate(doc)]));
    return keys.map((key) => byKey.get(key) ?? emptyAggregate(key));
  }

  /** Serialized per target, so the delta applied to the aggregate is always the true one. */
  upsertRating(write: RatingWrite, now: Date): Promise<RatingWriteResult> {
    const key = targetKey(write.target);
    return this.locks.run(key, async () => {
      const previous = await this.ratings.findOneAsync({ targetKey: key, voterId: write.voterId });
      let rating: RatingRecord;
      if (previous) {
        await this.ratings.updateAsync(
          { _id: previous._id },
          { $set: { score: write.score, comment: write.comment, updatedAt: now } },
        );
        rating = {
          ...toRating(previous),
          score: write.score,
          comment: write.comment,
          updatedAt: now,
        };
      } else {
        const doc: RatingDoc = {
          _id: newStoreId(),
          targetKey: key,
          titleId: write.target.titleId,
          factId: write.target.kind === 'FACT' ? write.target.factId : null,
          voterId: write.voterId,
          score: write.score,
          comment: write.comment,
          createdAt: now,
          updatedAt: now,
        };
        await this.ratings.insertAsync(doc);
        rating = toRating(doc);
      }
      const { affectedDocuments } = await this.aggregates.updateAsync(
        { _id: key },
        { $inc: aggregateIncrement(previous?.score ?? null, write.score) },
        { upsert: true, returnUpdatedDocs: true },
      );
      const aggregate = toAggregate(affectedDocuments as unknown as AggregateDoc);
      return { rating, aggregate, created: !previous };
    });
  }

  async ratingsByIds(ids: readonly string[]): Promise<Array<RatingRecord | null>> {
    const docs = await this.ratings.findAsync({ _id: { $in: [...ids] } });
    const byId = new Map(docs.map((doc) => [doc._id, toRating(doc)]));
    return ids.map((id) => byId.get(id) ?? null);
  }

  async ratingsOfVoter(
    voterId: string,
    keys: readonly string[],
  ): Promise<Array<RatingRecord | null>> {
    const docs = await this.ratings.findAsync({ voterId, targetKey: { $in: [...keys] } });
    const byKey = new Map(docs.map((doc) => [doc.targetKey, toRating(doc)]));
    return keys.map((key) => byKey.get(key) ?? null);
  }

  async ratingsByTarget(key: string): Promise<RatingRecord[]> {
    const docs = await this.ratings.findAsync({ targetKey: key }).sort({ createdAt: 1 });
    return docs.map(toRating);
  }

  /**
   * Each target is recomputed, compared and repaired inside its lock, so a
   * rating written meanwhile is never lost from the repaired aggregate.
   */
  async rebuildAggregates(options: { dryRun?: boolean } = {}): Promise<RebuildReport> {
    const [rated, stored] = await Promise.all([
      this.ratings.findAsync({}, { targetKey: 1 }),
      this.aggregates.findAsync({}, { _id: 1 }),
    ]);
    const keys = new Set([...rated.map((r) => r.targetKey), ...stored.map((doc) => doc._id)]);
    const report: RebuildReport = { targets: 0, ratings: 0, drift: [] };
    for (const key of keys) {
      await this.locks.run(key, async () => {
        const [ratings, current] = await Promise.all([
          this.ratings.findAsync({ targetKey: key }, { score: 1 }),
          this.aggregates.findOneAsync({ _id: key }),
        ]);
        const actual = aggregateOf(
          key,
          ratings.map((r) => r.score),
        );
        const storedAggregate = current ? toAggregate(current) : emptyAggregate(key);
        if (ratings.length > 0) report.targets += 1;
        report.ratings += ratings.length;
        if (sameAggregate(actual, storedAggregate)) return;
        report.drift.push({ targetKey: key, stored: storedAggregate, actual });
        if (!options.dryRun) {
          await this.aggregates.updateAsync(
            { _id: key },
            { _id: key, ...aggregateFields(actual) },
            { upsert: true },
          );
        }
      });
    }
    return report;
  }

  /** Under the title's lock: a concurrent re-seed must not overwrite it (see upsertCatalog). */
  async saveTmdbSnapshot(titleId: string, snapshot: TmdbSnapshot): Promise<void> {
    await this.locks.run(`title:${titleId}`, () =>
      this.titles.updateAsync({ _id: titleId }, { $set: { tmdbSnapshot: snapshot } }),
    );
  }

  async upsertCatalog(catalog: Catalog): Promise<CatalogReport> {
    for (const { id, tmdbSnapshot, ...title } of catalog.titles) {
      // Read-then-replace under the title's lock, so a snapshot saved meanwhile is kept:
      // an existing snapshot always wins, the catalog's is only a starting value.
      await this.locks.run(`title:${id}`, async () => {
        const existing = await this.titles.findOneAsync({ _id: id });
        const snapshot = existing?.tmdbSnapshot ?? tmdbSnapshot;
        await this.titles.updateAsync(
          { _id: id },
          { _id: id, ...title, tmdbSnapshot: snapshot },
          { upsert: true },
        );
      });
    }
    for (const { id, ...fact } of catalog.facts) {
      await this.facts.updateAsync({ _id: id }, { _id: id, ...fact }, { upsert: true });
    }
    for (const rec of catalog.recommendations) {
      const existing = await this.recommendations.findOneAsync({
        titleId: rec.titleId,
        position: rec.position,
      });
      const id = existing?._id ?? newStoreId();
      await this.recommendations.updateAsync({ _id: id }, { _id: id, ...rec }, { upsert: true });
    }
    return {
      titles: catalog.titles.length,
      facts: catalog.facts.length,
      recommendations: catalog.recommendations.length,
    };
  }

  countTitles(): Promise<number> {
    return this.titles.countAsync({}).execAsync();
  }

  /** The embedded store is in-process: it is reachable while it is open. */
  async ping(): Promise<void> {}

  async close(): Promise<void> {
    await this.locks.drain();
    await Promise.all(
      [this.titles, this.facts, this.recommendations, this.ratings, this.aggregates].map((ds) =>
        ds.compactDatafileAsync(),
      ),
    );
    this.claim.release();
  }
}
