import { Field, Float, Int, ObjectType } from 'type-graphql';

@ObjectType({
  description:
    "The title's score on TMDB: a value that belongs to its title (no id of its own; caches store it inside the Title).",
})
export class TmdbScore {
  @Field(() => Float, { description: 'Average vote, 0-10.' })
  voteAverage!: number;

  @Field(() => Int, { description: 'How many TMDB users voted (0 when TMDB gave no count).' })
  voteCount!: number;

  @Field({ description: 'When this value was fetched from TMDB.' })
  fetchedAt!: Date;

  @Field({
    description:
      'True when this is a last known value (older than the cache TTL, or TMDB unreachable); a refresh is under way.',
  })
  stale!: boolean;
}
