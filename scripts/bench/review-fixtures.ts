import { type Document, MongoClient } from 'mongodb';
import { writeCatalog } from '../../src/catalog/write';
import { targetKey } from '../../src/model';
import {
  type AggregateDoc,
  curatedFields,
  type RatingDoc,
  type TitleDoc,
} from '../../src/store/mongo/documents';
import { newStoreId } from '../../src/store/ids';
import { MongoStore } from '../../src/store/mongo/mongo-store';
import {
  type FactReviewDoc,
  freshReviewDoc,
  openKeyOf,
  type ReportDoc,
  reportFields,
} from '../../src/store/mongo/review-documents';
import { COLLECTION } from '../../src/store/mongo/schema';
import { connect, storeFile } from '../../src/store/sqlite/database';
import { rebuildAllAggregates } from '../../src/store/sqlite/migrations';
import { factReviewParams, reportParams } from '../../src/store/sqlite/review-rows';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store';
import { ratingVoter, reviewCatalog, type ReviewFact, reviewFacts } from './review-data';

/**
 * Issue 22's bench stores, written in bulk (review-data.ts says what they
 * hold): 100,000 facts and their 1,000,000 ratings take seconds this way,
 * where the port writes one rating and one report at a time. As fixtures.ts
 * does for titles and ratings, these write the adapters' own rows and
 * documents; the bench measures only through the API.
 */

/**
 * The embedded store: the catalog through the catalog import (one
 * transaction), then ratings, open reports and each reported fact's review
 * (its report tally) straight into their tables with the adapter's own row
 * mapping, and aggregates by the store's rebuild. The rebuild forgets the
 * queue threshold, so the store's next open ranks every fact itself
 * (review-ranks.ts): it is opened once here, so the server starts ranked.
 * Returns how long that ranking open took.
 */
export async function buildSqliteReviewStore(
  dataDir: string,
  facts: number,
): Promise<{ rankMs: number }> {
  const now = new Date();
  const store = await SqliteStore.open({ dataDir });
  try {
    await writeCatalog(store, reviewCatalog(facts, now));
  } finally {
    await store.close();
  }
  const db = connect(storeFile(dataDir), dataDir);
  try {
    const rating = db.prepare(
      `INSERT INTO ratings (target_key, title_id, fact_id, voter_id, score, comment, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, NULL, ?, ?)`,
    );
    const report = db.prepare(
      `INSERT INTO reports (id, fact_id, title_id, voter_id, reason, note, source_url,
         suggested_text, created_at, updated_at, state, closed_by)
       VALUES (@id, @fact_id, @title_id, @voter_id, @reason, @note, @source_url,
         @suggested_text, @created_at, @updated_at, @state, @closed_by)`,
    );
    // Unranked (queued 0): the store ranks every fact when it next opens.
    const review = db.prepare(
      `INSERT INTO fact_reviews (fact_id, title_id, status, outcome, reviewed_at, review_id,
         taken_up_at, open_reports, inaccurate, misleading, outdated, unverifiable, other,
         with_source, at_review_d1, at_review_d2, at_review_d3, at_review_d4, at_review_d5,
         queued, priority)
       VALUES (@fact_id, @title_id, @status, @outcome, @reviewed_at, @review_id,
         @taken_up_at, @open_reports, @inaccurate, @misleading, @outdated, @unverifiable, @other,
         @with_source, @at_review_d1, @at_review_d2, @at_review_d3, @at_review_d4, @at_review_d5,
         @queued, @priority)`,
    );
    const at = now.getTime();
    db.transaction(() => {
      for (const fact of reviewFacts(facts, now)) {
        const key = targetKey({ kind: 'FACT', titleId: fact.titleId, factId: fact.factId });
        fact.scores.forEach((score, i) =>
          rating.run(key, fact.titleId, fact.factId, ratingVoter(i), score, at, at),
        );
        if (fact.reports.length === 0) continue;
        for (const filed of fact.reports) report.run(reportParams(filed));
        review.run(factReviewParams(fact, fact.review, { queued: false, priority: 0 }));
      }
      rebuildAllAggregates(db);
    })();
  } finally {
    db.close();
  }
  const rankStart = Date.now();
  await (await SqliteStore.open({ dataDir })).close();
  return { rankMs: Date.now() - rankStart };
}

/** Documents per insertMany. */
const BATCH = 5_000;

