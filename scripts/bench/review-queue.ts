import { randomBytes } from 'node:crypto';
import autocannon from 'autocannon';
import { ReportReason } from '../../src/model';
import { toGlobalId, toReviewQueueCursor } from '../../src/graphql/schema/node/ids';
import { dropMongoDatabase, workSubdir } from './fixtures';
import {
  BenchError,
  type CaseResult,
  fetchOk,
  interleave,
  interleaveRuns,
  type LoadCase,
  type LoadSettings,
  type RunSample,
  runSample,
} from './load';
import { cpuMicros } from './metrics';
import { benchDatabase, type MongoServer } from './mongo';
import {
  graphqlBody,
  RATE_FACT_MUTATION,
  REPORT_FACT_MUTATION,
  REVIEW_QUEUE_QUERY,
} from './queries';
import {
  expectedQueue,
  fixtureSize,
  type QueuedFact,
  RATINGS_PER_FACT,
  reviewFact,
  reviewFactId,
  type ReviewFixtureSize,
  titleIdOfFact,
} from './review-data';
import { buildMongoReviewDatabase, buildSqliteReviewStore } from './review-fixtures';
import { BENCH_SERVER_ENV } from './serving';
import { type ServerProcess, startedTogether, startReelcheck, stopAll } from './servers';

/**
 * Issue 22 item 5: the review queue stays fast at scale, and a report costs
 * about what a rating costs, on both stores, through the API.
 *
 * - Queue: Reelcheck on a small catalog (100 facts) and a large one (100,000
 *   facts over 10,000 titles, 1,000,000 ratings, 12,000 open reports: a
 *   queue of 12,000), built in bulk (review-fixtures.ts). Three editor
 *   queries, interleaved: the queue's first page, a page near its end (the
 *   cursor written with the server's own encoding, toReviewQueueCursor) and
 *   one title's entries. Every answer is checked against the model's ranking
 *   of the same data (review-data.ts, expectedQueue) before measuring.
 *   Target: each query's req/s on the large catalog at least half its req/s
 *   on the small one.
 * - Writes: on the large catalog, reportFact against rateAccuracy of a fact,
 *   interleaved over the same connections, each request a new voter on the
 *   next fact of one scattered walk of every fact. Target: reports at least
 *   half as many per second as ratings.
 *
 * The servers run as configured by default: editors' requests (with an
 * Authorization header) are never answered from the response cache, and the
 * bench checks that on /metrics afterwards (a queue answered from memory
 * would measure the cache, not the store).
 */

/** A page of the queue: 10, so that the small catalog's queue of 12 holds a full first and deep page. */
export const QUEUE_PAGE = 10;

export const QUEUE_QUERIES = ['first', 'deep', 'title'] as const;
export type QueueQuery = (typeof QUEUE_QUERIES)[number];

export const QUEUE_LABELS: Record<QueueQuery, string> = {
  first: `reviewQueue(first: ${QUEUE_PAGE})`,
  deep: `reviewQueue(first: ${QUEUE_PAGE}, after:) near the end`,
  title: `reviewQueue(titleId:, first: ${QUEUE_PAGE}), one title's entries`,
};

/** The title whose entries the title case asks for: the first, with 4 queued facts (review-data.ts). */
const QUEUE_TITLE = titleIdOfFact(0);

export interface ReviewQueueSettings extends LoadSettings {
  /** Facts of the small and the large catalog (multiples of 100). */
  small: number;
  large: number;
  /** The large catalog on a MongoDB test double, whose heap cannot hold `large` (mongoReviewQueue). */
  testDoubleLarge: number;
  /** The report vs rating comparison on the large catalog. */
  writes: LoadSettings;
}

export interface ReviewQueueResults {
  sizes: { small: ReviewFixtureSize; large: ReviewFixtureSize };
  /** Building the large store in bulk. */
  buildMs: number;
  /** How the large store was built, when the report should say (e.g. what the test double leaves out). */
  note?: string;
  /** `<store>.<query>.small|large`. */
  queue: CaseResult[];
  /** `<store>.report` and `<store>.rating`. */
  writes: CaseResult[];
}

