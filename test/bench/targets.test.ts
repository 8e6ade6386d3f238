import type { CatalogSizeResults } from '../../scripts/bench/catalog-size';
import type { CaseResult } from '../../scripts/bench/load';
import type { RatingWriteResults } from '../../scripts/bench/rating-writes';
import { restMemoryLine, reviewQueueSection, targetsTable } from '../../scripts/bench/report';
import type { RestMemoryResults } from '../../scripts/bench/rest-memory';
import type { ReviewQueueResults } from '../../scripts/bench/review-queue';
import { fixtureSize } from '../../scripts/bench/review-data';
import type { StartupResults } from '../../scripts/bench/startup';
import { type MeasuredResults, type Verdict, verdicts } from '../../scripts/bench/targets';

function measuredCase(id: string, requestsPerSecond: number): CaseResult {
  return {
    id,
    label: id,
    server: 'test',
    requestsPerSecond,
    p50Ms: 1,
    p99Ms: 2,
    cpuMicrosPerRequest: 100,
    rssBytes: 1,
    runs: [],
  };
}

function catalog(store: string, small: number, large: number): CatalogSizeResults {
  return {
    sizes: { small: 100, large: 100_000 },
    cases: ['first50', 'deepPage', 'search'].flatMap((query) => [
      measuredCase(`${store}.${query}.small`, small),
      measuredCase(`${store}.${query}.large`, large),
    ]),
  };
}

const writes: RatingWriteResults = {
  settings: { busy: 20_000, quiet: 10, samples: 10 },
  setupMs: 1500,
  newRatingMs: { busy: 0.3, quiet: 0.25 },
};

const startup: StartupResults = {
  titles: 100_000,
  ratings: 1_000_000,
  buildMs: 10_000,
  readyMs: 2999,
  rssAtReadyBytes: 100 * 2 ** 20,
  rssAfterWritesBytes: 120 * 2 ** 20,
  writes: { sent: 5000, distinctRatings: 3500, perSecond: 500 },
  exact: {
    drift: 0,
    ratingsCounted: 1_003_500,
    ratingsExpected: 1_003_500,
    hotTitleServed: 210,
    hotTitleExpected: 210,
    ok: true,
  },
};

function durable(durableRate: number, todayRate: number): MeasuredResults['durableRatings'] {
  return {
    cases: [measuredCase('durable.ratings', durableRate), measuredCase('today.ratings', todayRate)],
  };
}

/** Cache memory results: the response cache's and the record cache's RSS growth beyond caches off. */
function memory(responseMiB: number | null, recordMiB: number): MeasuredResults['cacheMemory'] {
  const growth = (difference: number | null) => ({
    cachedGrowthMiB: difference === null ? null : 20 + difference,
    uncachedGrowthMiB: difference === null ? null : 20,
    differenceMiB: difference,
    pass: difference === null ? null : difference < 16,
    peakGrowthMiB: { cached: null, uncached: null },
    heapGrowthMiB: { cached: 0, uncached: 0 },
    rssMiB: {
      cached: { before: 60, after: 80 + (difference ?? 0) },
      uncached: { before: 60, after: 80 },
    },
  });
  return {
    requests: 120_000,
    capMiB: 8,
    limitMiB: 16,
    responseCache: growth(responseMiB),
    recordCache: growth(recordMiB),
    pass: responseMiB === null ? null : responseMiB < 16 && recordMiB < 16,
  };
}

/** Issue 22's results on one store: the queue's req/s on each catalog, reports and ratings per second. */
function reviews(
  store: string,
  queue: { small: number; large: number },
  writes: { report: number; rating: number },
): ReviewQueueResults {
  return {
    sizes: { small: fixtureSize(100), large: fixtureSize(100_000) },
    buildMs: 12_000,
    queue: ['first', 'deep', 'title'].flatMap((query) => [
      measuredCase(`${store}.${query}.small`, queue.small),
      measuredCase(`${store}.${query}.large`, queue.large),
    ]),
    writes: [
      measuredCase(`${store}.report`, writes.report),
      measuredCase(`${store}.rating`, writes.rating),
    ],
  };
}

/** Issue 21's reading: Reelcheck's RSS at rest, the peers' beside it. */
function rest(reelcheckMiB: number | null): RestMemoryResults {
  return { reelcheckMiB, stockMiB: 70.4, mercuriusMiB: 66.6, limitMiB: 100 };
}

