import { IsInt, Matches, Max, MaxLength, Min } from 'class-validator';
import {
  Arg,
  Args,
  ArgsType,
  Authorized,
  Ctx,
  Directive,
  Field,
  FieldResolver,
  ID,
  InputType,
  Int,
  Mutation,
  ObjectType,
  Resolver,
  Root,
} from 'type-graphql';
import { type AccuracySummaryData, summarize } from '../accuracy/summary';
import { EDITOR } from '../curation/editor-auth';
import { notFound } from '../errors';
import {
  type FactRecord,
  MAX_SCORE,
  MIN_SCORE,
  type RatingRecord,
  type RatingTarget,
  type TitleRecord,
  targetKey,
} from '../model';
import { AccuracySummary } from './accuracy';
import type { Context } from './context';
import { Fact } from './fact';
import { requireGlobalId, toGlobalId } from './ids';
import { Node } from './node';
import { Title } from './title';

const VOTER_ID_PATTERN = /^[A-Za-z0-9_-]{8,64}$/;
const VOTER_ID_MESSAGE = 'voterId must be 8 to 64 characters of A-Z, a-z, 0-9, _ and -';
const MAX_COMMENT_LENGTH = 500;

@Directive('@key(fields: "id")')
@ObjectType({
  implements: Node,
  description: "One viewer's accuracy rating of a title page or of one fact on it.",
})
export class Rating extends Node {
  @Field(() => Int, { description: 'From 1 (inaccurate) to 5 (accurate); see ratingScale.' })
  score!: number;

  @Field({ description: 'When the voter first rated this target.' })
  createdAt!: Date;

  @Field({ description: 'When the voter last changed this rating.' })
  updatedAt!: Date;
}

@InputType({ description: "A viewer's rating of a title page, or of one fact on it." })
export class RateAccuracyInput {
  @Field(() => ID, { description: 'The title whose page (or fact) is rated.' })
  titleId!: string;

  @Field(() => ID, {
    nullable: true,
    description: 'A fact on that title; omit to rate the whole page.',
  })
  factId?: string | null;

  @Field(() => Int, { description: 'From 1 (inaccurate) to 5 (accurate); see ratingScale.' })
  @IsInt({ message: 'score must be a whole number from 1 to 5' })
  @Min(MIN_SCORE, { message: 'score must be from 1 to 5' })
  @Max(MAX_SCORE, { message: 'score must be from 1 to 5' })
  score!: number;

  @Field({
    description:
      'Anonymous id the app generates once per device: 8 to 64 of A-Z a-z 0-9 _ -. A second rating of the same target by the same voter replaces the first.',
  })
  @Matches(VOTER_ID_PATTERN, { message: VOTER_ID_MESSAGE })
  voterId!: string;

  @Field(() => String, { nullable: true, description: 'Optional, at most 500 characters.' })
  @MaxLength(MAX_COMMENT_LENGTH, { message: 'comment must be at most 500 characters' })
  comment?: string | null;
}

@ObjectType({
  description:
    'The result of rateAccuracy: the rating, and the rated title (and fact) with their fresh accuracy, so client caches update without a refetch.',
})
export class RateAccuracyPayload {
  @Field(() => Rating, { description: "The voter's rating as stored now." })
  rating!: RatingRecord;

  @Field(() => AccuracySummary, {
    description: "The rated target's summary, including this rating.",
  })
  accuracy!: AccuracySummaryData;

  @Field(() => Title, {
    description: 'The title whose page (or fact) was rated; select its accuracy to update caches.',
  })
  title!: TitleRecord;

  @Field(() => Fact, {
    nullable: true,
    description: 'The rated fact; null when the page was rated.',
  })
  fact!: FactRecord | null;
}

@ArgsType()
class ViewerRatingArgs {
  @Field({ description: 'The anonymous voter id the app rated with.' })
  @Matches(VOTER_ID_PATTERN, { message: VOTER_ID_MESSAGE })
  voterId!: string;
}

@ObjectType({ description: "Why and when an editor hid a rating's comment (editors only)." })
export class CommentModeration {
  @Field({ description: "The editor's reason." })
  reason!: string;

  @Field({ description: 'When the comment was hidden.' })
  hiddenAt!: Date;
}

@Resolver(() => Rating)
export class RatingResolver {
  @FieldResolver(() => ID, { description: "The rating's global ID." })
  id(@Root() rating: RatingRecord): string {
    return toGlobalId('Rating', rating.id);
  }

