import fs from 'node:fs';
import os from 'node:os';
import type { CatalogSizeResults } from './catalog-size';
import type { DurableRatingResults } from './durable-ratings';
import type { CaseResult } from './load';
import type { MixedChecks, MixedResults } from './mixed';
import type { BenchPlan } from './plan';
import type { RatingWriteResults } from './rating-writes';
import type { RestMemoryResults } from './rest-memory';
import type { ReviewQueueResults } from './review-queue';
import type { StartupResults } from './startup';
import { mb, type MeasuredResults, type Skipped, type Verdict } from './targets';

/**
 * The bench's output: Markdown tables on stdout (docs/performance.md's
 * section is a copy of a full run's) and everything, runs included, as JSON.
 */

export interface BenchResults extends MeasuredResults {
  mode: BenchPlan['mode'];
  startedAt: string;
  durationSeconds: number;
  machine: { cpus: number; cpuModel: string; node: string; loadAverage: number[] };
  plan: BenchPlan;
  /** The MongoDB server measured, or why it was not. */
  mongo: { server: string } | Skipped;
  pageBytes: number;
  mixed: MixedResults;
  targets: Verdict[];
}

export function machine(): BenchResults['machine'] {
  return {
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model ?? 'unknown',
    node: process.version,
    loadAverage: os.loadavg().map((load) => Math.round(load * 100) / 100),
  };
}

/** A Markdown table, columns padded so it also reads as plain text. */
export function table(header: string[], rows: string[][]): string {
  const widths = header.map((cell, i) =>
    Math.max(cell.length, ...rows.map((row) => row[i].length)),
  );
  const line = (cells: string[]) =>
    `| ${cells.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join(' | ')} |`;
  const rule = `| ${widths.map((width, i) => (i === 0 ? '-'.repeat(width) : `${'-'.repeat(width - 1)}:`)).join(' | ')} |`;
  return [line(header), rule, ...rows.map(line)].join('\n');
}

const whole = (value: number) => Math.round(value).toLocaleString('en');
const fixed = (value: number, digits: number) => value.toFixed(digits);

/** req/s, latency, CPU per request and memory per case (medians of the interleaved runs). */
export function casesTable(cases: readonly CaseResult[]): string {
  return table(
    ['case', 'req/s', 'p50 ms', 'p99 ms', 'CPU µs/req', 'RSS MB'],
    cases.map((c) => [
      c.label,
      whole(c.requestsPerSecond),
      fixed(c.p50Ms, 1),
      fixed(c.p99Ms, 1),
      c.cpuMicrosPerRequest === null ? '-' : whole(c.cpuMicrosPerRequest),
      mb(c.rssBytes),
    ]),
  );
}

/** The targets with their measured values and PASS / FAIL (or "skipped"); notes below the table. */
export function targetsTable(targets: readonly Verdict[]): string {
  const rows = targets.map((v) => [
    `${v.id} ${v.label}`,
    measuredValue(v),
    v.unit === 'exact' || v.info ? v.target : `${v.target}${v.unit}`,
    v.info ? 'info' : v.pass === null ? 'skipped' : v.pass ? 'PASS' : 'FAIL',
  ]);
  const notes = targets
    .filter((v) => v.note && v.pass !== null)
    .map((v) => `- ${v.id} ${v.label}: ${v.note}`);
  return [
    table(['target', 'measured', 'target', 'result'], rows),
    ...(notes.length ? ['', ...notes] : []),
  ].join('\n');
}

function measuredValue(v: Verdict): string {
  if (v.value === null) return '-';
  if (v.unit === 'exact') return v.value === 1 ? 'exact' : 'NOT exact';
  return `${fixed(v.value, 2)}${v.unit}`;
}

function ratingWritesLine(store: string, r: RatingWriteResults | Skipped): string {
  if ('skipped' in r) return `- ${store}: skipped: ${r.skipped}`;
  return (
    `- ${store}: new rating ${fixed(r.newRatingMs.busy, 3)} ms with ${whole(r.settings.busy)} ratings, ` +
    `${fixed(r.newRatingMs.quiet, 3)} ms with ${r.settings.quiet} (medians of ${r.settings.samples}); ` +
    `setup ${fixed(r.setupMs / 1000, 1)} s${r.storeMode ? `; on ${r.storeMode}` : ''}`
  );
}

