/**
 * Viewers' accuracy ratings. A rating is about a target: a whole title page or
 * one fact on it. One rating per voter and target; rating again replaces it.
 */

export const MIN_SCORE = 1;
export const MAX_SCORE = 5;

/** What a rating is about. */
export type RatingTarget =
  { kind: 'TITLE'; titleId: string } | { kind: 'FACT'; titleId: string; factId: string };

/** The identity of a target in ratings and aggregates ("title:<id>" / "fact:<id>"). */
export function targetKey(target: RatingTarget): string {
  return target.kind === 'TITLE' ? `title:${target.titleId}` : `fact:${target.factId}`;
}

export interface RatingRecord {
  id: string;
  targetKey: string;
  titleId: string;
  factId: string | null;
  voterId: string;
  score: number;
  comment: string | null;
  /** Set when an editor hid the comment: it is then left out of comment lists and not shown. */
  hidden: CommentModeration | null;
  createdAt: Date;
  updatedAt: Date;
}

/** Why and when an editor hid a rating's comment (editors only see this). */
export interface CommentModeration {
  reason: string;
  at: Date;
}

/** The invariant every stored score keeps: an integer from MIN_SCORE to MAX_SCORE. */
export function assertScore(score: unknown): asserts score is number {
  if (
    typeof score !== 'number' ||
    !Number.isInteger(score) ||
    score < MIN_SCORE ||
    score > MAX_SCORE
  ) {
    throw new RangeError(`A rating score must be an integer from ${MIN_SCORE} to ${MAX_SCORE}`);
  }
}
