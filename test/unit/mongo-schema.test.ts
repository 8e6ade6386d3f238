import type { Document } from 'mongodb';
import {
  aggregateFields,
  aggregateIncrement,
  curatedFields,
  ratingUpsert,
  toChangeDoc,
  toRating,
} from '../../src/store/mongo/documents';
import { loadCatalog } from '../../src/seed/catalog';
import { canonicalJson } from '../../src/store/mongo/ensure-schema';
import { COLLECTION, SCHEMA } from '../../src/store/mongo/schema';
import { VALIDATION } from '../../src/store/mongo/validators';
import { aggregateOf, createTitle, type CuratedTitle, hideComment } from '../../src/model';

/**
 * A small evaluator for the $jsonSchema subset the validators use. It refuses
 * any other keyword, so a validator cannot silently use something this test
 * (and, by the list below, MongoDB) does not understand.
 */
const KNOWN_KEYWORDS = new Set([
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
]);

function bsonTypeOf(value: unknown): string[] {
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

function violations(schema: Document, value: unknown, at = '$'): string[] {
  const out: string[] = [];
  for (const keyword of Object.keys(schema)) {
    if (!KNOWN_KEYWORDS.has(keyword)) out.push(`${at}: unknown keyword ${keyword}`);
  }
  if (schema.bsonType !== undefined) {
    const allowed: string[] = [schema.bsonType].flat();
    if (!bsonTypeOf(value).some((t) => allowed.includes(t))) {
      out.push(`${at}: ${JSON.stringify(value)} is not ${allowed.join('|')}`);
    }
  }
  if (schema.enum && !schema.enum.includes(value)) out.push(`${at}: not in enum`);
  if (schema.anyOf && !schema.anyOf.some((s: Document) => violations(s, value, at).length === 0)) {
    out.push(`${at}: matches no anyOf branch`);
  }
  if (typeof value === 'number') {
    if (schema.minimum !== undefined && value < schema.minimum) out.push(`${at}: < minimum`);
    if (schema.maximum !== undefined && value > schema.maximum) out.push(`${at}: > maximum`);
    if (schema.multipleOf !== undefined && value % schema.multipleOf !== 0) {
      out.push(`${at}: not a multiple of ${schema.multipleOf}`);
    }
  }
  if (Array.isArray(value)) {
    if (schema.minItems !== undefined && value.length < schema.minItems) {
      out.push(`${at}: fewer than minItems`);
    }
    if (schema.items)
      value.forEach((item, i) => out.push(...violations(schema.items, item, `${at}[${i}]`)));
  }
  if (
    typeof value === 'string' &&
    schema.minLength !== undefined &&
    value.length < schema.minLength
  ) {
    out.push(`${at}: shorter than minLength`);
  }
  // Object keywords apply to objects only (as in JSON Schema and MongoDB).
  if (value !== null && typeof value === 'object' && !(value instanceof Date)) {
    const doc = value as Record<string, unknown>;
    for (const field of schema.required ?? []) {
      if (!(field in doc)) out.push(`${at}.${field}: required`);
    }
    for (const [field, sub] of Object.entries(
      (schema.properties ?? {}) as Record<string, Document>,
    )) {
      if (field in doc) out.push(...violations(sub, doc[field], `${at}.${field}`));
    }
  }
  return out;
}

function schemaOf(name: string): Document {
  const spec = SCHEMA.find((s) => s.name === name);
  if (!spec) throw new Error(`no spec for ${name}`);
  return spec.jsonSchema;
}

/** A title document as MongoStore.editTitles writes it (insert, with pending change records). */
function titleDocument(curated: CuratedTitle): Document {
  const changes = createTitle(
    { now: new Date(), newId: () => 'c1', operation: 'CREATE_TITLE' },
    { ...curated.title },
    curated,
  ).changes;
  return {
    _id: curated.title.id,
    ...curatedFields(curated),
    tmdbSnapshot: curated.title.tmdbSnapshot,
    version: 1,
    pendingChanges: changes.map(toChangeDoc),
  };
}

describe('MongoDB schema spec', () => {
  it('declares the nine collections, each with a $jsonSchema; ours over string _ids', () => {
    expect(SCHEMA.map((s) => s.name)).toEqual([
      'titles',
      'ratings',
      'aggregates',
      'changes',
      'rate_limits',
      'reports',
      'fact_reviews',
      'review_resolutions',
      'settings',
    ]);
    for (const spec of SCHEMA) {
      expect(spec.jsonSchema.bsonType).toBe('object');
      // rate-limiter-flexible writes the rate limit counters, with ObjectId _ids.
      if (spec.name === COLLECTION.rateLimits) continue;
      expect(spec.jsonSchema.required).toContain('_id');
      expect(spec.jsonSchema.properties._id.bsonType).toBe('string');
      expect(violations(spec.jsonSchema, { _id: 'x' }).some((v) => v.includes('unknown'))).toBe(
        false,
      );
    }
    expect(VALIDATION).toEqual({ validationLevel: 'strict', validationAction: 'error' });
  });

  it('names every index explicitly, uniquely, with the keys the adapter relies on', () => {
    const indexes = SCHEMA.flatMap((s) => s.indexes.map((ix) => ({ collection: s.name, ...ix })));
    const names = indexes.map((ix) => ix.name);
    expect(new Set(names).size).toBe(names.length);
    expect(
      indexes.map(({ collection, name, key, unique, required }) => ({
        collection,
        name,
        key,
        unique,
        required,
      })),
    ).toEqual([
      {
        collection: 'titles',
        name: 'titles_slug_unique',
        key: { slug: 1 },
        unique: true,
        required: true,
      },
      {
        collection: 'titles',
        name: 'titles_slugs_unique',
        key: { slugs: 1 },
        unique: true,
        required: true,
      },
      {
        collection: 'titles',
        name: 'titles_fact_ids',
        key: { 'facts.id': 1 },
        unique: false,
        required: false,
      },
      {
        collection: 'titles',
        name: 'titles_tmdb_key_unique',
        key: { tmdbKey: 1 },
        unique: true,
        required: true,
      },
      {
        collection: 'titles',
        name: 'titles_name_trigrams',
        key: { nameTrigrams: 1, slug: 1 },
        unique: false,
        required: false,
      },
      {
        collection: 'titles',
        name: 'titles_name_key',
        key: { nameKey: 1 },
        unique: false,
        required: false,
      },
      {
        collection: 'ratings',
        name: 'ratings_visible_comments',
        key: { targetKey: 1, commented: 1, hidden: 1, updatedAt: -1, _id: -1 },
        unique: false,
        required: false,
      },
      {
        collection: 'ratings',
        name: 'ratings_pending_change',
        key: { 'pendingChange.titleId': 1 },
        unique: false,
        required: false,
      },
      {
        collection: 'ratings',
        name: 'ratings_pending_aggregate',
        key: { 'pendingAggregate.at': 1 },
        unique: false,
        required: false,
      },
      {
        collection: 'ratings',
        name: 'ratings_target_voter_unique',
        key: { targetKey: 1, voterId: 1 },
        unique: true,
        required: true,
      },
      {
        collection: 'aggregates',
        name: 'aggregates_applied_at',
        key: { 'applied.at': 1 },
        unique: false,
        required: false,
      },
      {
        collection: 'changes',
        name: 'changes_title_at',
        key: { titleId: 1, at: -1, _id: -1 },
        unique: false,
        required: false,
      },
      {
        collection: 'rate_limits',
        name: 'rate_limits_key_unique',
        key: { key: 1 },
        unique: true,
        required: true,
      },
      {
        collection: 'rate_limits',
        name: 'rate_limits_expire_ttl',
        key: { expire: 1 },
        unique: false,
        required: false,
      },
      {
        collection: 'reports',
        name: 'reports_open_key_unique',
        key: { openKey: 1 },
        unique: true,
        required: true,
      },
      {
        collection: 'reports',
        name: 'reports_fact_open',
        key: { factId: 1, state: 1, updatedAt: -1, _id: -1 },
        unique: false,
        required: false,
      },
      {
        collection: 'reports',
        name: 'reports_pending_tally',
        key: { 'pendingTally.at': 1 },
        unique: false,
        required: false,
      },
      {
        collection: 'fact_reviews',
        name: 'fact_reviews_queue',
        key: { queued: 1, priority: -1, _id: 1 },
        unique: false,
        required: false,
      },
      {
        collection: 'fact_reviews',
        name: 'fact_reviews_title_queue',
        key: { titleId: 1, queued: 1, priority: -1, _id: 1 },
        unique: false,
        required: false,
      },
      {
        collection: 'fact_reviews',
        name: 'fact_reviews_status_queue',
        key: { status: 1, queued: 1, priority: -1, _id: 1 },
        unique: false,
        required: false,
      },
      {
        collection: 'fact_reviews',
        name: 'fact_reviews_pending_transition',
        key: { 'pendingTransition.at': 1 },
        unique: false,
        required: false,
      },
      {
        collection: 'fact_reviews',
        name: 'fact_reviews_tallied_at',
        key: { 'tallied.at': 1 },
        unique: false,
        required: false,
      },
    ]);
    // Sparse: only OPEN reports have an openKey, so only they are in the unique index.
    expect(indexes.find((ix) => ix.name === 'reports_open_key_unique')?.sparse).toBe(true);
    // The counters' TTL index deletes a window's counter once its expire date has passed.
    const ttl = indexes.find((ix) => ix.name === 'rate_limits_expire_ttl');
    expect(ttl?.expireAfterSeconds).toBe(0);
    // Sparse: a title without a TMDB id has no tmdbKey and is not in the unique index.
    expect(indexes.find((ix) => ix.name === 'titles_tmdb_key_unique')?.sparse).toBe(true);
    // Key order matters for compound indexes: targetKey first serves per-target reads.
    const ratings = indexes.find((ix) => ix.name === 'ratings_target_voter_unique');
    expect(Object.keys(ratings?.key ?? {})).toEqual(['targetKey', 'voterId']);
  });

  it('compares validators regardless of key order', () => {
    expect(canonicalJson({ b: 1, a: { d: [1, { y: 2, x: 1 }], c: null } })).toBe(
      canonicalJson({ a: { c: null, d: [1, { x: 1, y: 2 }] }, b: 1 }),
    );
    expect(canonicalJson({ a: [1, 2] })).not.toBe(canonicalJson({ a: [2, 1] }));
  });
});

describe('validators accept every document the adapter writes', () => {
  it('title documents of the seed catalog, facts, recommendations and change records inside', () => {
    const docs = loadCatalog().titles.map(titleDocument);
    expect(docs).toHaveLength(3);
    for (const doc of docs) expect(violations(schemaOf(COLLECTION.titles), doc)).toEqual([]);
    expect(docs[0].facts).toHaveLength(16);
    expect(docs[0].tmdbSnapshot.fetchedAt).toBeInstanceOf(Date);
    // The unique sparse index's key: set with a TMDB id, absent (not null) without one.
    expect(docs[0].tmdbKey).toBe('TV:136283');
    expect('tmdbKey' in docs[1]).toBe(false);
    const broken = {
      ...docs[0],
      facts: [{ ...docs[0].facts[0], verification: { status: 'MAYBE' } }],
    };
    expect(violations(schemaOf(COLLECTION.titles), broken)).not.toEqual([]);
    for (const change of docs[0].pendingChanges) {
      expect(violations(schemaOf(COLLECTION.changes), change)).toEqual([]);
    }
  });

  it('a title TMDB snapshot, as saveTmdbSnapshot writes it', () => {
    const doc = titleDocument(loadCatalog().titles[1]);
    const saved = {
      ...doc,
      tmdbSnapshot: { voteAverage: 7.5, voteCount: 3, fetchedAt: new Date() },
    };
    expect(violations(schemaOf(COLLECTION.titles), saved)).toEqual([]);
    const broken = { ...doc, tmdbSnapshot: { voteAverage: 7.5 } };
    expect(violations(schemaOf(COLLECTION.titles), broken)).not.toEqual([]);
  });

  it('a rating with a hidden comment and its pending change record', () => {
    const rating = {
      _id: 'r1',
      targetKey: 'title:t',
      titleId: 't',
      factId: null,
      voterId: 'voter-1',
      score: 2,
      comment: 'Rude',
      commented: true,
      createdAt: new Date(),
      updatedAt: new Date(),
    };
    const result = hideComment(
      { now: new Date(), newId: () => 'c1' },
      toRating({ ...rating, hidden: null }),
      'abuse',
    )!;
    const doc = {
      ...rating,
      hidden: result.hidden,
      moderationVersion: 1,
      pendingChange: toChangeDoc(result.change),
    };
    expect(violations(schemaOf(COLLECTION.ratings), doc)).toEqual([]);
  });

  it('ratings inserted by the upsert, for titles and facts', () => {
    const now = new Date();
    for (const target of [
      { kind: 'TITLE' as const, titleId: 'the-glory' },
      { kind: 'FACT' as const, titleId: 'the-glory', factId: 'the-glory-bts-1' },
    ]) {
      for (const comment of [null, 'A comment']) {
        const { filter, update } = ratingUpsert(
          { target, voterId: 'voter-1', score: 5, comment },
          now,
          'abc123',
        );
        const doc = { ...filter, ...update.$set, ...update.$setOnInsert };
        expect(violations(schemaOf(COLLECTION.ratings), doc)).toEqual([]);
      }
    }
  });

  it('aggregates created by the first $inc, by a re-rating, and by a rebuild', () => {
    const schema = schemaOf(COLLECTION.aggregates);
    expect(violations(schema, { _id: 'title:x', ...aggregateIncrement(null, 4) })).toEqual([]);
    // A re-rating landing before the first rating's +1: counters go negative, and must pass.
    expect(violations(schema, { _id: 'title:x', ...aggregateIncrement(4, 2) })).toEqual([]);
    expect(
      violations(schema, { _id: 'title:x', ...aggregateFields(aggregateOf('title:x', [1, 5, 5])) }),
    ).toEqual([]);
    expect(violations(schema, { _id: 'title:x', count: 1, sum: 4 })).not.toEqual([]);
  });

  it('ratings with pending aggregate markers, aggregates with their fence fields', () => {
    const { filter, update } = ratingUpsert(
      { target: { kind: 'TITLE', titleId: 'x' }, voterId: 'voter-1', score: 5, comment: null },
      new Date(),
      'abc123',
    );
    const marker = { op: 'op1', at: new Date(), from: null, to: 5 };
    const rating = { ...filter, ...update.$set, ...update.$setOnInsert };
    const ratings = schemaOf(COLLECTION.ratings);
    expect(violations(ratings, { ...rating, pendingAggregate: [marker] })).toEqual([]);
    expect(
      violations(ratings, {
        ...rating,
        pendingAggregate: [marker, { ...marker, op: 'op2', from: 5 }],
      }),
    ).toEqual([]);
    expect(violations(ratings, { ...rating, pendingAggregate: [{ op: 'op1' }] })).not.toEqual([]);
    // The sweep's fence creates an aggregate with zero counters when there was none.
    const aggregate = {
      _id: 'title:x',
      ...aggregateIncrement(null, 4),
      applied: [{ op: 'op1', at: new Date() }],
      horizon: new Date(),
      sweeps: 0,
    };
    expect(violations(schemaOf(COLLECTION.aggregates), aggregate)).toEqual([]);
    expect(
      violations(schemaOf(COLLECTION.aggregates), { ...aggregate, horizon: 'yesterday' }),
    ).not.toEqual([]);
  });

  it('rate limit counters as RateLimiterMongo upserts them', () => {
    const schema = schemaOf(COLLECTION.rateLimits);
    // Its upsert: $setOnInsert { key, expire } and $inc { points }.
    const counter = { key: 'rating:203.0.113.9', expire: new Date(), points: 1 };
    expect(violations(schema, counter)).toEqual([]);
    expect(violations(schema, { ...counter, expire: null })).toEqual([]);
    expect(violations(schema, { ...counter, points: 'one' })).not.toEqual([]);
    expect(violations(schema, { expire: new Date(), points: 1 })).not.toEqual([]);
  });
});
