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
import { EDITOR } from '../../request/editor-auth';
import {
  type AccuracySummaryData,
  COMMENT_RULE,
  type FactRecord,
  MAX_COMMENT_LENGTH,
  MAX_SCORE,
  MIN_SCORE,
  type RatingRecord,
  SCORE_RULE,
  type TitleRecord,
  targetKey,
  VOTER_ID_PATTERN,
  VOTER_ID_RULE,
  WHOLE_SCORE_RULE,
} from '../../../model';
import { AccuracySummary } from './accuracy';
import type { Context } from '../../request/context';
import { Fact } from '../facts/fact';
import { requireGlobalId, toGlobalId } from '../node/ids';
import { Node } from '../node/node';
import { Title } from '../titles/title';

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
  @IsInt({ message: WHOLE_SCORE_RULE })
  @Min(MIN_SCORE, { message: SCORE_RULE })
  @Max(MAX_SCORE, { message: SCORE_RULE })
  score!: number;

  @Field({
    description:
      'Anonymous id the app generates once per device: 8 to 64 of A-Z a-z 0-9 _ -. A second rating of the same target by the same voter replaces the first.',
  })
  @Matches(VOTER_ID_PATTERN, { message: VOTER_ID_RULE })
  voterId!: string;

  @Field(() => String, { nullable: true, description: 'Optional, at most 500 characters.' })
  @MaxLength(MAX_COMMENT_LENGTH, { message: COMMENT_RULE })
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
  @Matches(VOTER_ID_PATTERN, { message: VOTER_ID_RULE })
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
   * The ids are parsed here (BAD_USER_INPUT naming the argument) before the
   * service spends the rate limit; RatingService.rate says why the order matters.
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
    const result = await ctx.ratings.rate(
      {
        titleId: requireGlobalId('Title', input.titleId, 'titleId'),
        factId: input.factId == null ? null : requireGlobalId('Fact', input.factId, 'factId'),
        voterId: input.voterId,
        score: input.score,
        comment: input.comment ?? null,
      },
      { address: ctx.clientAddress, logger: ctx.logger },
    );
    // The title's (or fact's) accuracy field, if selected, reads this very aggregate.
    ctx.loaders.aggregateByTarget.prime(result.aggregate.targetKey, result.aggregate);
    return result;
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
