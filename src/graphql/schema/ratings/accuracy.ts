import {
  Field,
  FieldResolver,
  Float,
  ID,
  Int,
  ObjectType,
  Query,
  Resolver,
  Root,
} from 'type-graphql';
import { type AccuracySummaryData, RATING_SCALE } from '../../../model';
import { AccuracyVerdict } from '../enums';
import { toGlobalId } from '../node/ids';
import { Node } from '../node/node';

@ObjectType({
  implements: Node,
  description:
    "Viewers' accuracy ratings of a title page or of one fact, summarized. Its id is the rated target's, so a client cache that holds it sees a new rating at once.",
})
export class AccuracySummary extends Node {
  @Field(() => Int, { description: 'Number of ratings.' })
  count!: number;

  @Field(() => Float, { nullable: true, description: 'Mean score (1-5); null when count is 0.' })
  average!: number | null;

  @Field(() => [Int], { description: 'How many ratings gave 1, 2, 3, 4 and 5, in that order.' })
  distribution!: number[];

  @Field(() => Float, {
    nullable: true,
    description: 'The damped (Bayesian) mean the verdict is read from; null when count is 0.',
  })
  score!: number | null;

  @Field(() => AccuracyVerdict, {
    description: 'The verdict read from score (see AccuracyVerdict).',
  })
  verdict!: AccuracyVerdict;
}

@Resolver(() => AccuracySummary)
export class AccuracySummaryResolver {
  @FieldResolver(() => ID, {
    description: 'Global ID of this summary: one per title page or fact.',
  })
  id(@Root() summary: AccuracySummaryData): string {
    return toGlobalId('AccuracySummary', summary.targetKey);
  }
}

@ObjectType({
  description:
    'What one score on the rating scale means: the hover text of the "Rate the Accuracy" widget.',
})
export class RatingLevel {
  @Field(() => Int, { description: 'The score, 1 (inaccurate) to 5 (accurate).' })
  score!: number;

  @Field({ description: 'Short name of the score, e.g. "Mostly accurate".' })
  label!: string;

  @Field({ description: 'What a viewer means when they give this score.' })
  description!: string;
}

@Resolver()
export class RatingScaleResolver {
  @Query(() => [RatingLevel], {
    description: "The rating scale, 1 to 5, with what each score means (the widget's hover text).",
  })
  ratingScale(): readonly RatingLevel[] {
    return RATING_SCALE;
  }
}
