import { EXPLORER_DEFAULT_QUERY } from '../../src/explorer/default-query';

/**
 * What the bench sends. The title page query is the README's ("A title
 * page"), verbatim: the explorer's default query without its comment line
 * (test/bench/queries.test.ts compares it with the README), so the bench
 * always measures the page the README shows.
 */
export const TITLE_PAGE_QUERY = EXPLORER_DEFAULT_QUERY.replace(/^#.*\n/, '');

/** The least an operation can ask: Apollo's and Reelcheck's fixed per-request cost. */
export const TYPENAME_QUERY = '{ __typename }';

/** A catalog listing as a list view renders it: one card per title. */
export const TITLES_QUERY = `query Titles($first: Int!, $after: String, $search: String) {
  titles(first: $first, after: $after, search: $search) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges { cursor node { id slug name mediaType year accuracy { id count verdict } } }
  }
}`;

/** A rating, as the rating widget sends it; the comment comes back, so a response says what it wrote. */
export const RATE_MUTATION = `mutation Rate($input: RateAccuracyInput!) {
  rateAccuracy(input: $input) { rating { id score comment } title { id } accuracy { id count } }
}`;

/** A JSON POST body for /graphql. */
export function graphqlBody(query: string, variables?: Record<string, unknown>): string {
  return JSON.stringify(variables ? { query, variables } : { query });
}
