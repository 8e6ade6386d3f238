import { toTitleCursor } from '../../src/graphql/schema/node/ids';
import { gloryTitles, slugAt } from './fixtures';
import { BenchError, type CaseResult, fetchOk, interleave, type LoadSettings } from './load';
import { graphqlBody, TITLES_QUERY } from './queries';
import { UNCACHED_ENV } from './serving';
import { type ServerProcess, startedTogether, startReelcheck, stopAll } from './servers';

/**
 * P3: listings and search against a small and a large catalog on one store,
 * through the API: Reelcheck on each catalog, the same three queries
 * interleaved. Flat in catalog size means each query's req/s on the large
 * catalog is at least half its req/s on the small one. Every query returns a
 * full page on both catalogs (the small one has 16 matches for the search).
 * The response cache is off (UNCACHED_ENV): with it, every repeat of a query
 * would be answered from memory and the store never asked, so the phase
 * would measure the cache rather than the store's listings.
 */

export const LISTING_QUERIES = ['first50', 'deepPage', 'search'] as const;
export type ListingQuery = (typeof LISTING_QUERIES)[number];

/** What a search case sends: full-width letters, so it also checks Unicode normalisation (NFKC). */
const SEARCH = 'ｇｌｏｒｙ';

export const LISTING_LABELS: Record<ListingQuery, string> = {
  first50: 'titles(first: 50)',
  deepPage: 'titles(first: 50, after:) near the end',
  search: `titles(search: "${SEARCH}", first: 10)`,
};

export interface CatalogSizeResults {
  sizes: { small: number; large: number };
  cases: CaseResult[];
}

/**
 * Where the deep page starts: after the 61st title from the end, so it is a
 * full page of 50 on any catalog of 61 titles or more (as deep as the small
 * catalog allows, near the end of the large one).
 */
function deepPosition(size: number): number {
  return size - 61;
}

/** Each query's variables, and a check of its answer against what the catalog holds. */
function listing(query: ListingQuery, size: number) {
  type Page = { data: { titles: { totalCount: number; edges: { node: { slug: string } }[] } } };
  const check = (text: string, what: string, ok: (page: Page['data']['titles']) => boolean) => {
    if (!ok((JSON.parse(text) as Page).data.titles)) {
      throw new BenchError(
        `${LISTING_LABELS[query]} on ${size} titles: expected ${what}: ${text.slice(0, 300)}`,
      );
    }
  };
  switch (query) {
    case 'first50':
      return {
        variables: { first: 50 },
        check: (text: string) =>
          check(
            text,
            `totalCount ${size}`,
            (page) => page.totalCount === size && page.edges[0]?.node.slug === slugAt(0),
          ),
      };
    case 'deepPage':
      return {
        variables: { first: 50, after: toTitleCursor(slugAt(deepPosition(size))) },
        check: (text: string) =>
          check(
            text,
            `a page starting at ${slugAt(deepPosition(size) + 1)}`,
            (page) => page.edges[0]?.node.slug === slugAt(deepPosition(size) + 1),
          ),
      };
    case 'search':
      return {
        variables: { first: 10, search: SEARCH },
        check: (text: string) =>
          check(
            text,
            `totalCount ${gloryTitles(size)}`,
            (page) => page.totalCount === gloryTitles(size),
          ),
      };
  }
}

/**
 * Starts Reelcheck on the small and on the large catalog (`env` of each:
 * DATA_DIR or MONGODB_URI), checks every answer against the catalog, and
 * measures the three queries on both, interleaved.
 */
export async function measureCatalogSize(
  store: string,
  catalogs: {
    small: { size: number; env: Record<string, string> };
    large: { size: number; env: Record<string, string> };
  },
  settings: LoadSettings,
  log: (line: string) => void,
): Promise<CatalogSizeResults> {
  const servers: ServerProcess[] = [];
  try {
    const [small, large] = await startedTogether([
      startReelcheck(`reelcheck-${store}-${catalogs.small.size}`, {
        ...UNCACHED_ENV,
        ...catalogs.small.env,
      }),
      startReelcheck(`reelcheck-${store}-${catalogs.large.size}`, {
        ...UNCACHED_ENV,
        ...catalogs.large.env,
      }),
    ]);
    servers.push(small, large);
    const cases = [];
    for (const query of LISTING_QUERIES) {
      for (const [server, size, which] of [
        [small, catalogs.small.size, 'small'],
        [large, catalogs.large.size, 'large'],
      ] as const) {
        const { variables, check } = listing(query, size);
        const body = graphqlBody(TITLES_QUERY, variables);
        check(await fetchOk(server, body));
        cases.push({
          id: `${store}.${query}.${which}`,
          label: `${LISTING_LABELS[query]}, ${size.toLocaleString('en')} titles`,
          server,
          body,
        });
      }
    }
    return {
      sizes: { small: catalogs.small.size, large: catalogs.large.size },
      cases: await interleave(cases, settings, log),
    };
  } finally {
    await stopAll(servers);
  }
}
