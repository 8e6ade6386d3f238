/**
 * MongoDB reports and review queue heal themselves (src/store/mongo/reviews.ts,
 * report-tallies.ts, review-ranks.ts): a report and its tally marker are one
 * atomic write, the tally $inc, the re-rank and the clean-up later ones; an
 * editor's transition leaves its last steps on the review. Whatever cuts in
 * between (a crash, a writer slow enough for a sweep to take over, another
 * process sweeping too), once the markers are settled each fact's tally is the
 * recount of its OPEN reports (tallyOf), its stored rank is rankForReview of
 * what is stored, and nothing is applied twice. Also: the validators accept
 * every document the adapter writes (the test server does not enforce them;
 * MongoDB does).
 */
import type { Document } from 'mongodb';
import {
  DEFAULT_QUEUE_THRESHOLD,
  rankForReview,
  removeFact,
  resolveReview,
  reviewChange,
  tallyOf,
  validateReport,
} from '../../src/model';
import { newStoreId } from '../../src/store/ids';
import { MongoStore } from '../../src/store/mongo/mongo-store';
import { COLLECTION, SCHEMA } from '../../src/store/mongo/schema';
import type { ReportWrite, ReviewTransition } from '../../src/store/port';
import { catalogOf, seedStore } from '../fixtures/catalog';
import { describeMongo, openTestDatabase, type TestDatabase } from '../helpers/mongo';
import { fact, title } from '../contract/store-contract';

const FACT = 'alpha-1';
const TITLE = 'alpha';
const voter = (n: number) => `voter-${String(n).padStart(3, '0')}`;
const reasons = ['INACCURATE', 'MISLEADING', 'OUTDATED', 'UNVERIFIABLE', 'OTHER'] as const;
const reportOf = (n: number, factId = FACT): ReportWrite => ({
  factId,
  titleId: TITLE,
  report: validateReport({
    voterId: voter(n % 20),
    reason: reasons[n % reasons.length],
    sourceUrl: n % 3 === 0 ? `https://example.org/${n}` : null,
  }),
});
const resolve =
  (factId: string, now = new Date()): ReviewTransition =>
  ({ review, distribution }) => {
    const about = { factId, titleId: TITLE };
    const ctx = { now, newId: newStoreId };
    const resolved = resolveReview(ctx, review, distribution, DEFAULT_QUEUE_THRESHOLD, {
      ...about,
      outcome: 'DISMISSED',
      note: 'Checked',
    });
    return {
      ...resolved,
      change: reviewChange(ctx, about, review, resolved.review, resolved.resolution),
    };
  };

