import { createHash } from 'node:crypto';
import {
  getOperationAST,
  type GraphQLError,
  GraphQLInputObjectType,
  GraphQLInt,
  GraphQLList,
  GraphQLNonNull,
  GraphQLObjectType,
  GraphQLSchema,
  GraphQLString,
  parse,
} from 'graphql';
import {
  cachedVerdicts,
  createCostEstimator,
  type CostRequest,
  MAX_ESTIMATED_SELECTIONS,
  MAX_QUERY_COMPLEXITY,
} from '../../src/graphql/pipeline/complexity';
import { buildReelcheckSchema } from '../../src/graphql/schema/build';
import { FULL_INTROSPECTION_QUERY } from '../fixtures/introspection';

describe('cost estimate', () => {
  let schema: GraphQLSchema;
  let estimate: (request: CostRequest) => number;
  beforeAll(async () => {
    schema = await buildReelcheckSchema();
    estimate = createCostEstimator(schema);
  });
  const cost = (query: string, variables?: Record<string, unknown>) =>
    estimate({ document: parse(query), variables });

  it('counts introspection like other fields: lists multiply by the schema’s own sizes', () => {
    const types = Object.keys(schema.getTypeMap()).length;
    expect(cost('{ __schema { types { name } } }')).toBe(1 + (1 + types * 1));
    const fieldsPerType = cost('{ __schema { types { fields { name } } } }');
    expect(fieldsPerType).toBeGreaterThan(2 * types);
    // Each step of the type -> field -> type cycle multiplies the cost again.
    expect(cost('{ __schema { types { fields { type { fields { name } } } } } }')).toBeGreaterThan(
      2 * fieldsPerType,
    );
    expect(cost('{ __typename }')).toBe(1);
  });

  it('counts introspection’s scalar fields as part of their entry, so the standard query fits', () => {
    const types = Object.keys(schema.getTypeMap()).length;
    // name, kind, description... are property reads: an entry costs 1 whatever of them it selects.
    expect(cost('{ __schema { types { name kind description specifiedByURL } } }')).toBe(
      1 + (1 + types * 1),
    );
    expect(cost(FULL_INTROSPECTION_QUERY)).toBeLessThan(MAX_QUERY_COMPLEXITY / 2);
  });

  it('counts a fragment like the same selection written inline', () => {
    const inline = '{ titles(first: 10) { edges { node { facts { text title { name } } } } } }';
    const viaFragment =
      '{ titles(first: 10) { edges { node { ...F } } } } fragment F on Title { facts { text title { name } } }';
    expect(cost(viaFragment)).toBe(cost(inline));
    expect(cost(inline)).toBeGreaterThan(10 * 16);
  });

  it('is a function of the document, operation name and variables only', () => {
    const query =
      'query A($n: Int) { titles(first: $n) { totalCount } } query B { ratingScale { score } }';
    const a = (n: number) =>
      estimate({ document: parse(query), operationName: 'A', variables: { n } });
    expect(a(5)).toBe(a(5));
    expect(a(50)).toBeGreaterThan(a(5));
    expect(estimate({ document: parse(query), operationName: 'B' })).toBe(2);
  });

  it('fails closed: an operation it cannot measure is refused with QUERY_TOO_COMPLEX', () => {
    const fields = Array.from(
      { length: MAX_ESTIMATED_SELECTIONS + 1 },
      (_, i) => `a${i}: __typename`,
    );
    const refusal = (() => {
      try {
        cost(`{ ${fields.join(' ')} }`);
        return null;
      } catch (error) {
        return error as GraphQLError;
      }
    })();
    expect(refusal?.extensions).toMatchObject({
      code: 'QUERY_TOO_COMPLEX',
      limit: 'nodes',
      http: { status: 400 },
    });
    // One selection fewer is measured.
    expect(cost(`{ ${fields.slice(1).join(' ')} }`)).toBe(MAX_ESTIMATED_SELECTIONS);
  });
});

