import { Field, Float, Int, ObjectType, Query, Resolver } from 'type-graphql';
import { RATING_SCALE } from '../accuracy/scale';
import { AccuracyVerdict } from './enums';

@ObjectType({ description: "Viewers' accuracy ratings of a title page or a fact, summarized." })
export class AccuracySummary {
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

  @Field(() => AccuracyVerdict)
  verdict!: AccuracyVerdict;
}

@ObjectType({ description: 'What one score on the rating scale means.' })
export class RatingLevel {
  @Field(() => Int)
  score!: number;

  @Field()
  label!: string;

  @Field()
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
