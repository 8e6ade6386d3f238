import { type GraphQLSchema, isObjectType } from 'graphql';
import { DIRECT_CALL, leanFieldResolvers } from '../../src/graphql/lean-resolvers';
import { buildReelcheckSchema } from '../../src/graphql/schema';

/** Whether the served schema's field calls its method directly (lean-resolvers.ts). */
function direct(schema: GraphQLSchema, coordinate: string): boolean {
  const [typeName, fieldName] = coordinate.split('.');
  const type = schema.getType(typeName);
  if (!isObjectType(type)) throw new Error(`no object type ${typeName}`);
  const resolve = type.getFields()[fieldName]?.resolve as { [DIRECT_CALL]?: true } | undefined;
  return resolve?.[DIRECT_CALL] === true;
}

describe('leanFieldResolvers', () => {
  let schema: GraphQLSchema;
  beforeAll(async () => {
    schema = await buildReelcheckSchema();
  });

  it('calls plain field resolvers directly in the schema served', () => {
    for (const coordinate of [
      'Title.id',
      'Title.accuracy',
      'Title.tmdbScore',
      'Title.recommendations',
      'Fact.id',
      'Fact.accuracy',
      'AccuracySummary.id',
      'Recommendation.id',
      'Recommendation.title',
    ]) {
      expect([coordinate, direct(schema, coordinate)]).toEqual([coordinate, true]);
    }
  });

  it('leaves roles and arguments to TypeGraphQL', () => {
    // @Authorized: TypeGraphQL checks the role. Arguments: TypeGraphQL converts and validates them.
    for (const coordinate of [
      'Rating.moderation',
      'Title.changes',
      'Title.facts',
      'Title.viewerRating',
    ]) {
      expect([coordinate, direct(schema, coordinate)]).toEqual([coordinate, false]);
    }
  });

  it('replaces nothing when the schema has global middlewares, which every field must run', () => {
    expect(leanFieldResolvers(schema, [() => undefined])).toEqual([]);
  });

  it('passes the root, then the context', async () => {
    const fact = schema.getType('Fact');
    if (!isObjectType(fact)) throw new Error('no Fact type');
    const aggregates: string[] = [];
    const context = {
      loaders: {
        aggregateByTarget: {
          loadNow: (key: string) => {
            aggregates.push(key);
            return { targetKey: key, count: 2, sum: 8, distribution: [0, 0, 0, 2, 0] };
          },
        },
      },
    };
    // Fact.accuracy(@Root() fact, @Ctx() ctx): the record's target, summarized.
    const resolve = fact.getFields().accuracy.resolve!;
    const summary = resolve({ id: 'f1', titleId: 't1' }, {}, context, {} as never);
    expect(aggregates).toEqual(['fact:f1']);
    expect(summary).toMatchObject({ count: 2, average: 4 });
  });
});
