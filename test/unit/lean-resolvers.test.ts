import {
  type GraphQLFieldResolver,
  GraphQLInt,
  GraphQLObjectType,
  GraphQLSchema,
  GraphQLString,
  isObjectType,
} from 'graphql';
import {
  callFieldsDirectly,
  DIRECT_CALL,
  directField,
} from '../../src/graphql/schema/lean-resolvers';
import { buildReelcheckSchema } from '../../src/graphql/schema/build';

/** The served field's resolve, and whether it calls its method directly (lean-resolvers.ts). */
function resolverOf(schema: GraphQLSchema, coordinate: string) {
  const [typeName, fieldName] = coordinate.split('.');
  const type = schema.getType(typeName);
  if (!isObjectType(type)) throw new Error(`no object type ${typeName}`);
  const resolve = type.getFields()[fieldName]?.resolve as
    (GraphQLFieldResolver<unknown, unknown> & { [DIRECT_CALL]?: true }) | undefined;
  return { resolve: resolve!, direct: resolve?.[DIRECT_CALL] === true };
}

/** A schema of one type, Greeting { text, shout(times: Int) }, made by hand. */
function greetingSchema(): GraphQLSchema {
  const greeting = new GraphQLObjectType({
    name: 'Greeting',
    fields: {
      text: { type: GraphQLString },
      shout: { type: GraphQLString, args: { times: { type: GraphQLInt } } },
    },
  });
  return new GraphQLSchema({
    query: new GraphQLObjectType({ name: 'Query', fields: { greeting: { type: greeting } } }),
  });
}

class GreetingResolver {
  private readonly punctuation = '!';
  text(root: { name: string }, context: { language: string }): string {
    return `${context.language === 'fr' ? 'Bonjour' : 'Hello'} ${root.name}${this.punctuation}`;
  }
  shout(root: { name: string }): string {
    return root.name.toUpperCase();
  }
}

describe('callFieldsDirectly', () => {
  it('answers a declared field with its method, given the root, then the context, on its instance', () => {
    const schema = greetingSchema();
    callFieldsDirectly(schema, [directField('Greeting.text', GreetingResolver, 'text')]);
    const { resolve, direct } = resolverOf(schema, 'Greeting.text');
    expect(direct).toBe(true);
    expect(resolve({ name: 'Ada' }, {}, { language: 'fr' }, {} as never)).toBe('Bonjour Ada!');
    expect(resolverOf(schema, 'Greeting.shout').direct).toBe(false);
  });

  it('refuses, naming the coordinate, a field with arguments, a missing field or a missing method', () => {
    expect(() =>
      callFieldsDirectly(greetingSchema(), [
        directField('Greeting.shout', GreetingResolver, 'shout'),
      ]),
    ).toThrow('direct field Greeting.shout: it takes arguments');
    expect(() =>
      callFieldsDirectly(greetingSchema(), [
        directField('Greeting.whisper', GreetingResolver, 'text'),
      ]),
    ).toThrow('direct field Greeting.whisper: the schema has no such field');
    expect(() =>
      callFieldsDirectly(greetingSchema(), [
        { coordinate: 'Greeting.text', resolver: GreetingResolver, method: 'speak' },
      ]),
    ).toThrow('direct field Greeting.text: GreetingResolver has no method speak');
  });
});

describe('the schema served', () => {
  let schema: GraphQLSchema;
  beforeAll(async () => {
    schema = await buildReelcheckSchema();
  });

  it("calls the title page's plain field resolvers directly", () => {
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
      'Rating.comment',
    ]) {
      expect([coordinate, resolverOf(schema, coordinate).direct]).toEqual([coordinate, true]);
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
      expect([coordinate, resolverOf(schema, coordinate).direct]).toEqual([coordinate, false]);
    }
  });

  it('passes the context to a direct call: a hidden comment shows to editors only', () => {
    const { resolve } = resolverOf(schema, 'Rating.comment');
    const rating = {
      id: 'r1',
      comment: 'Filmed in Busan',
      hidden: { reason: 'spam', at: new Date() },
    };
    expect(resolve(rating, {}, { editorAccess: 'editor' }, {} as never)).toBe('Filmed in Busan');
    expect(resolve(rating, {}, { editorAccess: 'none' }, {} as never)).toBeNull();
    expect(resolve({ ...rating, hidden: null }, {}, {}, {} as never)).toBe('Filmed in Busan');
  });
});
