import path from 'node:path';
import autocannon from 'autocannon';
import { toGlobalId } from '../../src/graphql/schema/node/ids';
import { COMMIT_MODES, type CommitMode } from './durable-server';
import { benchCatalog, buildSqliteStore, titleIdAt, workSubdir } from './fixtures';
import {
  BenchError,
  type CaseResult,
  fetchOk,
  interleaveRuns,
  type LoadSettings,
  type RunSample,
  runSample,
} from './load';
import { cpuMicros } from './metrics';
import { graphqlBody, RATE_TITLE_MUTATION, TITLES_QUERY } from './queries';
import { BENCH_SERVER_ENV } from './serving';
import {
  BUILT_BENCH,
  type ServerProcess,
  startedTogether,
  startReelcheck,
  stopAll,
} from './servers';

/**
 * Issue 20: "acknowledged means durable". The embedded store syncs every
 * commit (`synchronous = FULL`) and commits ratings that arrive together in
 * one transaction (group commit). This phase measures what that costs: new
 * ratings over HTTP from `connections` concurrent raters (each request a new
 * voter, titles in turn), on two servers started alike from the same entry
 * point (durable-server.ts) but for the commit mode:
 *
 * - durable: the store as built (FULL, group commit);
 * - today: as before issue 20 (NORMAL, each rating committed alone).
 *
 * Runs interleave (load.ts). Every answer must be the rating's new summary;
 * afterwards each server's summaries must count at least every rating it
 * acknowledged and at most every rating sent (autocannon stops listening at
 * the end of a run, so the last requests' answers go unread). Both stores are
 * on the bench's temporary directory's disk.
 */

export interface DurableRatingResults {
  /** 'durable.ratings' and 'today.ratings'. */
  cases: CaseResult[];
}

/** Titles the ratings go to, in turn (one listing page holds them all for the final check). */
const TITLES = 20;
const TITLE_IDS = Array.from({ length: TITLES }, (_, i) => toGlobalId('Title', titleIdAt(i)));

export const DURABLE_RATING_LABELS: Record<CommitMode, string> = {
  durable: 'new ratings, durable build (synchronous = FULL, group commit)',
  today: 'new ratings, before #20 (synchronous = NORMAL, each rating committed alone)',
};

export async function measureDurableRatings(
  workDir: string,
  settings: LoadSettings,
  log: (line: string) => void,
): Promise<DurableRatingResults> {
  log(
    `durable ratings (issue 20): ${settings.connections} raters, durable build vs NORMAL single commits`,
  );
  const dataDirs = COMMIT_MODES.map((mode) => workSubdir(workDir, `durable-ratings-${mode}`));
  await Promise.all(dataDirs.map((dataDir) => buildSqliteStore(dataDir, benchCatalog(TITLES))));
  const servers = await startedTogether(
    COMMIT_MODES.map((mode, i) =>
      startReelcheck(
        `reelcheck-ratings-${mode}`,
        { ...BENCH_SERVER_ENV, DATA_DIR: dataDirs[i], BENCH_RATING_COMMITS: mode },
        path.join(BUILT_BENCH, 'durable-server.js'),
      ),
    ),
  );
  log(
    `  ready after ${servers.map((s) => `${s.name} ${(s.readyMs / 1000).toFixed(1)} s`).join(', ')}`,
  );
  try {
    const raters = COMMIT_MODES.map((mode, i) => new Raters(mode, servers[i]));
    const cases = await interleaveRuns(
      raters.map((r) => ({
        id: `${r.mode}.ratings`,
        label: DURABLE_RATING_LABELS[r.mode],
        server: r.server,
        raters: r,
      })),
      settings,
      log,
      (c, seconds) => c.raters.run(settings.connections, seconds),
    );
    for (const r of raters) await r.checkSummaries();
    return { cases };
  } finally {
    await stopAll(servers);
  }
}

/** One server's raters: each request a new voter, on the titles in turn; counts what was acknowledged. */
class Raters {
  private voters = 0;
  private acknowledged = 0;

  constructor(
    readonly mode: CommitMode,
    readonly server: ServerProcess,
  ) {}

  private body(): string {
    const n = this.voters++;
    const input = {
      titleId: TITLE_IDS[n % TITLES],
      voterId: `bench-durable-${n}`,
      score: 1 + (n % 5),
    };
    return graphqlBody(RATE_TITLE_MUTATION, { input });
  }

  async run(connections: number, seconds: number): Promise<RunSample> {
    const failures: string[] = [];
    const cpuBefore = cpuMicros(this.server.pid);
    const result = await autocannon({
      url: `${this.server.url}/graphql`,
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      connections,
      duration: seconds,
      // autocannon stops at its next sample tick: 100 ms ticks keep short runs short.
      sampleInt: 100,
      requests: [
        {
          setupRequest: (request) => ({ ...request, body: this.body() }),
          onResponse: (status, body) => {
            if (status === 200 && body.startsWith('{"data":{"rateAccuracy":')) this.acknowledged++;
            else if (failures.length < 5) failures.push(`${status} ${body.slice(0, 300)}`);
          },
        },
      ],
    });
    const cpuAfter = cpuMicros(this.server.pid);
    // As in load.ts: one more request waits behind those autocannon gave up on.
    await fetchOk(this.server, this.body());
    this.acknowledged++;
    if (result.errors + result.non2xx > 0 || failures.length > 0) {
      throw new BenchError(
        `${this.mode}.ratings: ${result.errors} errors (${result.timeouts} timeouts), ` +
          `${result.non2xx} non-2xx; failed ratings: ${failures.join('; ')}`,
      );
    }
    return runSample(result, this.server.pid, cpuBefore, cpuAfter);
  }

  /** The titles' summaries count every acknowledged rating, and no more than were sent. */
  async checkSummaries(): Promise<void> {
    const text = await fetchOk(this.server, graphqlBody(TITLES_QUERY, { first: TITLES }));
    const { edges } = (
      JSON.parse(text) as {
        data: { titles: { edges: Array<{ node: { accuracy: { count: number } } }> } };
      }
    ).data.titles;
    const counted = edges.reduce((sum, edge) => sum + edge.node.accuracy.count, 0);
    const sent = this.voters; // each request a new voter
    if (edges.length !== TITLES || counted < this.acknowledged || counted > sent) {
      throw new BenchError(
        `${this.mode}.ratings: the summaries count ${counted} ratings over ${edges.length} titles; ` +
          `${this.acknowledged} were acknowledged, ${sent} sent`,
      );
    }
  }
}
