import type { ChangeRecord } from '../../model';
import type { Page, PageRequest } from './paging';

/** The audit trail: the change records every curated write stores with its change. */
export interface AuditTrail {
  /** A title's change records (its fields, facts, recommendations, comments), newest first. */
  changesOfTitle(titleId: string, page: PageRequest): Promise<Page<ChangeRecord>>;
  /** One entry per id, in id order; null where no change record has that id. */
  changesByIds(ids: readonly string[]): Promise<Array<ChangeRecord | null>>;
}