/** The embedded store's side: both catalogs in the bench's temporary directory. */
export async function embeddedReviewQueue(
  workDir: string,
  settings: ReviewQueueSettings,
  log: (line: string) => void,
): Promise<ReviewQueueResults> {
  const dirs = {
    small: workSubdir(workDir, 'sqlite-reviews-small'),
    large: workSubdir(workDir, 'sqlite-reviews-large'),
  };
  log(
    `review queue (issue 22), embedded store: building ${settings.small} and ${settings.large} facts`,
  );
  await buildSqliteReviewStore(dirs.small, settings.small);
  const buildStart = Date.now();
  const { rankMs } = await buildSqliteReviewStore(dirs.large, settings.large);
  const buildMs = Date.now() - buildStart;
  const measured = await measureReviewQueue(
    'sqlite',
    {
      small: { facts: settings.small, env: { DATA_DIR: dirs.small } },
      large: { facts: settings.large, env: { DATA_DIR: dirs.large } },
    },
    settings,
    log,
  );
  return {
    ...sizes(settings),
    buildMs,
    note: `the store ranked every fact itself when first opened (${seconds(rankMs)} s)`,
    ...measured,
  };
}

/**
 * MongoDB's side: two fresh databases, dropped afterwards. A test double
 * holds everything in a small heap (512 MiB for ../shared/mongo-test-server:
 * some 65,000 facts' documents, or 300,000 rating documents): there the
 * large catalog has `testDoubleLarge` facts, and its ratings are written as
 * their aggregates only (what the queue and a new rating read; nothing on the
 * paths measured reads the rating documents). The rows name the sizes.
 */
export async function mongoReviewQueue(
  server: MongoServer,
  settings: ReviewQueueSettings,
  log: (line: string) => void,
): Promise<ReviewQueueResults> {
  const names = { small: benchDatabase('reviews_small'), large: benchDatabase('reviews_large') };
  const facts = {
    small: settings.small,
    large: server.testDouble ? Math.min(settings.large, settings.testDoubleLarge) : settings.large,
  };
  const rawRatings = !server.testDouble;
  try {
    log(`review queue (issue 22), MongoDB: building ${facts.small} and ${facts.large} facts`);
    await buildMongoReviewDatabase(server.uri, names.small, facts.small, { rawRatings });
    const buildStart = Date.now();
    await buildMongoReviewDatabase(server.uri, names.large, facts.large, { rawRatings });
    const buildMs = Date.now() - buildStart;
    const env = (dbName: string) => ({ MONGODB_URI: server.uri, MONGODB_DB: dbName });
    const measured = await measureReviewQueue(
      'mongo',
      {
        small: { facts: facts.small, env: env(names.small) },
        large: { facts: facts.large, env: env(names.large) },
      },
      settings,
      log,
    );
    return {
      ...sizes(facts),
      buildMs,
      ...(server.testDouble ? { note: testDoubleNote(facts.large, settings.large) } : {}),
      ...measured,
    };
  } finally {
    await Promise.all([
      dropMongoDatabase(server.uri, names.small),
      dropMongoDatabase(server.uri, names.large),
    ]);
  }
}

/** What the report says of a test double's large catalog. */
function testDoubleNote(built: number, planned: number): string {
  const size =
    built < planned
      ? `${built.toLocaleString('en')} facts, as its heap cannot hold ${planned.toLocaleString('en')}; `
      : '';
  return (
    `on the test double: ${size}ratings written as their aggregates only ` +
    '(set MONGODB_URI to a MongoDB server for the full data)'
  );
}

/** What each catalog holds, for the report (from the data's pattern, not read back). */
function sizes(facts: { small: number; large: number }): Pick<ReviewQueueResults, 'sizes'> {
  return { sizes: { small: fixtureSize(facts.small), large: fixtureSize(facts.large) } };
}

/** Milliseconds as the report prints seconds. */
function seconds(ms: number): string {
  return (ms / 1000).toFixed(1);
}