function durableRatingsSection(d: DurableRatingResults, p: BenchPlan['durableRatings']): string {
  return [
    '### Durable ratings (issue 20): new ratings over HTTP, each by a new voter',
    `${p.connections} raters (connections), medians of ${p.rounds} interleaved runs of ${p.seconds} s; ` +
      'one entry point for both servers, only the commit mode differs',
    '',
    casesTable(d.cases),
  ].join('\n');
}

function mixedChecksLine(c: MixedChecks, label: string): string {
  return (
    `- ${label}: ${whole(c.reads)} reads, ${whole(c.ratings)} ratings; ${whole(c.readsChecked)} reads of a ` +
    `rated title checked to show its acknowledged ratings (${whole(c.readsAfterRating)} right after the rating): ` +
    `${c.violations} did not`
  );
}

function mixedSection(r: BenchResults): string {
  const m = r.mixed;
  const p = r.plan.mixed;
  const label = (id: string) => m.cases.find((c) => c.id === id)?.label ?? id;
  return [
    `### Mixed workload (issue 19): title pages over ${whole(m.titles)} titles, Zipf s = ${m.zipfExponent}, ` +
      `${fixed(m.ratingShare * 100, 0)}% ratings`,
    `${p.connections} connections, medians of ${p.rounds} interleaved runs of ${p.seconds} s; each rating by a new voter, ` +
      `then the page read again; the most read page is ${whole(m.pageBytes)} bytes`,
    '',
    casesTable(m.cases),
    '',
    ...m.checks.map((c) => mixedChecksLine(c, label(c.id))),
  ].join('\n');
}

function catalogSection(store: string, r: CatalogSizeResults | Skipped): string {
  return 'skipped' in r ? `${store}: skipped: ${r.skipped}` : `${store}:\n\n${casesTable(r.cases)}`;
}

function startupLines(s: StartupResults, connections: number): string {
  return [
    `- embedded store, ${whole(s.titles)} titles and ${whole(s.ratings)} ratings (built in bulk in ${fixed(s.buildMs / 1000, 1)} s):`,
    `  ready ${fixed(s.readyMs / 1000, 2)} s after spawn, RSS ${mb(s.rssAtReadyBytes)} MB`,
    `- then ${whole(s.writes.sent)} ratings over ${connections} connections (${whole(s.writes.perSecond)}/s, ${whole(s.writes.distinctRatings)} distinct voter and title pairs):`,
    `  RSS ${mb(s.rssAfterWritesBytes)} MB; aggregates differing from a recount: ${s.exact.drift}; ratings ${whole(s.exact.ratingsCounted)} ` +
      `(expected ${whole(s.exact.ratingsExpected)}); hot title served count ${whole(s.exact.hotTitleServed)} (expected ${whole(s.exact.hotTitleExpected)})`,
  ].join('\n');
}

/**
 * Issue 22's section for one store: what the catalogs hold, then the queue's
 * three queries on both, then reports against ratings on the large one.
 */
export function reviewQueueSection(store: string, r: ReviewQueueResults | Skipped): string {
  if ('skipped' in r) return `${store}: skipped: ${r.skipped}`;
  const { small, large } = r.sizes;
  return [
    `${store}: ${whole(large.facts)} facts over ${whole(large.titles)} titles, ${whole(large.ratings)} ratings, ` +
      `${whole(large.openReports)} open reports: a queue of ${whole(large.queued)} ` +
      `(${whole(small.facts)} facts: ${whole(small.queued)}); built in bulk in ${fixed(r.buildMs / 1000, 1)} s` +
      (r.note ? `; ${r.note}` : ''),
    '',
    casesTable(r.queue),
    '',
    casesTable(r.writes),
  ].join('\n');
}

