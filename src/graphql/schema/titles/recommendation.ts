import { Ctx, Field, FieldResolver, ID, ObjectType, Resolver, Root } from 'type-graphql';
import type { RecommendationRecord, TitleRecord } from '../../../model';
import { listComplexity, RECOMMENDATIONS_PER_TITLE } from '../../pipeline/complexity';
import type { Context } from '../../request/context';
import { recommendationKey, toGlobalId } from '../node/ids';
import { Node } from '../node/node';
import { Title } from './title';

@ObjectType({
  implements: Node,
  description: 'A "Watch Next" entry: another title, with a label and why to watch it.',
})
export class Recommendation extends Node {
  @Field({ description: 'Genre label, e.g. "More Drama".' })
  label!: string;

  @Field({ description: 'Why a viewer of this page would enjoy the recommended title.' })
  reason!: string;
}

@Resolver(() => Recommendation)
export class RecommendationResolver {
  @FieldResolver(() => ID, {
    description: 'Global ID of this entry, stable while the page recommends the same title.',
  })
  id(@Root() recommendation: RecommendationRecord): string {
    return toGlobalId(
      'Recommendation',
      recommendationKey(recommendation.titleId, recommendation.recommendedTitleId),
    );
  }

  @FieldResolver(() => Title, { description: 'The recommended title.' })
  title(@Root() recommendation: RecommendationRecord, @Ctx() ctx: Context) {
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
