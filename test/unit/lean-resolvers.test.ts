import { isObjectType } from 'graphql';
import { leanFieldResolvers } from '../../src/graphql/lean-resolvers';
import { buildReelcheckSchema } from '../../src/graphql/schema';

describe('leanFieldResolvers', () => {
  it('calls plain field resolvers directly and leaves roles and arguments to TypeGraphQL', async () => {
    const schema = await buildReelcheckSchema();
    // Applied again to the built schema: the same fields qualify.
    const lean = leanFieldResolvers(schema);
    expect(lean).toEqual(
      expect.arrayContaining([
        'Title.id',
        'Title.accuracy',
        'Title.tmdbScore',
        'Title.recommendations',
        'Fact.id',
        'Fact.accuracy',
        'AccuracySummary.id',
        'Recommendation.id',
        'Recommendation.title',
      ]),
    );
    // @Authorized: TypeGraphQL checks the role. Arguments: TypeGraphQL converts and validates them.
    for (const kept of [
      'Rating.moderation',
      'Title.changes',
      'Title.facts',
      'Title.viewerRating',
    ]) {
      expect(lean).not.toContain(kept);
    }
  });

  it('passes the root and the context in the order the method declares them', async () => {
    const schema = await buildReelcheckSchema();
    const fact = schema.getType('Fact');
    if (!isObjectType(fact)) throw new Error('no Fact type');
    const record = { id: 'f1', titleId: 't1' };
    const aggregates: string[] = [];
    const context = {
      loaders: {
        aggregateByTarget: {
          load: async (key: string) => {
            aggregates.push(key);
            return { targetKey: key, count: 2, sum: 8, distribution: [0, 0, 0, 2, 0] };
          },
        },
      },
    };
    // Fact.accuracy(@Root() fact, @Ctx() ctx): the record's target, summarized.
    const summary = await fact.getFields().accuracy.resolve!(record, {}, context, {} as never);
    expect(aggregates).toEqual(['fact:f1']);
    expect(summary).toMatchObject({ count: 2, average: 4 });
  });
});