/** Issue 21's row: Reelcheck's RSS at rest against its target, the peers' beside it. */
export function restMemoryLine(rest: RestMemoryResults): string {
  const value = (mib: number | null) => (mib === null ? '- (no /proc)' : `${Math.round(mib)} MiB`);
  return (
    `RSS at rest, embedded store: ${value(rest.reelcheckMiB)} (target ≤ ${rest.limitMiB}); ` +
    `stock Apollo ${value(rest.stockMiB)}, Mercurius ${value(rest.mercuriusMiB)}`
  );
}

/** The whole report as printed. */
export function formatReport(r: BenchResults): string {
  const m = r.machine;
  return [
    `## Reelcheck bench (${r.mode}), ${r.startedAt}`,
    `${m.cpus} × ${m.cpuModel}, Node ${m.node}, load average ${m.loadAverage.join(' ')} at the end; ${fixed(r.durationSeconds, 0)} s`,
    `MongoDB: ${'skipped' in r.mongo ? `skipped: ${r.mongo.skipped}` : r.mongo.server}`,
    ...(r.mode === 'quick'
      ? [
          'Quick mode: runs too short and data too small for these numbers to mean much; it proves the bench works.',
        ]
      : []),
    '',
    `### Serving: the README's title page (${r.pageBytes} bytes, identical from every server) and { __typename }`,
    `${r.plan.serving.connections} connections, medians of ${r.plan.serving.rounds} interleaved runs of ${r.plan.serving.seconds} s; CPU and RSS of the server process`,
    '',
    casesTable(r.serving.cases),
    '',
    restMemoryLine(r.serving.restMemory),
    '',
    mixedSection(r),
    '',
    `### Catalog size: listings and search (${r.plan.catalogSize.connections} connections, medians of ${r.plan.catalogSize.rounds} runs of ${r.plan.catalogSize.seconds} s)`,
    '',
    catalogSection('embedded (sqlite)', r.catalogSize.sqlite),
    '',
    catalogSection(r.mongoLabel, r.catalogSize.mongo),
    '',
    '### Rating writes (through the store port)',
    '',
    ratingWritesLine('sqlite', r.ratingWrites.sqlite),
    ratingWritesLine(r.mongoLabel, r.ratingWrites.mongo),
    '',
    durableRatingsSection(r.durableRatings, r.plan.durableRatings),
    '',
    `### Review queue and reports (issue 22): editors' queries on ${whole(r.plan.reviewQueue.small)} vs ${whole(r.plan.reviewQueue.large)} facts, then reports vs ratings`,
    `${r.plan.reviewQueue.connections} connections, medians of ${r.plan.reviewQueue.rounds} interleaved runs of ${r.plan.reviewQueue.seconds} s ` +
      `(writes: ${r.plan.reviewQueue.writes.connections} connections, ${r.plan.reviewQueue.writes.rounds} runs of ${r.plan.reviewQueue.writes.seconds} s); ` +
      'default configuration (editor requests bypass the response cache: checked on /metrics)',
    '',
    reviewQueueSection('embedded (sqlite)', r.reviewQueue.sqlite),
    '',
    reviewQueueSection(r.mongoLabel, r.reviewQueue.mongo),
    '',
    '### Start-up and exactness',
    '',
    startupLines(r.startup, r.plan.startup.connections),
    '',
    '### Refusals (issue 9)',
    '',
    ...r.refusals.map(
      (x) =>
        `- ${x.label} (${whole(x.bytes)} bytes): refused in ${fixed(x.refusalMs, 2)} ms; ` +
        `as many harmless bytes answered in ${fixed(x.harmlessMs, 2)} ms (medians of ${r.plan.refusals.samples})`,
    ),
    '',
    '### Targets (issue 12; #9: issue 9; #19: issue 19; #20: issue 20; #21: issue 21; #22: issue 22)',
    '',
    targetsTable(r.targets),
  ].join('\n');
}

/** Writes the results, every run included, as JSON. */
export function writeJson(file: string, results: BenchResults): void {
  fs.writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`);
}
