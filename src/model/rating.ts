/**
 * Viewers' accuracy ratings. A rating is about a target: a whole title page or
 * one fact on it. One rating per voter and target; rating again replaces it.
 */

import { InvalidInputError } from './errors';

export const MIN_SCORE = 1;
export const MAX_SCORE = 5;
export const SCORE_RULE = 'score must be from 1 to 5';
export const WHOLE_SCORE_RULE = 'score must be a whole number from 1 to 5';

/** The anonymous id an app generates once per device; one rating per voter and target. */
export const VOTER_ID_PATTERN = /^[A-Za-z0-9_-]{8,64}$/;
export const VOTER_ID_RULE = 'voterId must be 8 to 64 characters of A-Z, a-z, 0-9, _ and -';

export const MAX_COMMENT_LENGTH = 500;
export const COMMENT_RULE = `comment must be at most ${MAX_COMMENT_LENGTH} characters`;

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

/** What a voter sends: their score of a target, with an optional comment. */
export interface RatingInput {
  target: RatingTarget;
  voterId: string;
  score: number;
  comment: string | null;
}

/**
 * The rating as it is stored: throws InvalidInputError naming the first
 * field that breaks a rule (the GraphQL layer checks the same rules with the
 * same messages before this runs). A blank comment is no comment.
 */
export function validRating(input: RatingInput): RatingInput {
  if (!Number.isInteger(input.score)) throw new InvalidInputError('score', WHOLE_SCORE_RULE);
  if (input.score < MIN_SCORE || input.score > MAX_SCORE) {
    throw new InvalidInputError('score', SCORE_RULE);
  }
  if (!VOTER_ID_PATTERN.test(input.voterId)) throw new InvalidInputError('voterId', VOTER_ID_RULE);
  if (input.comment !== null && input.comment.length > MAX_COMMENT_LENGTH) {
    throw new InvalidInputError('comment', COMMENT_RULE);
  }
  return { ...input, comment: input.comment?.trim() ? input.comment : null };
}
