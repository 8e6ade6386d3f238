import { ChangeEntityType, ChangeOperation, type ChangeRecord, toJsonValue } from './change';
import { InvalidInputError } from './errors';
import type { CommentModeration, RatingRecord } from './rating';

/**
 * Hides a rating's comment from readers, with the editor's reason. Hiding
 * again with another reason re-words it; with the same reason it changes
 * nothing (null). The rating itself (its score, the aggregates) is untouched,
 * and the comment stays hidden when the voter re-rates.
 */
export function hideComment(
  ctx: { now: Date; newId(): string },
  rating: RatingRecord,
  reason: string,
): { hidden: CommentModeration; change: ChangeRecord } | null {
  if (rating.comment === null) {
    throw new InvalidInputError(
      'ratingId',
      'ratingId names a rating without a comment: nothing to hide',
    );
  }
  if (rating.hidden?.reason === reason) return null;
  const hidden: CommentModeration = { reason, at: ctx.now };
  return {
    hidden,
    change: {
      id: ctx.newId(),
      at: ctx.now,
      operation: ChangeOperation.HIDE_RATING_COMMENT,
      titleId: rating.titleId,
      entityType: ChangeEntityType.RATING_COMMENT,
      entityId: rating.id,
      revision: null,
      fields: [{ field: 'hidden', before: toJsonValue(rating.hidden), after: toJsonValue(hidden) }],
    },
  };
}