describe('cached cost verdicts', () => {
  let schema: GraphQLSchema;
  beforeAll(async () => {
    schema = await buildReelcheckSchema();
  });

  /** The verdict as the plugin sees it, for a query text, operation name and variables. */
  function verdictFor(
    verdicts: ReturnType<typeof cachedVerdicts>,
    query: string,
    operationName?: string,
    variables?: Record<string, unknown>,
  ) {
    const document = parse(query);
    const operation = getOperationAST(document, operationName)!;
    const queryHash = createHash('sha256').update(query).digest('hex');
    return verdicts({ queryHash, document, operation, operationName, variables });
  }

  it('gives the estimate’s own answers, asked once or again, whatever the key order of the variables', () => {
    const estimate = createCostEstimator(schema);
    const verdicts = cachedVerdicts(schema);
    const query =
      'query A($n: Int, $s: String) { titles(first: $n, search: $s) { totalCount edges { node { name } } } } query B { ratingScale { score } }';
    for (const n of [1, 5, 50, 5, 1]) {
      const direct = estimate({ document: parse(query), operationName: 'A', variables: { n } });
      expect(verdictFor(verdicts, query, 'A', { n, s: 'x' })).toBe(direct);
      expect(verdictFor(verdicts, query, 'A', { s: 'x', n })).toBe(direct);
    }
    expect(verdictFor(verdicts, query, 'B')).toBe(
      estimate({ document: parse(query), operationName: 'B' }),
    );
  });

  it('keeps refusals and variables that do not coerce apart from costs', () => {
    const verdicts = cachedVerdicts(schema);
    const fields = Array.from(
      { length: MAX_ESTIMATED_SELECTIONS + 1 },
      (_, i) => `a${i}: __typename`,
    );
    const tooMany = `{ ${fields.join(' ')} }`;
    expect(verdictFor(verdicts, tooMany)).toBe('unmeasurable');
    expect(verdictFor(verdicts, tooMany)).toBe('unmeasurable');
    const query = 'query A($n: Int!) { titles(first: $n) { totalCount } }';
    expect(verdictFor(verdicts, query, 'A', { n: 'many' })).toBe('uncoercible');
    expect(verdictFor(verdicts, query, 'A', { n: 3 })).toBe(
      createCostEstimator(schema)({
        document: parse(query),
        operationName: 'A',
        variables: { n: 3 },
      }),
    );
  });

  it('keys a verdict only by the variables an estimator reads: a new rating input is not estimated again', () => {
    // A field whose complexity function counts its calls: one call per estimate.
    let estimates = 0;
    const counted = new GraphQLObjectType({
      name: 'Counted',
      fields: { n: { type: GraphQLInt } },
    });
    const listOf = (name: string) => ({
      type: new GraphQLList(counted),
      args: { first: { type: GraphQLInt } },
      extensions: {
        complexity: ({
          args,
          childComplexity,
        }: {
          args: { first?: number };
          childComplexity: number;
        }) => {
          if (name === 'counted') estimates += 1;
          return 1 + (args.first ?? 10) * childComplexity;
        },
      },
    });
    const input = new GraphQLInputObjectType({
      name: 'In',
      fields: { voter: { type: new GraphQLNonNull(GraphQLString) }, score: { type: GraphQLInt } },
    });
    const tiny = new GraphQLSchema({
      query: new GraphQLObjectType({ name: 'Query', fields: { list: listOf('list') } }),
      mutation: new GraphQLObjectType({
        name: 'Mutation',
        fields: {
          rate: {
            type: new GraphQLObjectType({
              name: 'Rated',
              fields: { counted: listOf('counted'), list: listOf('list') },
            }),
            args: { input: { type: new GraphQLNonNull(input) } },
          },
        },
      }),
    });
    const verdicts = cachedVerdicts(tiny);
    const fresh = createCostEstimator(tiny);
    const rating =
      'mutation R($in: In!, $first: Int!, $all: Boolean!) { rate(input: $in) { counted(first: 2) { n } list(first: $first) @include(if: $all) { n } } }';
    const ask = (variables: Record<string, unknown>) =>
      verdictFor(verdicts, rating, 'R', variables);
    const direct = (variables: Record<string, unknown>) =>
      fresh({ document: parse(rating), operationName: 'R', variables });

    for (let voter = 0; voter < 5; voter++) {
      const variables = { in: { voter: `v${voter}`, score: voter }, first: 3, all: true };
      expect(ask(variables)).toBe(direct(variables));
    }
    estimates = 0;
    for (let voter = 5; voter < 10; voter++)
      ask({ in: { voter: `v${voter}` }, first: 3, all: true });
    expect(estimates).toBe(0); // the input is in no estimator's arguments: kept verdict
    // A list's size and a directive's condition are read: each value is its own verdict.
    for (const variables of [
      { in: { voter: 'a' }, first: 7, all: true },
      { in: { voter: 'a' }, first: 7, all: false },
    ]) {
      expect(ask(variables)).toBe(direct(variables));
    }
    expect(estimates).toBe(4); // two new keys, each asked of both
    // A kept verdict is not given to values that do not coerce.
    expect(ask({ in: { voter: 7 }, first: 3, all: true })).toBe('uncoercible');
    expect(ask({ in: { score: 1 }, first: 3, all: true })).toBe('uncoercible');
    expect(ask({ in: { voter: 'b' }, first: 3, all: true })).toBe(
      direct({ in: { voter: 'b' }, first: 3, all: true }),
    );
  });
});
