import type { Document } from 'mongodb';
import { COLLECTION } from './collections';
import { JSON_SCHEMAS } from './validators';

/**
 * The database schema the MongoDB adapter relies on: the collections of the
 * store (titles, ratings, aggregates, changes; reports, fact_reviews,
 * review_resolutions and settings for the review queue) plus the rating
 * limit's counters (rate_limits), each with its $jsonSchema validator (validators.ts),
 * and the indexes that make batch reads cheap and (the unique ones) make
 * upserts correct under concurrency. ensure-schema.ts creates them all.
 */

export { COLLECTION, LEGACY_COLLECTION } from './collections';

export type CollectionName = (typeof COLLECTION)[keyof typeof COLLECTION];

export interface IndexSpec {
  name: string;
  key: Record<string, 1 | -1>;
  unique: boolean;
  /** Correctness depends on it: a conflicting existing index stops the store from becoming ready. */
  required: boolean;
  /** A TTL index: the server deletes a document this long after the date in its (single) key. */
  expireAfterSeconds?: number;
  /** Leaves out documents without the key (few documents have it). */
  sparse?: boolean;
  purpose: string;
  /** A unique index: how an operator resolves documents that share a key (shown when it cannot be built). */
  resolveDuplicates?: string;
}

export interface CollectionSpec {
  name: CollectionName;
  /** The $jsonSchema (draft 4 subset with bsonType, as MongoDB implements it). */
  jsonSchema: Document;
  indexes: IndexSpec[];
}

/** What an operator does about titles that share a TMDB identity (the store is not ready meanwhile). */
export const SHARED_TMDB_IDENTITY_FIX =
  'A TMDB identity must name one title: keep it on one title of each group and clear it on the ' +
  "others, e.g. db.titles.updateOne({ _id: '<id>' }, { $set: { tmdbId: null }, $unset: { tmdbKey: '' } })";