/**
 * Starts Reelcheck on both catalogs with an editor token, checks each
 * query's answer against the expected queue, measures the queries
 * interleaved, checks that none was answered from the response cache, then
 * compares reports with ratings on the large catalog.
 */
export async function measureReviewQueue(
  store: string,
  catalogs: {
    small: { facts: number; env: Record<string, string> };
    large: { facts: number; env: Record<string, string> };
  },
  settings: ReviewQueueSettings,
  log: (line: string) => void,
): Promise<Pick<ReviewQueueResults, 'queue' | 'writes'>> {
  const token = randomBytes(32).toString('hex');
  const editor = { authorization: `Bearer ${token}` };
  const servers: ServerProcess[] = [];
  try {
    const [small, large] = await startedTogether([
      startReelcheck(`reelcheck-${store}-reviews-${catalogs.small.facts}`, {
        ...BENCH_SERVER_ENV,
        ADMIN_TOKEN: token,
        ...catalogs.small.env,
      }),
      startReelcheck(`reelcheck-${store}-reviews-${catalogs.large.facts}`, {
        ...BENCH_SERVER_ENV,
        ADMIN_TOKEN: token,
        ...catalogs.large.env,
      }),
    ]);
    servers.push(small, large);
    const cases: LoadCase[] = [];
    for (const query of QUEUE_QUERIES) {
      for (const [server, facts, which] of [
        [small, catalogs.small.facts, 'small'],
        [large, catalogs.large.facts, 'large'],
      ] as const) {
        const { variables, check } = queuePage(query, expectedQueue(facts), facts);
        const body = graphqlBody(REVIEW_QUEUE_QUERY, variables);
        check(await fetchOk(server, body, editor));
        cases.push({
          id: `${store}.${query}.${which}`,
          label: `${QUEUE_LABELS[query]}, ${facts.toLocaleString('en')} facts`,
          server,
          body,
          headers: editor,
        });
      }
    }
    log(`  ${store}: queue of ${expectedQueue(catalogs.large.facts).length} entries; measuring`);
    const queue = await interleave(cases, settings, log);
    for (const server of servers) await expectNoCachedQueue(server);
    await stopAll([small]);

    log(`  ${store}: reportFact vs rateAccuracy on ${catalogs.large.facts} facts`);
    const writers = [
      new FactWriter('report', large, catalogs.large.facts),
      new FactWriter('rating', large, catalogs.large.facts),
    ];
    const writes = await interleaveRuns(
      writers.map((writer) => ({
        id: `${store}.${writer.kind}`,
        label: WRITE_LABELS[writer.kind],
        server: large,
        writer,
      })),
      settings.writes,
      log,
      (c, runSeconds) => c.writer.run(settings.writes.connections, runSeconds),
    );
    await checkWrites(large, writers);
    return { queue, writes };
  } finally {
    await stopAll(servers);
  }
}

type QueuePage = {
  data: {
    reviewQueue: {
      pageInfo: { hasNextPage: boolean };
      edges: Array<{ node: { fact: { id: string }; figures: { priority: number } } }>;
    };
  };
};

/**
 * A query's variables, and the check of its answer: exactly the expected
 * facts in order (their priorities as the model computes them), and whether
 * more follow. The deep page starts after the 12th entry from the end: a
 * full page, with one entry after it, on any queue of 12 or more.
 */
