import type { CatalogSizeResults } from '../../scripts/bench/catalog-size';
import type { CaseResult } from '../../scripts/bench/load';
import type { RatingWriteResults } from '../../scripts/bench/rating-writes';
import { targetsTable } from '../../scripts/bench/report';
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
      ],
    },
    catalogSize: { sqlite: catalog('sqlite', 200, 100), mongo: catalog('mongo', 200, 99) },
    ratingWrites: {
      sqlite: writes,
      mongo: { ...writes, newRatingMs: { busy: 0.38, quiet: 0.25 } },
    },
    startup,
    refusals: [{ label: 'abuse', bytes: 50_000, refusalMs: 4.9, harmlessMs: 1 }],
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
        mongoLabel: 'mongo',
      }),
    );
    const mongo = all.filter((v) => v.label.startsWith('mongo'));
    expect(mongo).toHaveLength(4);
    expect(mongo.every((v) => v.pass === null && v.value === null)).toBe(true);
    expect(mongo[0].note).toBe('skipped: no server');
    const printed = targetsTable(all);
    expect(printed).toMatch(/\| P3 mongo titles\(first: 50\).*\| +- \|.*\| skipped \|/);
    expect(printed).toMatch(/\| P1 warm title page.*\| +0\.50× \| +>= 0\.5× \| +PASS \|/);
  });

  it('refuses to judge when a case was not measured', () => {
    const serving = { cases: results().serving.cases.filter((c) => c.id !== 'bare.titlePage') };
    expect(() => verdicts(results({ serving }))).toThrow(/no case bare.titlePage/);
  });
});