export const SCHEMA: readonly CollectionSpec[] = [
  {
    name: COLLECTION.titles,
    jsonSchema: JSON_SCHEMAS.titles,
    indexes: [
      {
        name: 'titles_slug_unique',
        key: { slug: 1 },
        unique: true,
        required: true,
        purpose: 'listTitles order and cursor (slug > after), one title per current slug',
      },
      {
        name: 'titles_slugs_unique',
        key: { slugs: 1 },
        unique: true,
        required: true,
        purpose:
          'titlesBySlugs through the slug history; a slug (current or former) belongs to one ' +
          'title, checked atomically by every write',
      },
      {
        name: 'titles_fact_ids',
        key: { 'facts.id': 1 },
        unique: false,
        required: false,
        purpose: 'factsByIds: the title document holding a fact',
      },
      {
        // Sparse rather than partial: for one field that is absent when unset they mean
        // the same, and servers that ignore partialFilterExpression still honour sparse.
        name: 'titles_tmdb_key_unique',
        key: { tmdbKey: 1 },
        unique: true,
        required: true,
        sparse: true,
        purpose:
          'one title per TMDB identity (federation entities keyed by tmdbId mediaType, TMDB ' +
          'imports): titlesByTmdbIds, and checked atomically by every write',
        resolveDuplicates: SHARED_TMDB_IDENTITY_FIX,
      },
      {
        name: 'titles_name_trigrams',
        key: { nameTrigrams: 1, slug: 1 },
        unique: false,
        required: false,
        purpose:
          'search of 3+ characters: the titles holding a trigram of the search, in slug order ' +
          '(a page reads what it returns), each then checked for the whole search in nameKey',
      },
      {
        name: 'titles_name_key',
        key: { nameKey: 1 },
        unique: false,
        required: false,
        purpose:
          'search of 1-2 characters (no trigram to look up): the substring check scans these ' +
          'keys rather than whole documents',
      },
    ],
  },
  {
    name: COLLECTION.ratings,
    jsonSchema: JSON_SCHEMAS.ratings,
    indexes: [
      {
        name: 'ratings_visible_comments',
        key: { targetKey: 1, commented: 1, hidden: 1, updatedAt: -1, _id: -1 },
        unique: false,
        required: false,
        purpose:
          "commentsOf: a target's visible comments newest first, one bounded walk per page " +
          'whatever the number of ratings',
      },
      {
        name: 'ratings_pending_change',
        key: { 'pendingChange.titleId': 1 },
        unique: false,
        required: false,
        sparse: true,
        purpose: 'changesOfTitle: moderation records not yet copied to changes (a crash window)',
      },
      {
        name: 'ratings_pending_aggregate',
        key: { 'pendingAggregate.at': 1 },
        unique: false,
        required: false,
        sparse: true,
        purpose:
          'the pending-aggregate sweep: rating writes whose aggregate $inc a crash may have cut, ' +
          'oldest first (few documents have the field, and only for moments)',
      },
      {
        name: 'ratings_target_voter_unique',
        key: { targetKey: 1, voterId: 1 },
        unique: true,
        required: true,
        purpose:
          'one rating per (voter, target): the atomic upsert relies on it; ' +
          'also serves ratingsByTarget and per-target rebuilds by its targetKey prefix',
      },
    ],
  },
  {
    name: COLLECTION.aggregates,
    jsonSchema: JSON_SCHEMAS.aggregates,
    // Keyed by _id = targetKey: the default _id index serves reads and writes.
    indexes: [
      {
        name: 'aggregates_applied_at',
        key: { 'applied.at': 1 },
        unique: false,
        required: false,
        sparse: true,
        purpose:
          'the pending-aggregate sweep: op ids a crash left in `applied` after their marker ' +
          'was cleared (housekeeping)',
      },
    ],
  },
  {
    name: COLLECTION.changes,
    jsonSchema: JSON_SCHEMAS.changes,
    indexes: [
      {
        name: 'changes_title_at',
        key: { titleId: 1, at: -1, _id: -1 },
        unique: false,
        required: false,
        purpose: "changesOfTitle: a title's audit trail newest first, one bounded walk per page",
      },
    ],
  },
  {
    name: COLLECTION.rateLimits,
    jsonSchema: JSON_SCHEMAS.rateLimits,
    indexes: [
      {
        name: 'rate_limits_key_unique',
        key: { key: 1 },
        unique: true,
        required: true,
        purpose:
          'one counter per key: concurrent first hits of a window count on one document, and a ' +
          'window that has expired but is not yet deleted is replaced, not duplicated',
      },
      {
        name: 'rate_limits_expire_ttl',
        key: { expire: 1 },
        unique: false,
        required: false,
        expireAfterSeconds: 0,
        purpose:
          'deletes counters of windows that have ended; housekeeping only (an expired counter is ' +
          'ignored and replaced whether or not it was deleted)',
      },
    ],
  },
  {
    name: COLLECTION.reports,
    jsonSchema: JSON_SCHEMAS.reports,
    indexes: [
      {
        // Sparse on a key only OPEN reports have, rather than partial on state: see
        // titles_tmdb_key_unique; and the index check (missingRequiredIndexes) knows it.
        name: 'reports_open_key_unique',
        key: { openKey: 1 },
        unique: true,
        required: true,
        sparse: true,
        purpose:
          'one OPEN report per (fact, voter): a racing second insert fails and becomes a ' +
          "replace (review-reports.ts, fileReport); also finds the voter's open report",
        resolveDuplicates:
          'A voter must have one OPEN report per fact: close all but the newest of each group, ' +
          "e.g. db.reports.updateOne({ _id: '<id>' }, { $set: { state: 'CLOSED' }, $unset: { " +
          "openKey: '' } }), then settle the tallies (MongoStore.sweepPendingReviews)",
      },
      {
        name: 'reports_fact_open',
        key: { factId: 1, state: 1, updatedAt: -1, _id: -1 },
        unique: false,
        required: false,
        purpose:
          "openReportsOfFacts: a fact's OPEN reports newest first; closing them at a resolution",
      },
      {
        name: 'reports_pending_tally',
        key: { 'pendingTally.at': 1 },
        unique: false,
        required: false,
        sparse: true,
        purpose:
          'the pending-marker sweep: report writes whose tally $inc a crash may have cut, ' +
          'oldest first (few documents have the field, and only for moments)',
      },
    ],
  },
  {
    name: COLLECTION.factReviews,
    jsonSchema: JSON_SCHEMAS.factReviews,
    // Keyed by _id = fact id: the default _id index serves reads and writes.
    indexes: [
      {
        name: 'fact_reviews_queue',
        key: { queued: 1, priority: -1, _id: 1 },
        unique: false,
        required: false,
        purpose:
          'reviewQueue: queued facts by priority then fact id, a keyset walk that reads what ' +
          'a page returns however deep',
      },
      {
        name: 'fact_reviews_title_queue',
        key: { titleId: 1, queued: 1, priority: -1, _id: 1 },
        unique: false,
        required: false,
        purpose:
          "reviewQueue of one title (with or without a status); a title's reviews (audit " +
          'listing of pending transition records)',
      },
      {
        name: 'fact_reviews_status_queue',
        key: { status: 1, queued: 1, priority: -1, _id: 1 },
        unique: false,
        required: false,
        purpose: 'reviewQueue of one review status',
      },
      {
        name: 'fact_reviews_pending_transition',
        key: { 'pendingTransition.at': 1 },
        unique: false,
        required: false,
        sparse: true,
        purpose:
          "the pending-marker sweep: editors' transitions whose last steps a crash may have " +
          'cut (few documents have the field, and only for moments)',
      },
      {
        name: 'fact_reviews_tallied_at',
        key: { 'tallied.at': 1 },
        unique: false,
        required: false,
        sparse: true,
        purpose:
          'the pending-marker sweep: op ids a crash left in `tallied` after their marker was ' +
          'cleared (housekeeping)',
      },
    ],
  },
  {
    name: COLLECTION.reviewResolutions,
    jsonSchema: JSON_SCHEMAS.reviewResolutions,
    // Keyed by _id = resolution id: reports' closedBy and allResolutions read by it.
    indexes: [],
  },
  {
    name: COLLECTION.settings,
    jsonSchema: JSON_SCHEMAS.settings,
    // One document per setting, keyed by name.
    indexes: [],
  },
];

/** Indexes earlier versions created that nothing reads any more: dropped at start. */
export const OBSOLETE_INDEXES: ReadonlyArray<{ collection: CollectionName; name: string }> = [
  // Non-unique { tmdbId, mediaType }; replaced by titles_tmdb_key_unique.
  { collection: COLLECTION.titles, name: 'titles_tmdb' },
];
