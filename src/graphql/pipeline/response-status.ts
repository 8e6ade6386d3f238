import type { ApolloServerPlugin } from '@apollo/server';

/** Request errors: the document or its variables were refused before any field ran. */
const REQUEST_ERROR_CODES = new Set<unknown>([
  'GRAPHQL_PARSE_FAILED',
  'GRAPHQL_VALIDATION_FAILED',
  'BAD_USER_INPUT',
  'OPERATION_RESOLUTION_FAILURE',
]);

/**
 * GraphQL over HTTP: a client that accepts only `application/json` (the
 * legacy media type) should get 200 with `errors` for a request error, since
 * it cannot tell a 4xx of the GraphQL layer from one of a proxy; one that
 * accepts `application/graphql-response+json` (or anything) keeps Apollo's 400.
 * A refusal by a query limit (extensions.limit) stays 400 for every client.
 */
export function legacyJsonStatus(): ApolloServerPlugin {
  return {
    async requestDidStart() {
      return {
        async willSendResponse({ request, response }) {
          if (response.http.status !== 400 || response.body.kind !== 'single') return;
          if (!acceptsOnlyJson(request.http?.headers.get('accept'))) return;
          const errors = response.body.singleResult.errors ?? [];
          const requestErrors = errors.every(
            (error) => REQUEST_ERROR_CODES.has(error.extensions?.code) && !error.extensions?.limit,
          );
          if (errors.length > 0 && requestErrors) response.http.status = 200;
        },
      };
    },
  };
}

/** true when every media range the client accepts (q > 0) is exactly application/json. */
function acceptsOnlyJson(accept: string | undefined): boolean {
  if (!accept) return false;
  const ranges = accept
    .split(',')
    .map((range) => range.split(';'))
    .filter(([, ...params]) => !params.some((p) => /^\s*q\s*=\s*0(\.0*)?\s*$/.test(p)))
    .map(([type]) => type.trim().toLowerCase());
  return ranges.length > 0 && ranges.every((type) => type === 'application/json');
}
