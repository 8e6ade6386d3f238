import type { AuditTrail } from './audit';
import type { CatalogReads } from './catalog';
import type { CurationStore } from './curation';
import type { StoreLifecycle } from './lifecycle';
import type { RatingStore } from './ratings';
import type { ReviewStore } from './reviews';
import type { TmdbSnapshots } from './tmdb';

export type { AuditTrail } from './audit';
export type { CatalogReads, TitleListQuery, TitlePage } from './catalog';
export type { CurationStore, RatingModeration, TitleEdit, TitleEditOutcome } from './curation';
export {
  sharesRateLimitCounters,
  type SharedRateLimitCounters,
  type StoreLifecycle,
} from './lifecycle';
export type { Page, PageRequest } from './paging';
export type {
  AggregateDrift,
  RatingStore,
  RatingWrite,
  RatingWriteResult,
  RebuildReport,
} from './ratings';
export {
  type FactReviewRecord,
  type ReportWrite,
  type ReportWriteResult,
  type ReviewQueueEntry,
  type ReviewQueueQuery,
  type ReviewRecords,
  type ReviewStore,
  type ReviewTransition,
  type ReviewTransitionOutcome,
  ReviewRecordConflictError,
  reviewRecordOf,
} from './reviews';
export type { TmdbSnapshots } from './tmdb';

/**
 * The store port: everything the GraphQL layer, the TMDB layer and the scripts
 * need from persistence, as the composition of its roles (one file each here).
 * A consumer that needs one role can depend on that role alone.
 *
 * Adapters: `sqlite/` (embedded, default) and `mongo/` (production). Both pass
 * the contract suites in test/contract/ (one per role): they are the spec of
 * these interfaces.
 */
export interface Store
  extends
    CatalogReads,
    RatingStore,
    CurationStore,
    ReviewStore,
    AuditTrail,
    TmdbSnapshots,
    StoreLifecycle {}
