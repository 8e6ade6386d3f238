import { createHash } from 'node:crypto';
import { getOperationAST, type GraphQLError, type GraphQLSchema, parse } from 'graphql';
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
});
