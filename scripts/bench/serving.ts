import fs from 'node:fs';
import path from 'node:path';
import { BenchError, type CaseResult, fetchOk, interleave, type LoadSettings } from './load';
import { graphqlBody, RATE_MUTATION, TITLE_PAGE_QUERY, TYPENAME_QUERY } from './queries';
import { workSubdir } from './fixtures';
import {
  type ServerProcess,
  startBenchServer,
  startedTogether,
  startReelcheck,
  stopAll,
} from './servers';

/**
 * The serving comparison (P1, P2): the README's title page from a bare
 * `node:http` server, a stock Apollo Server and Reelcheck, byte for byte the
 * same response, plus `{ __typename }` from stock Apollo and Reelcheck.
 *
 * Reelcheck runs twice: "reelcheck" as configured by default (the warm page
 * of P1: answered from its response cache) and "reelcheck-uncached" with
 * UNCACHED_ENV (the uncached page of P2: RESPONSE_CACHE=false, every request
 * runs the query; its records come from the record cache, as stock's page
 * comes from memory).
 */
export const UNCACHED_ENV: Record<string, string> = { RESPONSE_CACHE: 'false' };

/** Environment of every Reelcheck the bench starts: the bench's own writes are never rate limited. */
export const BENCH_SERVER_ENV: Record<string, string> = {
  RATINGS_RATE_LIMIT_PER_MINUTE: '1000000000',
};

const VOTERS = ['bench-voter-1', 'bench-voter-2', 'bench-voter-3'];

export interface ServingResults {
  /** Size of the title page response in bytes. */
  pageBytes: number;
  cases: CaseResult[];
}

/** The four servers of the comparison, checked to answer alike, and the page they serve. */
export interface ComparedServers {
  reelcheck: ServerProcess;
  uncached: ServerProcess;
  bare: ServerProcess;
  stock: ServerProcess;
  /** The README title page response, the same bytes from all four. */
  page: string;
  stopAll(): Promise<void>;
}

/**
 * Starts both Reelchecks on fresh stores (seeded with the curated catalog,
 * then rated alike), takes Reelcheck's response to the README query, starts
 * bare and stock with it, and checks that all four return exactly those
 * bytes (and stock and Reelcheck the same `{ __typename }`). A BenchError
 * when they differ: the comparison would be void.
 */
export async function startComparedServers(workDir: string): Promise<ComparedServers> {
  const servers: ServerProcess[] = [];
  try {
    const [reelcheck, uncached] = await startedTogether([
      startReelcheck('reelcheck', {
        ...BENCH_SERVER_ENV,
        DATA_DIR: workSubdir(workDir, 'serving-a'),
      }),
      startReelcheck('reelcheck-uncached', {
        ...BENCH_SERVER_ENV,
        ...UNCACHED_ENV,
        DATA_DIR: workSubdir(workDir, 'serving-b'),
      }),
    ]);
    servers.push(reelcheck, uncached);
    for (const server of [reelcheck, uncached]) await rateThePage(server, PAGE_BODY);
    const page = await fetchOk(reelcheck, PAGE_BODY);
    await expectSameBody(uncached, PAGE_BODY, page);

    const pageFile = path.join(workDir, 'title-page.json');
    const dataFile = path.join(workDir, 'title-page-data.json');
    fs.writeFileSync(pageFile, page);
    fs.writeFileSync(dataFile, JSON.stringify((JSON.parse(page) as { data: unknown }).data));
    const [bare, stock] = await startedTogether([
      startBenchServer('bare', 'bare-server', { BENCH_BODY_FILE: pageFile }),
      startBenchServer('stock', 'stock-server', { BENCH_PAGE_FILE: dataFile }),
    ]);
    servers.push(bare, stock);
    await expectSameBody(bare, PAGE_BODY, page);
    await expectSameBody(stock, PAGE_BODY, page);
    await expectSameBody(stock, TYPENAME_BODY, await fetchOk(uncached, TYPENAME_BODY));
    return { reelcheck, uncached, bare, stock, page, stopAll: () => stopAll(servers) };
  } catch (error) {
    await stopAll(servers);
    throw error;
  }
}

/** Measures the six cases interleaved on the compared servers. */
export async function measureServing(
  workDir: string,
  settings: LoadSettings,
  log: (line: string) => void,
): Promise<ServingResults> {
  const { reelcheck, uncached, bare, stock, page, stopAll } = await startComparedServers(workDir);
  try {
    log(`serving: title page ${page.length} bytes, identical from all four servers`);
    const cases = await interleave(
      [
        {
          id: 'bare.titlePage',
          label: 'bare node:http, title page bytes',
          server: bare,
          body: PAGE_BODY,
        },
        {
          id: 'stock.titlePage',
          label: 'stock Apollo, title page',
          server: stock,
          body: PAGE_BODY,
        },
        {
          id: 'reelcheck.titlePage',
          label: 'Reelcheck, title page (warm)',
          server: reelcheck,
          body: PAGE_BODY,
        },
        {
          id: 'reelcheckUncached.titlePage',
          label: 'Reelcheck, title page (uncached)',
          server: uncached,
          body: PAGE_BODY,
        },
        {
          id: 'stock.typename',
          label: 'stock Apollo, { __typename }',
          server: stock,
          body: TYPENAME_BODY,
        },
        {
          id: 'reelcheckUncached.typename',
          label: 'Reelcheck, { __typename } (uncached)',
          server: uncached,
          body: TYPENAME_BODY,
        },
      ],
      settings,
      log,
    );
    return { pageBytes: Buffer.byteLength(page), cases };
  } finally {
    await stopAll();
  }
}

const PAGE_BODY = graphqlBody(TITLE_PAGE_QUERY);
const TYPENAME_BODY = graphqlBody(TYPENAME_QUERY);

/**
 * Gives the page and each of its facts the same three ratings on every
 * Reelcheck, so summaries have counts, averages and verdicts to serialise
 * (a fresh store has none).
 */
async function rateThePage(server: ServerProcess, pageBody: string): Promise<void> {
  const page = JSON.parse(await fetchOk(server, pageBody)) as {
    data: {
      title: { id: string; behindTheScenes: { id: string }[]; didYouKnow: { id: string }[] };
    };
  };
  const { title } = page.data;
  const factIds = [...title.behindTheScenes, ...title.didYouKnow].map((fact) => fact.id);
  for (const [i, voterId] of VOTERS.entries()) {
    for (const [j, factId] of [undefined, ...factIds].entries()) {
      const input = { titleId: title.id, factId, voterId, score: 1 + ((i + j) % 5) };
      await fetchOk(server, graphqlBody(RATE_MUTATION, { input }));
    }
  }
}

/** The server's body for `body` must be `expected`, byte for byte; else the comparison is void. */
async function expectSameBody(
  server: ServerProcess,
  body: string,
  expected: string,
): Promise<void> {
  const actual = await fetchOk(server, body);
  if (actual === expected) return;
  let at = 0;
  while (at < actual.length && actual[at] === expected[at]) at++;
  const around = (text: string) => JSON.stringify(text.slice(Math.max(0, at - 40), at + 40));
  throw new BenchError(
    `${server.name} does not answer with Reelcheck's bytes; first difference at character ${at}: ` +
      `${around(actual)} instead of ${around(expected)}`,
  );
}