function results(overrides: Partial<MeasuredResults> = {}): MeasuredResults {
  return {
    serving: {
      cases: [
        measuredCase('bare.titlePage', 10_000),
        measuredCase('reelcheck.titlePage', 5_000),
        measuredCase('stock.titlePage', 1_000),
        measuredCase('reelcheckUncached.titlePage', 999),
        measuredCase('stock.typename', 3_000),
        measuredCase('reelcheckUncached.typename', 2_000),
        measuredCase('mercurius.titlePage', 2_000),
        measuredCase('reelcheckTrusted.titlePage', 1_100),
        measuredCase('reelcheckTrusted.unregistered', 649),
      ],
      restMemory: rest(100),
    },
    mixed: {
      cases: [
        measuredCase('stock.mixed', 1_000),
        measuredCase('mercurius.mixed', 2_000),
        measuredCase('mercuriusCache.mixed', 1_600),
        measuredCase('reelcheck.mixed', 3_000),
        measuredCase('reelcheckTrusted.mixed', 4_000),
      ],
    },
    catalogSize: { sqlite: catalog('sqlite', 200, 100), mongo: catalog('mongo', 200, 99) },
    ratingWrites: {
      sqlite: writes,
      mongo: { ...writes, newRatingMs: { busy: 0.38, quiet: 0.25 } },
    },
    startup,
    refusals: [{ label: 'abuse', bytes: 50_000, refusalMs: 4.9, harmlessMs: 1 }],
    durableRatings: durable(1_340, 2_000),
    cacheMemory: memory(15.9, 3),
    reviewQueue: {
      sqlite: reviews('sqlite', { small: 600, large: 300 }, { report: 500, rating: 1_000 }),
      mongo: reviews('mongo', { small: 200, large: 99 }, { report: 49, rating: 100 }),
    },
    mongoLabel: 'mongo (test double)',
    ...overrides,
  };
}

function find(all: Verdict[], id: string, label: RegExp): Verdict {
  const found = all.find((v) => v.id === id && label.test(v.label));
  if (!found) throw new Error(`no ${id} verdict matching ${label}`);
  return found;
}

