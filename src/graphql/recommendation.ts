import { Ctx, Field, FieldResolver, ObjectType, Resolver, Root } from 'type-graphql';
import type { RecommendationRecord, TitleRecord } from '../model';
import { listComplexity, RECOMMENDATIONS_PER_TITLE } from './complexity';
import type { Context } from './context';
import { Title } from './title';

@ObjectType({ description: 'A "Watch Next" entry: another title, with why to watch it.' })
export class Recommendation {
  @Field({ description: 'Genre label, e.g. "More Drama".' })
  label!: string;

  @Field()
  reason!: string;
}

@Resolver(() => Recommendation)
export class RecommendationResolver {
  @FieldResolver(() => Title, { description: 'The recommended title.' })
  async title(@Root() recommendation: RecommendationRecord, @Ctx() ctx: Context) {
    return ctx.loaders.titleById.load(recommendation.recommendedTitleId);
  }
}

/** Title.recommendations lives here, beside Recommendation (recommendation -> title, no circle). */
@Resolver(() => Title)
export class TitleRecommendationsResolver {
  @FieldResolver(() => [Recommendation], {
    description: '"Watch Next", in page order.',
    complexity: listComplexity(() => RECOMMENDATIONS_PER_TITLE),
  })
  recommendations(@Root() title: TitleRecord, @Ctx() ctx: Context) {
    return ctx.loaders.recommendationsByTitleId.load(title.id);
  }
}
