import autocannon from 'autocannon';
import { cpuMicros, median, medianOfKnown, rssBytes } from './metrics';
import type { ServerProcess } from './servers';

/**
 * Load runs with autocannon, interleaved: every round runs each case once
 * (A B C, A B C, ...), and each case reports the median of its rounds, so
 * noise from other work on the machine hits all cases alike. During a run,
 * every response must be exactly the bytes the case expects.
 */

export interface LoadSettings {
  /** Concurrent connections (the issue measured with 50). */
  connections: number;
  /** Length of one measured run. */
  seconds: number;
  /** Measured runs per case. */
  rounds: number;
  /** One unmeasured run per case before the first round (JIT, caches, connection pools); 0: none. */
  warmupSeconds: number;
}

export interface LoadCase {
  /** Key in the results, e.g. "reelcheck.titlePage". */
  id: string;
  label: string;
  server: ServerProcess;
  /** The JSON POST body sent to /graphql. */
  body: string;
  /** Headers sent besides content-type (e.g. an editor's Authorization). */
  headers?: Record<string, string>;
}

/** One measured run of one case. */
export interface RunSample {
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  /** Server CPU time (user + system) per response; null without /proc. */
  cpuMicrosPerRequest: number | null;
  /** Server resident memory at the end of the run; null without /proc. */
  rssBytes: number | null;
  responses: number;
}

export interface CaseResult {
  id: string;
  label: string;
  server: string;
  /** Medians over the rounds (RSS: the largest seen). */
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  cpuMicrosPerRequest: number | null;
  rssBytes: number | null;
  runs: RunSample[];
}

/** A request the bench itself depends on went wrong: the measurement is invalid. */
export class BenchError extends Error {
  override name = 'BenchError';
}

/**
 * POSTs `body` to the server once and returns the response text; a status
 * other than 200 or a GraphQL `errors` entry is a BenchError (measuring
 * failures would be meaningless).
 */
export async function fetchOk(
  server: ServerProcess,
  body: string,
  headers: Record<string, string> = {},
): Promise<string> {
  const response = await fetch(`${server.url}/graphql`, {
    method: 'POST',
    headers: { ...headers, 'content-type': 'application/json' },
    body,
  });
  const text = await response.text();
  if (response.status !== 200 || (JSON.parse(text) as { errors?: unknown }).errors) {
    throw new BenchError(`${server.name} answered ${response.status}: ${text.slice(0, 500)}`);
  }
  return text;
}

/** Runs the cases interleaved for `settings.rounds` rounds after a warm-up; `log` hears each round. */
export async function interleave(
  cases: readonly LoadCase[],
  settings: LoadSettings,
  log: (line: string) => void,
): Promise<CaseResult[]> {
  const expected = new Map<string, string>();
  for (const loadCase of cases)
    expected.set(loadCase.id, await fetchOk(loadCase.server, loadCase.body, loadCase.headers));
  return interleaveRuns(cases, settings, log, (loadCase, seconds) =>
    runOnce(loadCase, expected.get(loadCase.id)!, settings, seconds),
  );
}

/** What interleaveRuns needs of a case; `run` does the rest. */
export type MeasuredCase = Pick<LoadCase, 'id' | 'label' | 'server'>;

/**
 * The interleaving itself, for any kind of run: a warm-up run of each case,
 * then `settings.rounds` rounds of one run per case, in order; medians per case.
 */
export async function interleaveRuns<C extends MeasuredCase>(
  cases: readonly C[],
  settings: LoadSettings,
  log: (line: string) => void,
  run: (loadCase: C, seconds: number, round: number) => Promise<RunSample>,
): Promise<CaseResult[]> {
  if (settings.warmupSeconds > 0) {
    for (const loadCase of cases) await run(loadCase, settings.warmupSeconds, 0);
  }
  const runs = new Map<string, RunSample[]>(cases.map((loadCase) => [loadCase.id, []]));
  for (let round = 1; round <= settings.rounds; round++) {
    const line: string[] = [];
    for (const loadCase of cases) {
      const sample = await run(loadCase, settings.seconds, round);
      runs.get(loadCase.id)!.push(sample);
      line.push(`${loadCase.id} ${Math.round(sample.requestsPerSecond)}`);
    }
    log(`  round ${round}/${settings.rounds} (req/s): ${line.join(', ')}`);
  }
  return cases.map((loadCase) => summarize(loadCase, runs.get(loadCase.id)!));
}

/** The medians of a case's runs. */
export function summarize(loadCase: MeasuredCase, runs: RunSample[]): CaseResult {
  const rss = runs.map((run) => run.rssBytes).filter((value): value is number => value !== null);
  return {
    id: loadCase.id,
    label: loadCase.label,
    server: loadCase.server.name,
    requestsPerSecond: median(runs.map((run) => run.requestsPerSecond)) ?? 0,
    p50Ms: median(runs.map((run) => run.p50Ms)) ?? 0,
    p99Ms: median(runs.map((run) => run.p99Ms)) ?? 0,
    cpuMicrosPerRequest: medianOfKnown(runs.map((run) => run.cpuMicrosPerRequest)),
    rssBytes: rss.length > 0 ? Math.max(...rss) : null,
    runs,
  };
}

/**
 * One autocannon run of `seconds` against the case's server, with the
 * server's CPU time read before and after. Any error, timeout, non-2xx status
 * or body other than `expectBody` is a BenchError.
 */
async function runOnce(
  loadCase: LoadCase,
  expectBody: string,
  settings: LoadSettings,
  seconds: number,
): Promise<RunSample> {
  const { pid } = loadCase.server;
  const cpuBefore = cpuMicros(pid);
  const result = await autocannon({
    url: `${loadCase.server.url}/graphql`,
    method: 'POST',
    headers: { ...loadCase.headers, 'content-type': 'application/json' },
    body: loadCase.body,
    connections: settings.connections,
    duration: seconds,
    // autocannon stops at its next sample tick: 100 ms ticks keep short runs short.
    sampleInt: 100,
    expectBody,
  });
  const cpuAfter = cpuMicros(pid);
  // A slow server is still working on requests autocannon gave up on when it
  // stopped; one more request waits behind them, so they do not slow the next case.
  await fetchOk(loadCase.server, loadCase.body, loadCase.headers);
  const failed = result.errors + result.non2xx + result.mismatches;
  if (failed > 0) {
    throw new BenchError(
      `${loadCase.id}: ${failed} of ${result.requests.sent} requests failed ` +
        `(${result.errors} errors incl. ${result.timeouts} timeouts, ${result.non2xx} non-2xx, ` +
        `${result.mismatches} with another body than expected)`,
    );
  }
  return runSample(result, pid, cpuBefore, cpuAfter);
}

/** A run's numbers from autocannon's result and the server's CPU time before and after. */
export function runSample(
  result: autocannon.Result,
  pid: number,
  cpuBefore: number | null,
  cpuAfter: number | null,
): RunSample {
  const responses = result['2xx'];
  return {
    requestsPerSecond: responses / result.duration,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    cpuMicrosPerRequest:
      cpuBefore === null || cpuAfter === null || responses === 0
        ? null
        : (cpuAfter - cpuBefore) / responses,
    rssBytes: rssBytes(pid),
    responses,
  };
}