describe('bench targets', () => {
  it('holds the caches to their memory caps: RSS growth beyond caches off under 16 MiB', () => {
    const all = verdicts(results());
    expect(find(all, '#19', /response cache at 8 MiB/)).toMatchObject({ value: 15.9, pass: true });
    expect(find(all, '#19', /record cache at 8 MiB/)).toMatchObject({ value: 3, pass: true });
    const over = verdicts(results({ cacheMemory: memory(16, 3) }));
    expect(find(over, '#19', /response cache at 8 MiB/)).toMatchObject({ value: 16, pass: false });
    const unknown = verdicts(results({ cacheMemory: memory(null, 3) }));
    expect(find(unknown, '#19', /response cache at 8 MiB/)).toMatchObject({
      value: null,
      pass: null,
    });
  });

  it('compares req/s side by side: P1 vs bare (>= 0.5), P2 vs stock (>= 1.0; __typename time <= 1.5)', () => {
    const all = verdicts(results());
    expect(find(all, 'P1', /warm title page/)).toMatchObject({ value: 0.5, pass: true });
    expect(find(all, 'P2', /uncached title page/)).toMatchObject({ value: 0.999, pass: false });
    expect(find(all, 'P2', /__typename/)).toMatchObject({ value: 1.5, pass: true });
  });

  it('P3 is large vs small req/s per query and store; P4 is busy vs quiet time and the setup time', () => {
    const all = verdicts(results());
    expect(all.filter((v) => v.id === 'P3').map((v) => [v.value, v.pass])).toEqual([
      [0.5, true],
      [0.5, true],
      [0.5, true],
      [0.495, false],
      [0.495, false],
      [0.495, false],
    ]);
    expect(find(all, 'P3', /mongo \(test double\) titles\(first: 50\)/).label).toMatch(
      /100,000 vs 100 titles/,
    );
    expect(find(all, 'P4', /sqlite new rating/)).toMatchObject({ value: 1.2, pass: true });
    expect(find(all, 'P4', /mongo \(test double\) new rating/)).toMatchObject({ pass: false });
    expect(find(all, 'P4', /sqlite rating setup/)).toMatchObject({
      value: 1.5,
      unit: ' s',
      pass: true,
    });
  });

  it('P5 passes below 3 s of start-up and only when every count equals its recount', () => {
    expect(find(verdicts(results()), 'P5', /start-up/)).toMatchObject({ value: 2.999, pass: true });
    const slow = verdicts(results({ startup: { ...startup, readyMs: 3000 } }));
    expect(find(slow, 'P5', /start-up/).pass).toBe(false);
    const inexact = verdicts(
      results({ startup: { ...startup, exact: { ...startup.exact, drift: 2, ok: false } } }),
    );
    expect(find(inexact, 'P5', /recount/)).toMatchObject({ value: 0, pass: false });
    expect(find(inexact, 'P5', /recount/).note).toMatch(/drift in 2 aggregates/);
  });

  it('issue 9: a refusal takes less than 5x the time of answering as many harmless bytes', () => {
    expect(find(verdicts(results()), '#9', /refusal of abuse/)).toMatchObject({
      value: 4.9,
      pass: true,
    });
    const slow = results({
      refusals: [{ label: 'abuse', bytes: 1, refusalMs: 10, harmlessMs: 2 }],
    });
    expect(find(verdicts(slow), '#9', /refusal of abuse/)).toMatchObject({ value: 5, pass: false });
  });

  it('reports skipped MongoDB targets as not measured, neither PASS nor FAIL', () => {
    const all = verdicts(
      results({
        catalogSize: { sqlite: catalog('sqlite', 1, 1), mongo: { skipped: 'no server' } },
        ratingWrites: { sqlite: writes, mongo: { skipped: 'no server' } },
        reviewQueue: { sqlite: results().reviewQueue.sqlite, mongo: { skipped: 'no server' } },
        mongoLabel: 'mongo',
      }),
    );
    const mongo = all.filter((v) => v.label.startsWith('mongo'));
    expect(mongo).toHaveLength(8);
    expect(mongo.every((v) => v.pass === null && v.value === null)).toBe(true);
    expect(mongo[0].note).toBe('skipped: no server');
    const printed = targetsTable(all);
    expect(printed).toMatch(/\| P3 mongo titles\(first: 50\).*\| +- \|.*\| skipped \|/);
    expect(printed).toMatch(/\| P1 warm title page.*\| +0\.50× \| +>= 0\.5× \| +PASS \|/);
  });

  it('#19 trusted documents: the registered page >= 1.1x stock (Mercurius for comparison), unregistered text >= 0.65x', () => {
    const all = verdicts(results());
    expect(find(all, '#19', /trusted title page.*vs stock Apollo/)).toMatchObject({
      value: 1.1,
      target: '>= 1.1',
      pass: true,
    });
    expect(find(all, '#19', /trusted title page.*vs Mercurius/)).toMatchObject({
      value: 0.55,
      target: '-',
      pass: null,
      info: true,
    });
    expect(find(all, '#19', /unregistered page text/)).toMatchObject({
      value: 0.649,
      target: '>= 0.65',
      pass: false,
    });
    const printed = targetsTable(all);
    expect(printed).toMatch(
      /\| #19 trusted title page .*vs Mercurius.*\| +0\.55× \| +- \| +info \|/,
    );
    expect(printed).toMatch(/\| #19 unregistered page text.*\| +0\.65× \| +>= 0\.65× \| +FAIL \|/);
  });

  it('#19 mixed workload: ahead of every peer (> 1.0 each), and >= 1.5x the best of them', () => {
    const all = verdicts(results());
    const mixed = all.filter((v) => v.label.startsWith('mixed workload,'));
    expect(mixed.map((v) => [v.label, v.value, v.target, v.pass])).toEqual([
      ['mixed workload, req/s vs stock Apollo', 3, '> 1.0', true],
      ['mixed workload, req/s vs Mercurius (jit: 1)', 1.5, '> 1.0', true],
      ['mixed workload, req/s vs Mercurius + mercurius-cache', 1.875, '> 1.0', true],
      ['mixed workload, req/s vs the best peer (Mercurius (jit: 1))', 1.5, '>= 1.5', true],
    ]);
    expect(find(all, '#19', /mixed workload by documentId/)).toMatchObject({
      label:
        'mixed workload by documentId (registered documents), req/s vs the best peer (Mercurius (jit: 1))',
      value: 2,
      pass: null,
      info: true,
    });
    // Level with a peer is not ahead of it; the best peer is whichever is fastest.
    const level = verdicts(
      results({
        mixed: {
          cases: [
            measuredCase('stock.mixed', 1_000),
            measuredCase('mercurius.mixed', 2_000),
            measuredCase('mercuriusCache.mixed', 2_500),
            measuredCase('reelcheck.mixed', 2_500),
            measuredCase('reelcheckTrusted.mixed', 2_500),
          ],
        },
      }),
    );
    expect(find(level, '#19', /vs Mercurius \+ mercurius-cache/)).toMatchObject({
      value: 1,
      pass: false,
    });
    expect(find(level, '#19', /best peer/)).toMatchObject({
      label: 'mixed workload, req/s vs the best peer (Mercurius + mercurius-cache)',
      value: 1,
      pass: false,
    });
  });

  it('#20 durable ratings: req/s within 1.5x of NORMAL single commits (>= 0.67), both rates in the note', () => {
    const all = verdicts(results());
    expect(all.filter((v) => v.id === '#20')).toEqual([
      {
        id: '#20',
        label: 'durable ratings under 50 raters, req/s vs NORMAL single commits',
        unit: '×',
        value: 0.67,
        target: '>= 0.67',
        pass: true,
        note: '1,340 vs 2,000 ratings/s',
      },
    ]);
    const printed = targetsTable(all);
    expect(printed).toMatch(
      /\| #20 durable ratings under 50 raters, req\/s vs NORMAL single commits +\| +0\.67× \| +>= 0\.67× \| +PASS \|/,
    );
    expect(printed).toMatch(/- #20 durable ratings .*: 1,340 vs 2,000 ratings\/s/);
    // Just under 1 / 1.5 of today's rate fails; faster than today passes.
    const slow = verdicts(results({ durableRatings: durable(1_339, 2_000) }));
    expect(find(slow, '#20', /durable ratings/)).toMatchObject({ value: 0.6695, pass: false });
    const fast = verdicts(results({ durableRatings: durable(2_500, 2_000) }));
    expect(find(fast, '#20', /durable ratings/)).toMatchObject({ value: 1.25, pass: true });
    // A median run that answered nothing is not a measurement, whichever server it was.
    for (const [durableRate, todayRate] of [
      [0, 2_000],
      [1_340, 0],
    ]) {
      const none = verdicts(results({ durableRatings: durable(durableRate, todayRate) }));
      expect(find(none, '#20', /durable ratings/)).toMatchObject({ value: null, pass: null });
      expect(find(none, '#20', /durable ratings/).note).toMatch(/^skipped: no ratings answered/);
    }
  });

  it('P4 says which store mode it measured, when the results say', () => {
    const noted = verdicts(
      results({
        ratingWrites: { sqlite: { ...writes, storeMode: 'the durable build' }, mongo: writes },
      }),
    );
    expect(find(noted, 'P4', /sqlite new rating/).note).toBe('on the durable build');
    expect(find(noted, 'P4', /mongo \(test double\) new rating/).note).toBeUndefined();
  });

  it('#21 RSS at rest: at most 100 MiB on the embedded store, the peers in the note and the row', () => {
    expect(find(verdicts(results()), '#21', /RSS at rest/)).toEqual({
      id: '#21',
      label: 'RSS at rest, embedded store',
      unit: ' MiB',
      value: 100,
      target: '<= 100',
      pass: true,
      note: 'stock Apollo 70 MiB, Mercurius 67 MiB',
    });
    const over = results({ serving: { ...results().serving, restMemory: rest(100.5) } });
    expect(find(verdicts(over), '#21', /RSS at rest/)).toMatchObject({ value: 100.5, pass: false });
    const unknown = results({ serving: { ...results().serving, restMemory: rest(null) } });
    expect(find(verdicts(unknown), '#21', /RSS at rest/)).toMatchObject({
      value: null,
      pass: null,
      note: 'skipped: no /proc: RSS unknown',
    });
    expect(restMemoryLine(rest(137.2))).toBe(
      'RSS at rest, embedded store: 137 MiB (target ≤ 100); stock Apollo 70 MiB, Mercurius 67 MiB',
    );
    expect(targetsTable(verdicts(over))).toMatch(
      /\| #21 RSS at rest, embedded store +\| +100\.50 MiB \| +<= 100 MiB \| +FAIL \|/,
    );
  });

  it('#22 review queue: each query >= 0.5x its small-catalog req/s; reports >= 0.5x ratings/s', () => {
    const all = verdicts(results()).filter((v) => v.id === '#22');
    expect(all.map((v) => [v.label, v.value, v.target, v.pass])).toEqual([
      ['sqlite reviewQueue(first: 10), req/s at 100,000 vs 100 facts', 0.5, '>= 0.5', true],
      [
        'sqlite reviewQueue(first: 10, after:) near the end, req/s at 100,000 vs 100 facts',
        0.5,
        '>= 0.5',
        true,
      ],
      [
        "sqlite reviewQueue(titleId:, first: 10), one title's entries, req/s at 100,000 vs 100 facts",
        0.5,
        '>= 0.5',
        true,
      ],
      ['sqlite reportFact vs rateAccuracy of a fact, req/s on 100,000 facts', 0.5, '>= 0.5', true],
      [
        'mongo (test double) reviewQueue(first: 10), req/s at 100,000 vs 100 facts',
        0.495,
        '>= 0.5',
        false,
      ],
      [
        'mongo (test double) reviewQueue(first: 10, after:) near the end, req/s at 100,000 vs 100 facts',
        0.495,
        '>= 0.5',
        false,
      ],
      [
        "mongo (test double) reviewQueue(titleId:, first: 10), one title's entries, req/s at 100,000 vs 100 facts",
        0.495,
        '>= 0.5',
        false,
      ],
      [
        'mongo (test double) reportFact vs rateAccuracy of a fact, req/s on 100,000 facts',
        0.49,
        '>= 0.5',
        false,
      ],
    ]);
    expect(all[3].note).toBe('500 reports vs 1,000 ratings/s');
    const printed = targetsTable(all);
    expect(printed).toMatch(
      /\| #22 sqlite reportFact vs rateAccuracy of a fact, req\/s on 100,000 facts +\| +0\.50× \| +>= 0\.5× \| +PASS \|/,
    );
    // No report or no rating answered: nothing to compare, neither PASS nor FAIL.
    const none = verdicts(
      results({
        reviewQueue: {
          sqlite: reviews('sqlite', { small: 1, large: 1 }, { report: 0, rating: 1_000 }),
          mongo: { skipped: 'no server' },
        },
      }),
    );
    expect(find(none, '#22', /sqlite reportFact/)).toMatchObject({ value: null, pass: null });
    expect(find(none, '#22', /sqlite reportFact/).note).toMatch(/^skipped: nothing answered/);
    expect(find(none, '#22', /mongo \(test double\) reportFact/).note).toBe('skipped: no server');
    // The report's section says what the catalogs hold before the tables.
    const section = reviewQueueSection('embedded (sqlite)', {
      ...results().reviewQueue.sqlite,
      note: 'ranked on open',
    });
    expect(section.split('\n')[0]).toBe(
      'embedded (sqlite): 100,000 facts over 10,000 titles, 1,000,000 ratings, 12,000 open reports: ' +
        'a queue of 12,000 (100 facts: 12); built in bulk in 12.0 s; ranked on open',
    );
    expect(section).toMatch(/\| sqlite\.report +\| +500 \|/);
    expect(reviewQueueSection('mongo', { skipped: 'no server' })).toBe('mongo: skipped: no server');
  });

  it('refuses to judge when a case was not measured', () => {
    const serving = {
      ...results().serving,
      cases: results().serving.cases.filter((c) => c.id !== 'bare.titlePage'),
    };
    expect(() => verdicts(results({ serving }))).toThrow(/no case bare.titlePage/);
    const mixed = { cases: results().mixed.cases.filter((c) => c.id !== 'reelcheck.mixed') };
    expect(() => verdicts(results({ mixed }))).toThrow(/no case reelcheck.mixed/);
    const durableRatings = { cases: durable(1, 1).cases.slice(0, 1) };
    expect(() => verdicts(results({ durableRatings }))).toThrow(/no case today.ratings/);
  });
});
