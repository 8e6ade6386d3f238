import fs from 'node:fs';
import path from 'node:path';
import { BenchError, type CaseResult, fetchOk, interleave, type LoadSettings } from './load';
import {
  documentBody,
  graphqlBody,
  RATE_MUTATION,
  TITLE_PAGE_QUERY,
  TITLE_PAGE_SLUG,
  TYPENAME_QUERY,
  UNREGISTERED_TITLE_PAGE_QUERY,
} from './queries';
import { workSubdir } from './fixtures';
import { measureRestMemory, type RestMemoryResults } from './rest-memory';
import { documentIdOf, manifestOperation, writeManifest } from './trusted-documents';
import {
  type ServerProcess,
  startBenchServer,
  startedTogether,
  startReelcheck,
  stopAll,
} from './servers';

/**
 * The serving comparison (P1, P2, issue 19's trusted documents): the
 * README's title page from a bare `node:http` server, a stock Apollo Server,
 * Mercurius (graphql-jit from the first repeat) and Reelcheck, byte for byte
 * the same response, plus `{ __typename }` from stock Apollo and Reelcheck.
 *
 * Reelcheck runs three times: "reelcheck" as configured by default (the warm
 * page of P1: answered from its response cache), "reelcheck-uncached" with
 * UNCACHED_ENV (the uncached page of P2: RESPONSE_CACHE=false, every request
 * runs the query; its records come from the record cache, as stock's page
 * comes from memory), and "reelcheck-trusted", also uncached, with
 * TRUSTED_DOCUMENTS naming a manifest that registers the page: asked for by
 * documentId (the registered document), and as a client's own text that the
 * manifest does not register.
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
  /** Issue 21: RSS at rest of Reelcheck (default configuration, embedded store), stock Apollo and Mercurius. */
  restMemory: RestMemoryResults;
}

/** The servers of the comparison, checked to answer alike, and the page they serve. */
export interface ComparedServers {
  reelcheck: ServerProcess;
  uncached: ServerProcess;
  /** Uncached, with TRUSTED_DOCUMENTS naming the manifest that registers the page. */
  trusted: ServerProcess;
  bare: ServerProcess;
  stock: ServerProcess;
  mercurius: ServerProcess;
  /** The README title page response, the same bytes from every server. */
  page: string;
  /** The registered page's request: `{"documentId":"sha256:<hex>"}`. */
  trustedPageBody: string;
  stopAll(): Promise<void>;
}

/** The manifest reelcheck-trusted reads: the README's title page, registered as TitlePage. */
export const TRUSTED_PAGE = manifestOperation('TitlePage', 'query', TITLE_PAGE_QUERY);

/**
 * Starts the Reelchecks on fresh stores (seeded with the curated catalog,
 * then rated alike), takes Reelcheck's response to the README query, starts
 * bare, stock and Mercurius with it, and checks that every server returns
 * exactly those bytes, for the registered page by documentId and for the
 * unregistered text too (and stock and Reelcheck the same `{ __typename }`).
 * A BenchError when they differ: the comparison would be void.
 */
