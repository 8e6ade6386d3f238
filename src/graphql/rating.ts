import { IsInt, IsOptional, Matches, Max, MaxLength, Min } from 'class-validator';
import {
  Arg,
  Ctx,
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
import { MAX_SCORE, MIN_SCORE } from '../model';
import { type AccuracySummaryData, summarize } from '../accuracy/summary';
import { notFound } from '../errors';
import type { RatingRecord, RatingTarget } from '../model';
import { AccuracySummary } from './accuracy';
import type { Context } from './context';
import { requireGlobalId, toGlobalId } from './ids';

const VOTER_ID_PATTERN = /^[A-Za-z0-9_-]{8,64}$/;
const MAX_COMMENT_LENGTH = 500;

@ObjectType({ description: "One viewer's accuracy rating of a title page or a fact." })
export class Rating {
  @Field(() => ID)
  id!: string;

  @Field(() => Int)
  score!: number;

  @Field(() => String, { nullable: true })
  comment!: string | null;

  @Field()
  createdAt!: Date;

  @Field({ description: 'When the voter last changed this rating.' })
  updatedAt!: Date;
}

@InputType()
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
  @Matches(VOTER_ID_PATTERN, {
    message: 'voterId must be 8 to 64 characters of A-Z, a-z, 0-9, _ and -',
  })
  voterId!: string;

  @Field(() => String, { nullable: true, description: 'Optional, at most 500 characters.' })
  @IsOptional()
  @MaxLength(MAX_COMMENT_LENGTH, { message: 'comment must be at most 500 characters' })
  comment?: string | null;
}

@ObjectType()
export class RateAccuracyPayload {
  @Field(() => Rating)
  rating!: RatingRecord;

  @Field(() => AccuracySummary, { description: "The target's summary, including this rating." })
  accuracy!: AccuracySummaryData;
}

@Resolver(() => Rating)
export class RatingResolver {
  @FieldResolver(() => ID)
  id(@Root() rating: RatingRecord): string {
    return toGlobalId('Rating', rating.id);
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
    @Arg('input', () => RateAccuracyInput) input: RateAccuracyInput,
    @Ctx() ctx: Context,
  ): Promise<RateAccuracyPayload> {
    const titleId = requireGlobalId('Title', input.titleId, 'titleId');
    const factId = input.factId == null ? null : requireGlobalId('Fact', input.factId, 'factId');
    await ctx.ratingLimiter.consume(ctx.clientAddress);

    const target = await resolveTarget(ctx, titleId, factId);
    const comment = input.comment?.trim() ? input.comment : null;
    const result = await ctx.store.upsertRating(
      { target, voterId: input.voterId, score: input.score, comment },
      new Date(),
    );
    ctx.loaders.aggregateByTarget.prime(result.aggregate.targetKey, result.aggregate);
    ctx.logger.info(
      { targetKey: result.aggregate.targetKey, created: result.created },
      'rating recorded',
    );
    return { rating: result.rating, accuracy: summarize(result.aggregate) };
  }
}

/** NOT_FOUND for an unknown title, or a fact that is not on that title. */
async function resolveTarget(
  ctx: Context,
  titleId: string,
  factId: string | null,
): Promise<RatingTarget> {
  const [title, fact] = await Promise.all([
    ctx.loaders.titleById.load(titleId),
    factId === null ? null : ctx.loaders.factById.load(factId),
  ]);
  if (!title) throw notFound('No title has this titleId', 'titleId');
  if (factId === null) return { kind: 'TITLE', titleId };
  if (!fact || fact.titleId !== titleId)
    throw notFound('No fact with this factId is on that title', 'factId');
  return { kind: 'FACT', titleId, factId };
}
