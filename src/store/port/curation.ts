import type {
  ChangeRecord,
  CommentModeration,
  CuratedTitle,
  RatingRecord,
  TitleEditResult,
} from '../../model';
import type { Page, PageRequest } from './paging';

/** What editors read and write: whole title aggregates, and the moderation of comments. */
export interface CurationStore {
  /** Title aggregates (fields, slug history, facts, recommendations), in id order; null where none. */
  curatedTitlesByIds(ids: readonly string[]): Promise<Array<CuratedTitle | null>>;
  /**
   * Every editor write and import goes through here. Each edit reads one
   * title's aggregate (null: no such title yet) and returns the next one with
   * its change records (null: nothing to change, nothing is written). The
   * store writes each next aggregate and its change records atomically: a
   * change is never stored without its record, nor a record without its
   * change. `apply` must be pure: an adapter may run it again on fresher state
   * after a concurrent write to the same title. Whatever `apply` throws aborts
   * the batch with nothing written (every edit is applied to the current state
   * before the first write). Throws SlugTakenError when a slug (current or
   * former) already resolves to another title. Never touches ratings, and
   * keeps a TMDB snapshot saved meanwhile unless the edit changes it.
   *
   * Adapters: SQLite runs the batch in one transaction. MongoDB writes each
   * title as one atomic single-document update; see mongo/curation.ts for what a
   * crash between two titles of a batch leaves.
   */
  editTitles(edits: readonly TitleEdit[]): Promise<TitleEditOutcome[]>;
  /**
   * Hides (or re-words the reason of) a rating's comment, with its change
   * record, atomically. `apply` returns null to change nothing. Null when no
   * rating has this id.
   */
  moderateRating(ratingId: string, apply: RatingModeration): Promise<RatingRecord | null>;
  /**
   * Ratings of one target that have a comment not hidden, newest first
   * (updatedAt, then id, descending), after the cursor; index-backed: a page
   * costs what it returns whatever the target's number of ratings.
   */
  commentsOf(targetKey: string, page: PageRequest): Promise<Page<RatingRecord>>;
}

/** One title's edit: see CurationStore.editTitles. */
export interface TitleEdit {
  titleId: string;
  apply(current: CuratedTitle | null): TitleEditResult | null;
}

export interface TitleEditOutcome {
  /** The aggregate as stored after the batch (as it was when the edit changed nothing). */
  title: CuratedTitle | null;
  /** The change records stored with it (empty when nothing changed). */
  changes: ChangeRecord[];
}

/** Decides a comment's moderation from the rating as stored; see CurationStore.moderateRating. */
export type RatingModeration = (
  current: RatingRecord,
) => { hidden: CommentModeration; change: ChangeRecord } | null;