export function queuePage(query: QueueQuery, expected: readonly QueuedFact[], facts: number) {
  let variables: Record<string, unknown>;
  let entries: readonly QueuedFact[];
  let more: boolean;
  switch (query) {
    case 'first':
      variables = { first: QUEUE_PAGE };
      entries = expected.slice(0, QUEUE_PAGE);
      more = expected.length > QUEUE_PAGE;
      break;
    case 'deep': {
      const start = expected.length - (QUEUE_PAGE + 2);
      if (start < 0) {
        throw new BenchError(`a queue of ${expected.length} has no deep page of ${QUEUE_PAGE}`);
      }
      const { priority, factId } = expected[start];
      variables = { first: QUEUE_PAGE, after: toReviewQueueCursor(priority, factId) };
      entries = expected.slice(start + 1, start + 1 + QUEUE_PAGE);
      more = true;
      break;
    }
    case 'title': {
      const ofTitle = expected.filter((entry) => entry.titleId === QUEUE_TITLE);
      variables = { first: QUEUE_PAGE, titleId: toGlobalId('Title', QUEUE_TITLE) };
      entries = ofTitle.slice(0, QUEUE_PAGE);
      more = ofTitle.length > QUEUE_PAGE;
      break;
    }
  }
  const check = (text: string) => {
    const { edges, pageInfo } = (JSON.parse(text) as QueuePage).data.reviewQueue;
    const got = edges.map((edge) => [edge.node.fact.id, edge.node.figures.priority]);
    const want = entries.map((entry) => [toGlobalId('Fact', entry.factId), entry.priority]);
    if (JSON.stringify(got) !== JSON.stringify(want) || pageInfo.hasNextPage !== more) {
      throw new BenchError(
        `${QUEUE_LABELS[query]} on ${facts} facts: expected facts and priorities ` +
          `${JSON.stringify(want)}${more ? ' and more' : ''}, got: ${text.slice(0, 500)}`,
      );
    }
  };
  return { variables, check };
}

/**
 * Editors' requests are never kept (mayBeCached in src/http/graphql-endpoint.ts):
 * the server's /metrics must count no response-cache hit of the queue.
 */
async function expectNoCachedQueue(server: ServerProcess): Promise<void> {
  const response = await fetch(`${server.url}/metrics`);
  const text = await response.text();
  const hits =
    /^reelcheck_response_cache_hits_total\{[^}]*operation_name="ReviewQueue"[^}]*\} (\d+)/m
      .exec(text)
      ?.at(1);
  if (!response.ok || (hits !== undefined && Number(hits) > 0)) {
    throw new BenchError(
      `${server.name}: ${hits ?? 'no'} answers of the review queue came from the response cache ` +
        `(/metrics ${response.status}); the measurement would be of the cache, not the queue`,
    );
  }
}

type WriteKind = 'report' | 'rating';

export const WRITE_LABELS: Record<WriteKind, string> = {
  report: 'reportFact, each by a new voter',
  rating: 'rateAccuracy of a fact, each by a new voter',
};

const REASONS = Object.values(ReportReason);

/** The walk's step: prime, so n * STRIDE mod facts visits every fact (facts is a multiple of 100). */
const STRIDE = 7919;

/** Facts whose counts are checked after the runs: the walk's first ones. */
const CHECKED_FACTS = 20;

/** The fact position the n-th write of a walk over `facts` goes to: every fact once per round. */
export function walkPosition(n: number, facts: number): number {
  return facts % STRIDE === 0 ? n % facts : (n * STRIDE) % facts;
}

/**
 * One kind of write (reports or ratings) to the large catalog: each request a
 * new voter, on the walk's next fact. Counts, for the first facts of the
 * walk, what was sent and what was acknowledged, for checkWrites.
 */
class FactWriter {
  private sent = 0;
  readonly checked = new Map<string, { position: number; sent: number; acknowledged: number }>();

  constructor(
    readonly kind: WriteKind,
    readonly server: ServerProcess,
    private readonly facts: number,
  ) {
    for (let n = 0; n < Math.min(CHECKED_FACTS, facts); n++) {
      const position = walkPosition(n, facts);
      this.checked.set(toGlobalId('Fact', reviewFactId(position)), {
        position,
        sent: 0,
        acknowledged: 0,
      });
    }
  }

  /** The next request: a new voter's report or rating of the walk's next fact. */
  private body(): string {
    const n = this.sent++;
    const position = walkPosition(n, this.facts);
    const factId = toGlobalId('Fact', reviewFactId(position));
    const counts = this.checked.get(factId);
    if (counts) counts.sent++;
    if (this.kind === 'report') {
      const input = {
        factId,
        voterId: `bench-reporter-new-${n}`,
        reason: REASONS[n % REASONS.length],
        note: n % 3 === 0 ? 'Another source disagrees.' : null,
        sourceUrl: n % 2 === 0 ? `https://example.org/new-sources/${n}` : null,
      };
      return graphqlBody(REPORT_FACT_MUTATION, { input });
    }
    const input = {
      titleId: toGlobalId('Title', titleIdOfFact(position)),
      factId,
      voterId: `bench-rater-new-${n}`,
      score: 1 + (n % 5),
    };
    return graphqlBody(RATE_FACT_MUTATION, { input });
  }

