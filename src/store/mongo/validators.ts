import type { Document } from 'mongodb';
import type { COLLECTION } from './collections';

/**
 * The $jsonSchema validator of each MongoDB collection (schema.ts pairs them
 * with their indexes; ensure-schema.ts installs them).
 *
 * Validators guard against foreign or corrupt writes; they never reject what the
 * adapter writes. Note what they deliberately do NOT check: aggregate counters
 * have no minimum, because under concurrency a counter can be transiently
 * negative (a re-rating's -1 landing before the first rating's +1) and a
 * rejected $inc would make the aggregate drift for good.
 */

const string = { bsonType: 'string' };
const nullableString = { bsonType: ['string', 'null'] };
const number = { bsonType: 'number' };
const nullableNumber = { bsonType: ['number', 'null'] };
const date = { bsonType: 'date' };
const nullableDate = { bsonType: ['date', 'null'] };
const storeId = { bsonType: 'string', minLength: 1 };
const strings = { bsonType: 'array', items: string };
const changeRecord = {
  bsonType: 'object',
  required: ['_id', 'titleId', 'at', 'operation', 'entityType', 'entityId', 'fields'],
  properties: {
    _id: storeId,
    titleId: string,
    at: date,
    operation: string,
    entityType: { enum: ['TITLE', 'FACT', 'RECOMMENDATIONS', 'RATING_COMMENT', 'FACT_REVIEW'] },
    entityId: string,
    revision: nullableNumber,
    fields: { bsonType: 'array' },
  },
};

const bool = { bsonType: 'bool' };
const counts = { bsonType: 'array', items: number };
/** A report tally (ReportTally), or a change of one: counters without a minimum, as aggregates. */
const reportTally = {
  bsonType: 'object',
  required: ['open', 'byReason', 'withSource'],
  properties: {
    open: number,
    byReason: {
      bsonType: 'object',
      properties: {
        INACCURATE: number,
        MISLEADING: number,
        OUTDATED: number,
        UNVERIFIABLE: number,
        OTHER: number,
      },
    },
    withSource: number,
  },
};
const reviewOutcome = {
  enum: ['CONFIRMED_ACCURATE', 'CORRECTED', 'REMOVED', 'DISMISSED'],
};
const resolution = {
  bsonType: 'object',
  required: ['_id', 'factId', 'titleId', 'outcome', 'resolvedAt'],
  properties: {
    _id: storeId,
    factId: string,
    titleId: string,
    outcome: reviewOutcome,
    note: nullableString,
    resolvedAt: date,
  },
};
/** Op ids with the writer's clock (aggregates' `applied`, reviews' `tallied`). */
const appliedOps = {
  bsonType: 'array',
  items: {
    bsonType: 'object',
    required: ['op', 'at'],
    properties: { op: storeId, at: date },
  },
};