export async function startComparedServers(workDir: string): Promise<ComparedServers> {
  const servers: ServerProcess[] = [];
  try {
    const manifestFile = path.join(workDir, 'trusted-documents.json');
    writeManifest(manifestFile, [TRUSTED_PAGE]);
    const [reelcheck, uncached, trusted] = await startedTogether([
      startReelcheck('reelcheck', {
        ...BENCH_SERVER_ENV,
        DATA_DIR: workSubdir(workDir, 'serving-a'),
      }),
      startReelcheck('reelcheck-uncached', {
        ...BENCH_SERVER_ENV,
        ...UNCACHED_ENV,
        DATA_DIR: workSubdir(workDir, 'serving-b'),
      }),
      startReelcheck('reelcheck-trusted', {
        ...BENCH_SERVER_ENV,
        ...UNCACHED_ENV,
        TRUSTED_DOCUMENTS: manifestFile,
        DATA_DIR: workSubdir(workDir, 'serving-c'),
      }),
    ]);
    servers.push(reelcheck, uncached, trusted);
    for (const server of [reelcheck, uncached, trusted]) await rateThePage(server, PAGE_BODY);
    const page = await fetchOk(reelcheck, PAGE_BODY);
    await expectSameBody(uncached, PAGE_BODY, page);
    const trustedPageBody = documentBody(documentIdOf(TRUSTED_PAGE));
    await expectTrustedPage(trusted, trustedPageBody, page);
    await expectSameBody(trusted, UNREGISTERED_PAGE_BODY, page);

    const pageFile = path.join(workDir, 'title-page.json');
    const pagesFile = path.join(workDir, 'title-page-data.json');
    fs.writeFileSync(pageFile, page);
    fs.writeFileSync(
      pagesFile,
      JSON.stringify({ [TITLE_PAGE_SLUG]: (JSON.parse(page) as { data: unknown }).data }),
    );
    const [bare, stock, mercurius] = await startedTogether([
      startBenchServer('bare', 'bare-server', { BENCH_BODY_FILE: pageFile }),
      startBenchServer('stock', 'stock-server', { BENCH_PAGES_FILE: pagesFile }),
      startBenchServer('mercurius', 'mercurius-server', { BENCH_PAGES_FILE: pagesFile }),
    ]);
    servers.push(bare, stock, mercurius);
    await expectSameBody(bare, PAGE_BODY, page);
    await expectSameBody(stock, PAGE_BODY, page);
    await expectSameBody(mercurius, PAGE_BODY, page);
    await expectSameBody(stock, TYPENAME_BODY, await fetchOk(uncached, TYPENAME_BODY));
    return {
      reelcheck,
      uncached,
      trusted,
      bare,
      stock,
      mercurius,
      page,
      trustedPageBody,
      stopAll: () => stopAll(servers),
    };
  } catch (error) {
    await stopAll(servers);
    throw error;
  }
}

/**
 * The registered page by documentId must be the page's bytes. A refusal
 * means this build does not serve trusted documents (yet): the trusted
 * documents rows cannot be measured, and the run is invalid.
 */
async function expectTrustedPage(
  trusted: ServerProcess,
  body: string,
  page: string,
): Promise<void> {
  try {
    await expectSameBody(trusted, body, page);
  } catch (error) {
    if (!(error instanceof BenchError)) throw error;
    throw new BenchError(
      `trusted documents: Reelcheck with TRUSTED_DOCUMENTS (a manifest registering the title ` +
        `page as ${documentIdOf(TRUSTED_PAGE)}) did not answer the page for ${body}; ` +
        `does this build serve trusted documents? ${error.message}`,
      { cause: error },
    );
  }
}

/** Measures the cases interleaved on the compared servers. */
export async function measureServing(
  workDir: string,
  settings: LoadSettings,
  log: (line: string) => void,
): Promise<ServingResults> {
  const { reelcheck, uncached, trusted, bare, stock, mercurius, page, trustedPageBody, stopAll } =
    await startComparedServers(workDir);
  try {
    log(`serving: title page ${page.length} bytes, identical from every server`);
    // Before any load: each server has started and answered the page, nothing more.
    const restMemory = await measureRestMemory({ reelcheck, stock, mercurius });
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
          id: 'mercurius.titlePage',
          label: 'Mercurius (jit: 1), title page',
          server: mercurius,
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
          id: 'reelcheckTrusted.titlePage',
          label: 'Reelcheck, trusted title page by documentId (uncached)',
          server: trusted,
          body: trustedPageBody,
        },
        {
          id: 'reelcheckTrusted.unregistered',
          label: 'Reelcheck, unregistered page text (uncached, trusted documents on)',
          server: trusted,
          body: UNREGISTERED_PAGE_BODY,
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
    return { pageBytes: Buffer.byteLength(page), cases, restMemory };
  } finally {
    await stopAll();
  }
}

const PAGE_BODY = graphqlBody(TITLE_PAGE_QUERY);
const UNREGISTERED_PAGE_BODY = graphqlBody(UNREGISTERED_TITLE_PAGE_QUERY);
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
export async function expectSameBody(
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