describeMongo('reports and the review queue without transactions', (uri) => {
  let database: TestDatabase;
  const stores: MongoStore[] = [];
  /** A store as one API process would have it; the timers are off, the tests sweep by hand. */
  const open = async () => {
    const store = MongoStore.create({
      uri: database.uri,
      serverSelectionTimeoutMs: 5000,
      pendingSweepIntervalMs: 0,
      indexCheckIntervalMs: 0,
    });
    stores.push(store);
    await store.ping();
    return store;
  };
  // The store's parts by their private names: bracket access keeps them typed, so a
  // rename or a move breaks the typecheck instead of silently patching nothing.
  const reviewsOf = (store: MongoStore) => store['reviews'];
  const talliesOf = (store: MongoStore) => store['reviews']['tallies'];
  /**
   * Makes `part[method]` fail once, as if the process died right before it.
   * Private methods too, so checked at run time: a rename fails here, loudly.
   */
  const crashOnce = (part: object, method: string, what: string) => {
    const methods = part as Record<string, unknown>;
    const original = methods[method];
    if (typeof original !== 'function') throw new Error(`no method ${method} to crash`);
    methods[method] = async () => {
      methods[method] = original;
      throw new Error(`simulated crash ${what}`);
    };
  };
  const collection = (name: string) => database.db.collection<Document>(name);
  const markers = () =>
    collection('reports').countDocuments({ 'pendingTally.0': { $exists: true } });
  /** The fact's tally, open reports and stored rank, against what they must be. */
  const expectSettled = async (store: MongoStore, factId = FACT) => {
    const [review] = await store.reviewsOfFacts([factId]);
    const [openReports] = await store.openReportsOfFacts([factId]);
    expect(review.reports).toEqual(tallyOf(openReports));
    const [aggregate] = await store.aggregatesByTargets([`fact:${factId}`]);
    const rank = rankForReview(review, aggregate.distribution);
    const doc = await collection('fact_reviews').findOne({ _id: factId as never });
    expect(doc).toMatchObject({ queued: rank.queued, priority: rank.priority });
    expect(doc?.figures).toEqual(rank.figures);
    expect(doc?.tallied ?? []).toEqual([]);
    return { review, openReports, rank };
  };

  beforeEach(async () => {
    database = openTestDatabase(uri);
    const store = await open();
    await seedStore(
      store,
      catalogOf({
        titles: [title(TITLE)],
        facts: [1, 2, 3].map((n) => fact(`alpha-${n}`, TITLE, 'BEHIND_THE_SCENES', n)),
      }),
    );
  });
  afterEach(async () => {
    for (const store of stores.splice(0)) await store.close();
    await database?.drop();
  });

  it('a report cut before its tally $inc is settled by a sweep, once, however often it runs', async () => {
    const [store] = stores;
    await store.fileReport(reportOf(1), new Date());
    crashOnce(talliesOf(store), 'apply', 'before the tally $inc');
    await expect(store.fileReport(reportOf(2), new Date())).rejects.toThrow('simulated crash');
    crashOnce(talliesOf(store), 'apply', 'before the tally $inc');
    await expect(store.fileReport(reportOf(21), new Date())).rejects.toThrow('simulated crash'); // a replace

    const [review] = await store.reviewsOfFacts([FACT]);
    expect(review.reports.open).toBe(1); // short by the cut write
    expect(await markers()).toBe(2);
    // Young markers belong to writers that may still be running: the default sweep leaves them.
    expect(await store.sweepPendingReviews()).toBe(0);

    expect(await store.sweepPendingReviews(0)).toBe(2);
    const { openReports } = await expectSettled(store);
    expect(openReports.map((r) => r.voterId).sort()).toEqual([voter(1), voter(2)]);
    expect(openReports.find((r) => r.voterId === voter(1))?.reason).toBe('MISLEADING'); // 21 % 5
    expect(await markers()).toBe(0);
    expect(await store.sweepPendingReviews(0)).toBe(0);
    await expectSettled(store);
    expect((await store.reviewQueue({ first: 10 })).items.map((e) => e.factId)).toEqual([FACT]);
  });

  it('a report cut after its $inc (before its re-rank and clean-up) is not counted again', async () => {
    const [store] = stores;
    crashOnce(talliesOf(store)['ranks'], 'rerank', 'after the tally $inc');
    await expect(store.fileReport(reportOf(3), new Date())).rejects.toThrow('simulated crash');
    const [review] = await store.reviewsOfFacts([FACT]);
    expect(review.reports.open).toBe(1);
    // Counted, not yet ranked: the fact is not in the queue until its marker is settled.
    expect((await store.reviewQueue({ first: 10 })).items).toEqual([]);
    expect(await markers()).toBe(1);

    const other = await open(); // another process sweeps it
    expect(await other.sweepPendingReviews(0)).toBe(1);
    const settled = await expectSettled(store);
    expect(settled.review.reports.open).toBe(1);
    expect(settled.rank.queued).toBe(true);
    expect(await markers()).toBe(0);
  });

  it('a slow report writer whose marker a sweep settled meanwhile does not apply it again', async () => {
    const [slow] = stores;
    const sweeper = await open();
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    let paused!: () => void;
    const isPaused = new Promise<void>((resolve) => (paused = resolve));
    const tallies = talliesOf(slow);
    const original = tallies.apply.bind(tallies);
    tallies.apply = async (...args) => {
      paused();
      await released; // the writer stalls between its two writes (GC pause, slow network)
      return original(...args);
    };
    const writing = slow.fileReport(reportOf(4), new Date());
    await isPaused;
    expect(await sweeper.sweepPendingReviews(0)).toBe(1); // takes the marker over
    release();
    const result = await writing; // fenced off: answers with the settled review
    expect(result.review.reports.open).toBe(1);
    await expectSettled(slow);
    expect(await markers()).toBe(0);
  });

  it('concurrent reports, ratings, crashes and sweeps on one fact add up to the recount', async () => {
    const [a] = stores;
    const b = await open();
    let sweeping = true;
    const sweeps = (async () => {
      while (sweeping) await Promise.all([a.sweepPendingReviews(0), b.sweepPendingReviews(0)]);
    })();
    const writes = Array.from({ length: 80 }, async (_, i) => {
      const store = i % 2 === 0 ? a : b;
      if (i % 7 === 0) crashOnce(talliesOf(store), 'apply', 'before the tally $inc');
      try {
        if (i % 4 === 3) {
          await store.upsertRating(
            {
              target: { kind: 'FACT', titleId: TITLE, factId: FACT },
              voterId: voter(100 + i),
              score: 1 + (i % 2),
              comment: null,
            },
            new Date(),
          );
        } else {
          await store.fileReport(reportOf(i), new Date());
        }
      } catch {
        // a simulated crash: the sweep settles it
      }
    });
    await Promise.all(writes);
    sweeping = false;
    await sweeps;
    await a.sweepPendingReviews(0);
    await a.sweepPendingAggregates(0);
    expect(await markers()).toBe(0);
    const { openReports } = await expectSettled(a);
    // Voters i % 20 of the report writes (i % 4 !== 3): 15 of them, one OPEN report each.
    expect(openReports).toHaveLength(15);
    expect(await collection('reports').countDocuments()).toBe(15);
  });

  it('a transition cut after its review write is finished by the sweep: change, resolution, closed reports', async () => {
    const [store] = stores;
    for (const n of [1, 2, 3]) await store.fileReport(reportOf(n), new Date());
    crashOnce(reviewsOf(store), 'closeOpenReports', 'before closing the reports');
    await expect(store.transitionReview(FACT, TITLE, resolve(FACT))).rejects.toThrow(
      'simulated crash',
    );

    // The review moved; its reports are still OPEN and counted, so the entry stays queued.
    const [review] = await store.reviewsOfFacts([FACT]);
    expect(review).toMatchObject({ status: 'REVIEWED', outcome: 'DISMISSED' });
    expect(review.reports.open).toBe(3);
    expect((await store.reviewQueue({ first: 10 })).items.map((e) => e.factId)).toEqual([FACT]);
    // The record and the resolution are listed already.
    const { items } = await store.changesOfTitle(TITLE, { first: 1 });
    expect(items[0]).toMatchObject({ operation: 'RESOLVE_REVIEW', entityId: FACT });
    const resolutions = [];
    for await (const resolution of store.allResolutions()) resolutions.push(resolution);
    expect(resolutions).toEqual([expect.objectContaining({ id: review.reviewId })]);

    expect(await store.sweepPendingReviews()).toBe(0); // young: its writer may still be running
    await store.sweepPendingReviews(0);
    const settled = await expectSettled(store);
    expect(settled.openReports).toEqual([]);
    expect(settled.review.reports.open).toBe(0);
    expect(settled.rank.queued).toBe(false);
    const closed = await collection('reports').find().toArray();
    expect(closed.map((r) => [r.state, r.closedBy])).toEqual(
      Array(3).fill(['CLOSED', review.reviewId]),
    );
    expect(closed.every((r) => r.openKey === undefined)).toBe(true);
    expect(
      await collection('fact_reviews').countDocuments({ pendingTransition: { $exists: true } }),
    ).toBe(0);
  });

  it('the next transition of a fact finishes the one a crash cut first', async () => {
    const [store] = stores;
    await store.fileReport(reportOf(1), new Date());
    crashOnce(reviewsOf(store), 'closeOpenReports', 'before closing the reports');
    await expect(store.transitionReview(FACT, TITLE, resolve(FACT))).rejects.toThrow('simulated');
    const [cut] = await store.reviewsOfFacts([FACT]);
    // The editor tries again: the first resolution is finished first (its report closed), so
    // the fact is no longer queued and the second one is refused, nothing written twice.
    await expect(store.transitionReview(FACT, TITLE, resolve(FACT))).rejects.toMatchObject({
      name: 'InvalidInputError',
      field: 'factId',
    });
    const [report] = await collection('reports').find().toArray();
    expect(report).toMatchObject({ state: 'CLOSED', closedBy: cut.reviewId });
    const { review } = await expectSettled(store);
    expect(review.reviewId).toBe(cut.reviewId);
    expect(await collection('review_resolutions').countDocuments()).toBe(1);
  });

  it("a fact's rating cut before its re-rank is re-ranked by the aggregate sweep", async () => {
    const [store] = stores;
    const rate = (n: number) =>
      store.upsertRating(
        {
          target: { kind: 'FACT', titleId: TITLE, factId: FACT },
          voterId: voter(n),
          score: 1,
          comment: null,
        },
        new Date(),
      );
    for (let n = 0; n < 9; n++) await rate(n);
    crashOnce(store['pending'], 'aggregateChanged', 'before the re-rank');
    await expect(rate(9)).rejects.toThrow('simulated crash');
    expect((await store.aggregatesByTargets([`fact:${FACT}`]))[0].count).toBe(10);
    expect((await store.reviewQueue({ first: 10 })).items).toEqual([]); // ranked on 9

    await store.sweepPendingAggregates(0);
    expect((await store.reviewQueue({ first: 10 })).items.map((e) => e.factId)).toEqual([FACT]);
    await expectSettled(store);
  });

  it('a title edit cut before its re-rank: the queue drops the removed fact when it reads it', async () => {
    const [store] = stores;
    await store.fileReport(reportOf(1, 'alpha-2'), new Date());
    await store.fileReport(reportOf(1), new Date());
    crashOnce(store['curation'], 'factsChanged', 'before the re-rank');
    await expect(
      store.editTitles([
        {
          titleId: TITLE,
          apply: (c) =>
            removeFact({ now: new Date(), newId: newStoreId, operation: 'REMOVE_FACT' }, c!, FACT),
        },
      ]),
    ).rejects.toThrow('simulated crash');
    expect(await collection('fact_reviews').findOne({ _id: FACT as never })).toMatchObject({
      queued: true,
    });
    expect((await store.reviewQueue({ first: 10 })).items.map((e) => e.factId)).toEqual([
      'alpha-2',
    ]);
    expect(await collection('fact_reviews').findOne({ _id: FACT as never })).toMatchObject({
      queued: false,
    });
  });

  it('stores the threshold, and a process started with the same one re-ranks nothing', async () => {
    const [store] = stores;
    const lenient = { minRatings: 4, minLowerBound: 0.1 };
    await store.fileReport(reportOf(1), new Date());
    await store.useQueueThreshold(lenient);
    expect(await collection('settings').findOne({})).toMatchObject(lenient);
    const revs = async () =>
      (await collection('fact_reviews').find().toArray()).map((doc) => doc.rev);
    const before = await revs();

    const next = await open();
    await next.useQueueThreshold(lenient);
    expect(await revs()).toEqual(before);
    await next.useQueueThreshold(DEFAULT_QUEUE_THRESHOLD);
    expect(await revs()).not.toEqual(before);
    expect(await collection('settings').findOne({})).toMatchObject(DEFAULT_QUEUE_THRESHOLD);
    await expect(next.useQueueThreshold({ minRatings: -1, minLowerBound: 0.3 })).rejects.toThrow(
      'minRatings',
    );
  });

  it('the validators accept every document the adapter writes, crash leftovers included', async () => {
    const [store] = stores;
    await store.useQueueThreshold({ minRatings: 5, minLowerBound: 0.2 });
    for (const n of [1, 2, 3, 21]) await store.fileReport(reportOf(n), new Date());
    await store.fileReport(
      { ...reportOf(4, 'alpha-2'), report: { ...reportOf(4).report, note: 'A note' } },
      new Date(),
    );
    await store.upsertRating(
      {
        target: { kind: 'FACT', titleId: TITLE, factId: 'alpha-3' },
        voterId: voter(9),
        score: 2,
        comment: null,
      },
      new Date(),
    );
    await store.transitionReview(FACT, TITLE, resolve(FACT));
    // What crashes leave: a tally marker, a transition's last steps, a `tallied` entry.
    crashOnce(talliesOf(store), 'apply', 'before the tally $inc');
    await expect(store.fileReport(reportOf(5), new Date())).rejects.toThrow('simulated');
    crashOnce(talliesOf(store), 'clear', 'before the clean-up');
    await expect(store.fileReport(reportOf(6, 'alpha-3'), new Date())).rejects.toThrow('simulated');
    crashOnce(reviewsOf(store), 'closeOpenReports', 'before closing the reports');
    await expect(store.transitionReview('alpha-2', TITLE, resolve('alpha-2'))).rejects.toThrow(
      'simulated',
    );
    const seen = new Set<string>();
    for (const name of [
      COLLECTION.reports,
      COLLECTION.factReviews,
      COLLECTION.reviewResolutions,
      COLLECTION.settings,
      COLLECTION.changes,
    ]) {
      const schema = SCHEMA.find((spec) => spec.name === name)!.jsonSchema;
      const docs = await collection(name).find().toArray();
      expect(docs.length).toBeGreaterThan(0);
      for (const doc of docs) {
        expect({ name, problems: violations(schema, doc) }).toEqual({ name, problems: [] });
        for (const field of ['pendingTally', 'pendingTransition', 'tallied', 'closedBy']) {
          if (doc[field]) seen.add(field);
        }
      }
      // The validator is not vacuous: a document without its required fields fails it.
      expect(violations(schema, name === COLLECTION.settings ? {} : { _id: 'x' })).not.toEqual([]);
    }
    expect([...seen].sort()).toEqual(['closedBy', 'pendingTally', 'pendingTransition', 'tallied']);
  });
});