/** The $jsonSchema (draft 4 subset with bsonType, as MongoDB implements it) of each collection. */
export const JSON_SCHEMAS: Readonly<Record<keyof typeof COLLECTION, Document>> = {
  titles: {
    bsonType: 'object',
    required: [
      '_id',
      'slug',
      'slugs',
      'name',
      'mediaType',
      'genres',
      'revision',
      'updatedAt',
      'facts',
      'recommendations',
      'version',
    ],
    properties: {
      _id: storeId,
      slug: string,
      slugs: { bsonType: 'array', minItems: 1, items: string },
      name: string,
      nameKey: string,
      nameTrigrams: strings,
      originalName: nullableString,
      mediaType: { enum: ['MOVIE', 'TV'] },
      year: nullableNumber,
      tagline: nullableString,
      overview: nullableString,
      genres: strings,
      posterPath: nullableString,
      tmdbId: nullableNumber,
      tmdbKey: string,
      verdictBlurb: nullableString,
      revision: number,
      updatedAt: date,
      version: number,
      tmdbSnapshot: {
        anyOf: [
          { bsonType: 'null' },
          {
            bsonType: 'object',
            required: ['voteAverage', 'voteCount', 'fetchedAt'],
            properties: { voteAverage: number, voteCount: number, fetchedAt: date },
          },
        ],
      },
      facts: {
        bsonType: 'array',
        items: {
          bsonType: 'object',
          required: ['id', 'category', 'text', 'verification', 'revision', 'updatedAt'],
          properties: {
            id: storeId,
            category: { enum: ['BEHIND_THE_SCENES', 'DID_YOU_KNOW'] },
            text: string,
            revision: number,
            updatedAt: date,
            verification: {
              bsonType: 'object',
              required: ['status', 'sources'],
              properties: {
                status: { enum: ['UNVERIFIED', 'VERIFIED', 'DISPUTED', 'FALSE'] },
                note: nullableString,
                sources: {
                  bsonType: 'array',
                  items: {
                    bsonType: 'object',
                    required: ['url', 'label'],
                    properties: { url: string, label: string },
                  },
                },
                updatedAt: nullableDate,
              },
            },
          },
        },
      },
      recommendations: {
        bsonType: 'array',
        items: {
          bsonType: 'object',
          required: ['recommendedTitleId', 'label', 'reason'],
          properties: { recommendedTitleId: string, label: string, reason: string },
        },
      },
      pendingChanges: { bsonType: 'array', items: changeRecord },
    },
  },
  ratings: {
    bsonType: 'object',
    required: ['_id', 'targetKey', 'titleId', 'voterId', 'score', 'createdAt', 'updatedAt'],
    properties: {
      _id: storeId,
      targetKey: string,
      titleId: string,
      factId: nullableString,
      voterId: string,
      score: { bsonType: 'number', minimum: 1, maximum: 5, multipleOf: 1 },
      comment: nullableString,
      commented: { bsonType: 'bool' },
      hidden: {
        anyOf: [
          { bsonType: 'null' },
          {
            bsonType: 'object',
            required: ['reason', 'at'],
            properties: { reason: string, at: date },
          },
        ],
      },
      moderationVersion: number,
      pendingChange: changeRecord,
      pendingAggregate: {
        bsonType: 'array',
        items: {
          bsonType: 'object',
          required: ['op', 'at', 'to'],
          properties: { op: storeId, at: date, from: nullableNumber, to: number },
        },
      },
      createdAt: date,
      updatedAt: date,
    },
  },
  aggregates: {
    bsonType: 'object',
    required: ['_id', 'count', 'sum', 'd1', 'd2', 'd3', 'd4', 'd5'],
    properties: {
      _id: string,
      count: number,
      sum: number,
      d1: number,
      d2: number,
      d3: number,
      d4: number,
      d5: number,
      applied: appliedOps,
      horizon: date,
      sweeps: number,
    },
  },
  changes: changeRecord,
  reports: {
    bsonType: 'object',
    required: [
      '_id',
      'factId',
      'titleId',
      'voterId',
      'reason',
      'createdAt',
      'updatedAt',
      'state',
      'version',
    ],
    properties: {
      _id: storeId,
      factId: string,
      titleId: string,
      voterId: string,
      reason: { enum: ['INACCURATE', 'MISLEADING', 'OUTDATED', 'UNVERIFIABLE', 'OTHER'] },
      note: nullableString,
      sourceUrl: nullableString,
      suggestedText: nullableString,
      createdAt: date,
      updatedAt: date,
      state: { enum: ['OPEN', 'CLOSED'] },
      closedBy: nullableString,
      openKey: string,
      version: number,
      pendingTally: {
        bsonType: 'array',
        items: {
          bsonType: 'object',
          required: ['op', 'at', 'delta'],
          properties: { op: storeId, at: date, delta: reportTally },
        },
      },
    },
  },
  factReviews: {
    bsonType: 'object',
    required: [
      '_id',
      'titleId',
      'status',
      'reports',
      'ratingsAtReview',
      'queued',
      'priority',
      'figures',
      'rev',
    ],
    properties: {
      _id: storeId,
      titleId: string,
      status: { enum: ['NOT_REVIEWED', 'UNDER_REVIEW', 'REVIEWED'] },
      outcome: { anyOf: [{ bsonType: 'null' }, reviewOutcome] },
      reviewedAt: nullableDate,
      reviewId: nullableString,
      takenUpAt: nullableDate,
      reports: reportTally,
      ratingsAtReview: counts,
      queued: bool,
      priority: number,
      figures: { bsonType: 'object' },
      rev: number,
      tallied: appliedOps,
      tallyHorizon: date,
      tallySweeps: number,
      pendingTransition: {
        bsonType: 'object',
        required: ['at', 'change', 'resolution'],
        properties: {
          at: date,
          change: changeRecord,
          resolution: { anyOf: [{ bsonType: 'null' }, resolution] },
        },
      },
    },
  },
  reviewResolutions: resolution,
  settings: {
    bsonType: 'object',
    required: ['_id'],
    properties: {
      _id: string,
      // The review queue's threshold (QueueThreshold).
      minRatings: number,
      minLowerBound: number,
    },
  },
  // rate-limiter-flexible's RateLimiterMongo documents (src/ratings/rate-limit.ts): one per
  // key and window, { key, points, expire }, with the driver's ObjectId as _id.
  rateLimits: {
    bsonType: 'object',
    required: ['key', 'points'],
    properties: {
      key: string,
      points: number,
      expire: { bsonType: ['date', 'null'] },
    },
  },
};

/** Strict: a write that fails its validator is rejected, not just logged. */
export const VALIDATION = { validationLevel: 'strict', validationAction: 'error' } as const;