  @FieldResolver(() => String, {
    nullable: true,
    description:
      "The voter's comment, if they left one; null while an editor has it hidden (editors still see it).",
  })
  comment(@Root() rating: RatingRecord, @Ctx() ctx: Context): string | null {
    return rating.hidden && ctx.editorAccess !== 'editor' ? null : rating.comment;
  }

  @Authorized(EDITOR)
  @FieldResolver(() => CommentModeration, {
    nullable: true,
    description: 'Editors only: why and when the comment was hidden; null when it is not.',
  })
  moderation(@Root() rating: RatingRecord): CommentModeration | null {
    return rating.hidden ? { reason: rating.hidden.reason, hiddenAt: rating.hidden.at } : null;
  }

  /**
   * Order matters: input is validated (by TypeGraphQL, before this runs, and
   * the ids here) before the rate limit is spent, so bad input is always
   * BAD_USER_INPUT; targets are checked before anything is written.
   */
  @Mutation(() => RateAccuracyPayload, {
    description:
      'Rates the accuracy of a title page, or of one fact on it. One rating per voter per target: rating again replaces the earlier one.',
  })
  async rateAccuracy(
    @Arg('input', () => RateAccuracyInput, {
      description: 'What is rated, by whom, and the score.',
    })
    input: RateAccuracyInput,
    @Ctx() ctx: Context,
  ): Promise<RateAccuracyPayload> {
    const titleId = requireGlobalId('Title', input.titleId, 'titleId');
    const factId = input.factId == null ? null : requireGlobalId('Fact', input.factId, 'factId');
    await ctx.ratingLimiter.consume(ctx.clientAddress);

    const { target, title, fact } = await resolveTarget(ctx, titleId, factId);
    const comment = input.comment?.trim() ? input.comment : null;
    const result = await ctx.store.upsertRating(
      { target, voterId: input.voterId, score: input.score, comment },
      new Date(),
    );
    // The title's (or fact's) accuracy field, if selected, reads this very aggregate.
    ctx.loaders.aggregateByTarget.prime(result.aggregate.targetKey, result.aggregate);
    ctx.logger.info(
      { targetKey: result.aggregate.targetKey, created: result.created },
      'rating recorded',
    );
    return { rating: result.rating, accuracy: summarize(result.aggregate), title, fact };
  }
}

/**
 * Title.viewerRating and Fact.viewerRating: "you rated 4" after a reload. One
 * batched store call for every target on the page (see loaders.viewerRating).
 */
@Resolver(() => Title)
export class TitleViewerRatingResolver {
  @FieldResolver(() => Rating, {
    nullable: true,
    description: "This voter's rating of the page; null when they have not rated it.",
  })
  viewerRating(
    @Root() title: TitleRecord,
    @Args() { voterId }: ViewerRatingArgs,
    @Ctx() ctx: Context,
  ): Promise<RatingRecord | null> {
    const key = targetKey({ kind: 'TITLE', titleId: title.id });
    return ctx.loaders.viewerRating.load({ voterId, targetKey: key });
  }
}

@Resolver(() => Fact)
export class FactViewerRatingResolver {
  @FieldResolver(() => Rating, {
    nullable: true,
    description: "This voter's rating of the fact; null when they have not rated it.",
  })
  viewerRating(
    @Root() fact: FactRecord,
    @Args() { voterId }: ViewerRatingArgs,
    @Ctx() ctx: Context,
  ): Promise<RatingRecord | null> {
    const key = targetKey({ kind: 'FACT', titleId: fact.titleId, factId: fact.id });
    return ctx.loaders.viewerRating.load({ voterId, targetKey: key });
  }
}

/** NOT_FOUND for an unknown title, or a fact that is not on that title. */
async function resolveTarget(
  ctx: Context,
  titleId: string,
  factId: string | null,
): Promise<{ target: RatingTarget; title: TitleRecord; fact: FactRecord | null }> {
  const [title, fact] = await Promise.all([
    ctx.loaders.titleById.load(titleId),
    factId === null ? null : ctx.loaders.factById.load(factId),
  ]);
  if (!title) throw notFound('No title has this titleId', 'titleId');
  if (factId === null) return { target: { kind: 'TITLE', titleId }, title, fact: null };
  if (!fact || fact.titleId !== titleId)
    throw notFound('No fact with this factId is on that title', 'factId');
  return { target: { kind: 'FACT', titleId, factId }, title, fact };
}
