import type { ApolloServerPlugin } from '@apollo/server';
import { GraphQLError, type GraphQLSchema } from 'graphql';
import {
  type ComplexityEstimator,
  fieldExtensionsEstimator,
  getComplexity,
  simpleEstimator,
} from 'graphql-query-complexity';

/**
 * A cost bound on each operation, estimated before it runs. The depth limit
 * stops endless title -> facts -> title nesting; this stops breadth: list
 * fields multiply the cost of what is selected under them (titles by `first`,
 * facts and recommendations by a typical page's size). A 100-title listing with
 * every page field costs about 14,000; an abusive nested listing, hundreds of thousands.
 */
export const MAX_QUERY_COMPLEXITY = 20_000;

/** List sizes the estimate assumes: the reference page has 8 + 8 facts and 2 recommendations. */
export const FACTS_PER_TITLE = 16;
export const RECOMMENDATIONS_PER_TITLE = 4;

/** `1 + perItem * childComplexity`: the cost of a list field whose length is `count(args)`. */
export function listComplexity(
  count: (args: Record<string, unknown>) => number,
): ComplexityEstimator {
  return ({ args, childComplexity }) => 1 + count(args) * childComplexity;
}

/** Rejects an operation whose estimated cost exceeds MAX_QUERY_COMPLEXITY (400, QUERY_TOO_COMPLEX). */
export function complexityLimit(schema: GraphQLSchema): ApolloServerPlugin {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ request, document }) {
          let complexity: number;
          try {
            complexity = getComplexity({
              schema,
              query: document,
              operationName: request.operationName,
              variables: request.variables,
              estimators: [fieldExtensionsEstimator(), simpleEstimator({ defaultComplexity: 1 })],
            });
          } catch {
            // Variables that do not coerce: execution reports them as BAD_USER_INPUT.
            return;
          }
          if (complexity > MAX_QUERY_COMPLEXITY) {
            throw new GraphQLError(
              `The operation is too costly (estimated ${complexity}, limit ${MAX_QUERY_COMPLEXITY}): ask for fewer titles or select less under them`,
              {
                extensions: {
                  code: 'QUERY_TOO_COMPLEX',
                  complexity,
                  maxComplexity: MAX_QUERY_COMPLEXITY,
                  http: { status: 400 },
                },
              },
            );
          }
        },
      };
    },
  };
}