/**
 * A MongoDB database (`dbName`, expected empty): the adapter's collections
 * and indexes (MongoStore.ping), then its own documents in batches: titles
 * with their facts (curatedFields), each fact's aggregate, its review document
 * (the tally, and the rank the adapter's re-rank would store: rankForReview
 * under the default threshold, the fact being present), its open reports
 * (with the unique open key) and, with `rawRatings`, its rating documents.
 * Nothing reads the raw ratings on the paths measured (the queue reads
 * review documents and aggregates; a new rating looks its voter up by a
 * unique key); without them the test double, whose heap holds some 300,000
 * of them, can hold the rest.
 */
export async function buildMongoReviewDatabase(
  uri: string,
  dbName: string,
  facts: number,
  options: { rawRatings: boolean },
): Promise<void> {
  const now = new Date();
  const store = MongoStore.create({
    uri,
    dbNameOverride: dbName,
    serverSelectionTimeoutMs: 5000,
    rebuildSettleMs: 0,
  });
  const client = new MongoClient(uri);
  try {
    await store.ping(); // creates collections and indexes
    const db = client.db(dbName);
    const titles = reviewCatalog(facts, now).titles.map((curated): TitleDoc => ({
      _id: curated.title.id,
      ...curatedFields(curated),
      tmdbSnapshot: null,
      version: 1,
    }));
    for (let start = 0; start < titles.length; start += BATCH) {
      await db
        .collection<TitleDoc>(COLLECTION.titles)
        .insertMany(titles.slice(start, start + BATCH), { ordered: false });
    }
    const batches = new Batches(db);
    for (const fact of reviewFacts(facts, now)) {
      const key = targetKey({ kind: 'FACT', titleId: fact.titleId, factId: fact.factId });
      const [d1, d2, d3, d4, d5] = fact.distribution;
      const sum = fact.scores.reduce((a, b) => a + b, 0);
      await batches.add<AggregateDoc>(COLLECTION.aggregates, {
        _id: key,
        count: fact.scores.length,
        sum,
        d1,
        d2,
        d3,
        d4,
        d5,
      });
      await batches.add<FactReviewDoc>(COLLECTION.factReviews, reviewDoc(fact));
      for (const report of fact.reports) {
        await batches.add<ReportDoc>(COLLECTION.reports, {
          _id: report.id,
          ...reportFields(report),
          openKey: openKeyOf(report.factId, report.voterId),
          version: 1,
        });
      }
      if (!options.rawRatings) continue;
      for (const [i, score] of fact.scores.entries()) {
        await batches.add<RatingDoc>(COLLECTION.ratings, {
          _id: newStoreId(),
          targetKey: key,
          titleId: fact.titleId,
          factId: fact.factId,
          voterId: ratingVoter(i),
          score,
          comment: null,
          hidden: null,
          commented: false,
          createdAt: now,
          updatedAt: now,
        });
      }
    }
    await batches.flush();
  } finally {
    await Promise.allSettled([store.close(), client.close()]);
  }
}

/** A fact's review document as the adapter's re-rank leaves it (review-ranks.ts, rankOf). */
function reviewDoc(fact: ReviewFact): FactReviewDoc {
  return {
    ...freshReviewDoc(fact.factId, fact.titleId),
    reports: fact.review.reports,
    queued: fact.rank.queued,
    priority: fact.rank.priority,
    figures: fact.rank.figures,
  };
}

/** Documents gathered per collection, inserted BATCH at a time. */
class Batches {
  private readonly pending = new Map<string, Document[]>();

  constructor(private readonly db: ReturnType<MongoClient['db']>) {}

  /** Keeps the document; a full batch of its collection is written now. */
  async add<T extends Document>(collection: string, doc: T): Promise<void> {
    const docs = this.pending.get(collection) ?? [];
    docs.push(doc);
    this.pending.set(collection, docs);
    if (docs.length >= BATCH) await this.write(collection);
  }

  /** Writes what is left of every collection. */
  async flush(): Promise<void> {
    for (const collection of [...this.pending.keys()]) await this.write(collection);
  }

  /** One unordered insertMany of what is kept for the collection. */
  private async write(collection: string): Promise<void> {
    const docs = this.pending.get(collection) ?? [];
    this.pending.delete(collection);
    if (docs.length === 0) return;
    await this.db.collection(collection).insertMany(docs, { ordered: false });
  }
}
