import { createHash } from 'node:crypto';
import { README_TITLE_PAGE_QUERY } from '../../src/graphql/engine/trusted-documents/title-page-query';

/**
 * What the bench sends. The title page query is the README's ("A title
 * page"), verbatim: the explorer's default query without its comment line
 * (test/bench/queries.test.ts compares it with the README), so the bench
 * always measures the page the README shows.
 */
export const TITLE_PAGE_QUERY = README_TITLE_PAGE_QUERY;

/** The slug the README's title page asks for ("the-glory"). */
export const TITLE_PAGE_SLUG = /title\(slug: "([^"]+)"\)/.exec(TITLE_PAGE_QUERY)![1];

/** The same page for any title, as a site's title route asks for it: the slug becomes a variable. */
export const TITLE_PAGE_BY_SLUG_QUERY = replaceOnce(
  replaceOnce(TITLE_PAGE_QUERY, 'query TitlePage {', 'query TitlePage($slug: String!) {'),
  `title(slug: "${TITLE_PAGE_SLUG}")`,
  'title(slug: $slug)',
);

/**
 * The README's page as a client's own text that no manifest registers: the
 * same selections (so the same response bytes) under another operation name,
 * so it is not a registered document's text whatever a server compares.
 */
export const UNREGISTERED_TITLE_PAGE_QUERY = replaceOnce(
  TITLE_PAGE_QUERY,
  'query TitlePage {',
  'query UnregisteredTitlePage {',
);

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

/** A page rating as the mixed workload sends it: the answer is the title's new summary. */
export const RATE_TITLE_MUTATION = `mutation RateTitle($input: RateAccuracyInput!) {
  rateAccuracy(input: $input) { accuracy { id count average distribution verdict } }
}`;

/**
 * Issue 22: a page of the review queue as an editor's screen shows it: each
 * queued fact with its title, review, the figures behind its rank and its
 * newest open reports.
 */
export const REVIEW_QUEUE_QUERY = `query ReviewQueue($first: Int!, $after: String, $titleId: ID) {
  reviewQueue(first: $first, after: $after, titleId: $titleId) {
    pageInfo { hasNextPage endCursor }
    edges {
      cursor
      node {
        fact { id text }
        title { id name }
        review { status outcome reviewedAt }
        figures {
          ratings lowRatings lowShareLowerBound openReports reportsWithSource
          reportWeight reportsPart priority
        }
        openReports(first: 3) { id reason note sourceUrl createdAt }
      }
    }
  }
}`;

/** A viewer's report of a fact; the answer is the fact's review, counting it (issue 22). */
export const REPORT_FACT_MUTATION = `mutation ReportFact($input: ReportFactInput!) {
  reportFact(input: $input) { created fact { id review { status openReportCount } } }
}`;

/** A viewer's rating of a fact, the report's counterpart: the answer is the fact's new summary. */
export const RATE_FACT_MUTATION = `mutation RateFact($input: RateAccuracyInput!) {
  rateAccuracy(input: $input) { fact { id } accuracy { id count } }
}`;

/** A JSON POST body for /graphql. */
export function graphqlBody(query: string, variables?: Record<string, unknown>): string {
  return JSON.stringify(variables ? { query, variables } : { query });
}

/** A JSON POST body naming a registered document instead of sending its text. */
export function documentBody(documentId: string, variables?: Record<string, unknown>): string {
  return JSON.stringify(variables ? { documentId, variables } : { documentId });
}

/** The id a manifest gives a document: the SHA-256 of its text, in hex. */
export function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/** `text` with `search` replaced; it must occur exactly once (else the derived query would be wrong). */
function replaceOnce(text: string, search: string, replacement: string): string {
  const at = text.indexOf(search);
  if (at < 0 || text.indexOf(search, at + 1) >= 0) {
    throw new Error(`expected exactly one ${JSON.stringify(search)} in the title page query`);
  }
  return text.slice(0, at) + replacement + text.slice(at + search.length);
}