  /** The answer's prefix: the mutation's data, no errors. */
  private get answer(): string {
    return this.kind === 'report' ? '{"data":{"reportFact":' : '{"data":{"rateAccuracy":';
  }

  /** One autocannon run of these writes; any failed or unexpected answer is a BenchError. */
  async run(connections: number, runSeconds: number): Promise<RunSample> {
    const failures: string[] = [];
    const cpuBefore = cpuMicros(this.server.pid);
    const result = await autocannon({
      url: `${this.server.url}/graphql`,
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      connections,
      duration: runSeconds,
      // autocannon stops at its next sample tick: 100 ms ticks keep short runs short.
      sampleInt: 100,
      requests: [
        {
          setupRequest: (request) => ({ ...request, body: this.body() }),
          onResponse: (status, body) => this.acknowledge(status, body, failures),
        },
      ],
    });
    const cpuAfter = cpuMicros(this.server.pid);
    // As in load.ts: one more request waits behind those autocannon gave up on.
    this.acknowledge(200, await fetchOk(this.server, this.body()), failures);
    if (result.errors + result.non2xx > 0 || failures.length > 0) {
      throw new BenchError(
        `${this.kind} writes: ${result.errors} errors (${result.timeouts} timeouts), ` +
          `${result.non2xx} non-2xx; failed: ${failures.join('; ')}`,
      );
    }
    return runSample(result, this.server.pid, cpuBefore, cpuAfter);
  }

  /** An answer: counted for its fact when it is the mutation's data, else kept as a failure. */
  private acknowledge(status: number, body: string, failures: string[]): void {
    if (status !== 200 || !body.startsWith(this.answer)) {
      if (failures.length < 5) failures.push(`${status} ${body.slice(0, 300)}`);
      return;
    }
    const factId = /"fact":\{"id":"([^"]+)"/.exec(body)?.[1];
    const counts = factId === undefined ? undefined : this.checked.get(factId);
    if (counts) counts.acknowledged++;
  }
}

const CHECK_QUERY = `query Checked($ids: [ID!]!) {
  nodes(ids: $ids) { ... on Fact { id accuracy { count } review { openReportCount } } }
}`;

/**
 * The writes landed: for the walk's first facts, the open reports and the
 * ratings grew by at least what was acknowledged and at most what was sent
 * (autocannon stops listening at the end of a run, so the last answers go
 * unread).
 */
async function checkWrites(server: ServerProcess, writers: readonly FactWriter[]): Promise<void> {
  const ids = [...writers[0].checked.keys()];
  const text = await fetchOk(server, graphqlBody(CHECK_QUERY, { ids }));
  const nodes = (
    JSON.parse(text) as {
      data: {
        nodes: Array<{
          id: string;
          accuracy: { count: number };
          review: { openReportCount: number };
        }>;
      };
    }
  ).data.nodes;
  const wrong: string[] = [];
  for (const writer of writers) {
    for (const [i, [id, counts]] of [...writer.checked].entries()) {
      const node = nodes[i];
      const base =
        writer.kind === 'report'
          ? reviewFact(counts.position, new Date(0)).reports.length
          : RATINGS_PER_FACT;
      const now = writer.kind === 'report' ? node?.review.openReportCount : node?.accuracy.count;
      const grew = now === undefined || node.id !== id ? NaN : now - base;
      if (!(grew >= counts.acknowledged && grew <= counts.sent)) {
        wrong.push(
          `${writer.kind}s of ${id}: grew by ${grew}, ${counts.acknowledged} acknowledged, ${counts.sent} sent`,
        );
      }
    }
  }
  if (wrong.length > 0)
    throw new BenchError(`writes did not land as answered: ${wrong.join('; ')}`);
}