/**
 * The $jsonSchema keywords the validators use, checked as MongoDB does; any
 * other keyword is reported, so a validator cannot use one unchecked here.
 */
function violations(schema: Document, value: unknown, at = '$'): string[] {
  const known = [
    'bsonType',
    'required',
    'properties',
    'enum',
    'anyOf',
    'minimum',
    'maximum',
    'multipleOf',
    'minLength',
    'items',
    'minItems',
  ];
  const out = Object.keys(schema)
    .filter((keyword) => !known.includes(keyword))
    .map((keyword) => `${at}: unknown keyword ${keyword}`);
  const types = bsonTypes(value);
  if (schema.bsonType !== undefined && ![schema.bsonType].flat().some((t) => types.includes(t))) {
    out.push(`${at}: ${JSON.stringify(value)} is not ${schema.bsonType}`);
  }
  if (schema.enum && !schema.enum.includes(value)) out.push(`${at}: not in enum`);
  if (schema.anyOf && !schema.anyOf.some((s: Document) => violations(s, value).length === 0)) {
    out.push(`${at}: matches no anyOf branch`);
  }
  if (typeof value === 'number') {
    if (schema.minimum !== undefined && value < schema.minimum) out.push(`${at}: < minimum`);
    if (schema.maximum !== undefined && value > schema.maximum) out.push(`${at}: > maximum`);
    if (schema.multipleOf !== undefined && value % schema.multipleOf !== 0) {
      out.push(`${at}: not a multiple`);
    }
  }
  if (typeof value === 'string' && value.length < (schema.minLength ?? 0)) {
    out.push(`${at}: too short`);
  }
  if (Array.isArray(value)) {
    if (value.length < (schema.minItems ?? 0)) out.push(`${at}: too few items`);
    if (schema.items) {
      value.forEach((item, i) => out.push(...violations(schema.items, item, `${at}[${i}]`)));
    }
  }
  if (types.includes('object')) {
    const doc = value as Record<string, unknown>;
    for (const field of schema.required ?? []) {
      if (!(field in doc)) out.push(`${at}.${field}: required`);
    }
    for (const [field, sub] of Object.entries((schema.properties ?? {}) as Document)) {
      if (field in doc) out.push(...violations(sub, doc[field], `${at}.${field}`));
    }
  }
  return out;
}

function bsonTypes(value: unknown): string[] {
  if (value === null) return ['null'];
  if (value instanceof Date) return ['date'];
  if (typeof value === 'string') return ['string'];
  if (typeof value === 'boolean') return ['bool'];
  if (typeof value === 'number') {
    return Number.isInteger(value) ? ['number', 'int', 'double'] : ['number', 'double'];
  }
  if (Array.isArray(value)) return ['array'];
  if (typeof value === 'object') return ['object'];
  return ['unknown'];
}
