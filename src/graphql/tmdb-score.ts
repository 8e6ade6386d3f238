import { Field, Float, Int, ObjectType } from 'type-graphql';

@ObjectType({ description: "The title's score on TMDB." })
export class TmdbScore {
  @Field(() => Float, { description: 'Average vote, 0-10.' })
  voteAverage!: number;

  @Field(() => Int)
  voteCount!: number;

  @Field({ description: 'When this value was fetched from TMDB.' })
  fetchedAt!: Date;

  @Field({
    description:
      'True when this is a last known value (older than the cache TTL, or TMDB unreachable); a refresh is under way.',
  })
  stale!: boolean;
}
