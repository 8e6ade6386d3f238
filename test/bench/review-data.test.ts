import { ReportState } from '../../src/model';
import {
  expectedQueue,
  fixtureSize,
  reviewCatalog,
  reviewFact,
  reviewFactId,
  scoresOf,
  titlesFor,
} from '../../scripts/bench/review-data';
import { queuePage, walkPosition } from '../../scripts/bench/review-queue';
import { toGlobalId, toReviewQueueCursor } from '../../src/graphql/schema/node/ids';

const NOW = new Date('2026-12-08T10:00:00Z');

describe('review queue bench data (issue 22)', () => {
  it('puts the same 12% of facts in the queue on any catalog: 12 of 100, 12,000 of 100,000', () => {
    expect(fixtureSize(100)).toEqual({
      titles: 10,
      facts: 100,
      ratings: 1_000,
      openReports: 12,
      queued: 12,
    });
    expect(fixtureSize(100_000)).toEqual({
      titles: 10_000,
      facts: 100_000,
      ratings: 1_000_000,
      openReports: 12_000,
      queued: 12_000,
    });
    expect(() => titlesFor(150)).toThrow(/multiple of 100 facts, not 150/);
    expect(() => titlesFor(0)).toThrow(/multiple of 100/);
  });

  it("ranks with the model's formula: reports and low ratings together rank first", () => {
    // Fact 0: 8 low of 10 (lower bound 0.4902) and two INACCURATE reports with a source plus
    // one MISLEADING: weight 5, reports' part 5/7.
    const first = reviewFact(0, NOW);
    expect(first.scores.filter((s) => s <= 2)).toHaveLength(8);
    expect(first.review.reports).toMatchObject({ open: 3, withSource: 2 });
    expect(first.rank.figures.lowShareLowerBound).toBeCloseTo(0.4902, 4);
    expect(first.rank.figures.reportsPart).toBeCloseTo(5 / 7, 10);
    expect(first.rank.priority).toBeCloseTo((0.4902 + 5 / 7) / 2, 4);
    expect(first.reports.map((r) => [r.voterId, r.state, r.sourceUrl])).toEqual([
      ['bench-reporter-0', ReportState.OPEN, 'https://example.org/sources/0/0'],
      ['bench-reporter-1', ReportState.OPEN, 'https://example.org/sources/0/1'],
      ['bench-reporter-2', ReportState.OPEN, null],
    ]);
    // An ordinary fact: 4 low of 10 is under the threshold; 5 of 10 (fact 95) too.
    expect(scoresOf(5)).toEqual([1, 2, 1, 2, 3, 4, 5, 3, 4, 5]);
    expect(reviewFact(5, NOW).rank.queued).toBe(false);
    expect(reviewFact(95, NOW).rank.queued).toBe(false);
    expect(reviewFact(2, NOW).rank.queued).toBe(true); // on its ratings alone
    expect(reviewFact(3, NOW).rank.queued).toBe(true); // on one report alone
  });

  it('orders the expected queue by priority, then fact id, with every queued fact once', () => {
    const queue = expectedQueue(1_000);
    expect(queue).toHaveLength(120);
    for (let i = 1; i < queue.length; i++) {
      const [a, b] = [queue[i - 1], queue[i]];
      expect(a.priority > b.priority || (a.priority === b.priority && a.factId < b.factId)).toBe(
        true,
      );
    }
    // The highest priority is fact 0's pattern, once per block of 100, in id order.
    expect(queue.slice(0, 10).map((e) => e.factId)).toEqual(
      Array.from({ length: 10 }, (_, block) => reviewFactId(block * 100)),
    );
  });

  it('writes ten facts per title, five per category, with ids in position order', () => {
    const catalog = reviewCatalog(100, NOW);
    expect(catalog.titles).toHaveLength(10);
    const facts = catalog.titles[1].facts;
    expect(facts.map((f) => f.id)).toEqual(
      Array.from({ length: 10 }, (_, i) => reviewFactId(10 + i)),
    );
    expect(facts.map((f) => `${f.category}:${f.position}`)).toEqual([
      'BEHIND_THE_SCENES:1',
      'BEHIND_THE_SCENES:2',
      'BEHIND_THE_SCENES:3',
      'BEHIND_THE_SCENES:4',
      'BEHIND_THE_SCENES:5',
      'DID_YOU_KNOW:1',
      'DID_YOU_KNOW:2',
      'DID_YOU_KNOW:3',
      'DID_YOU_KNOW:4',
      'DID_YOU_KNOW:5',
    ]);
    expect(facts.every((f) => f.titleId === catalog.titles[1].title.id)).toBe(true);
  });

  it('checks a page against the expected queue: the deep page starts 12 from the end', () => {
    const expected = expectedQueue(100);
    const { variables, check } = queuePage('deep', expected, 100);
    expect(variables).toEqual({
      first: 10,
      after: toReviewQueueCursor(expected[0].priority, expected[0].factId),
    });
    const page = (entries: typeof expected, hasNextPage: boolean) =>
      JSON.stringify({
        data: {
          reviewQueue: {
            pageInfo: { hasNextPage },
            edges: entries.map((e) => ({
              node: {
                fact: { id: toGlobalId('Fact', e.factId) },
                figures: { priority: e.priority },
              },
            })),
          },
        },
      });
    expect(() => check(page(expected.slice(1, 11), true))).not.toThrow();
    expect(() => check(page(expected.slice(1, 11), false))).toThrow(/and more/);
    expect(() => check(page(expected.slice(0, 10), true))).toThrow(/deep page|near the end/);
    const title = queuePage('title', expected, 100);
    const ofTitle = expected.filter((e) => e.titleId === 'bench-0');
    expect(ofTitle).toHaveLength(4);
    expect(() => title.check(page(ofTitle, false))).not.toThrow();
    expect(() => queuePage('deep', expected.slice(0, 11), 100)).toThrow(/no deep page/);
  });

  it('walks every fact once per round, scattered, for the write comparison', () => {
    for (const facts of [1_000, 100_000]) {
      const seen = new Set(Array.from({ length: facts }, (_, n) => walkPosition(n, facts)));
      expect(seen.size).toBe(facts);
    }
    expect([0, 1, 2].map((n) => walkPosition(n, 1_000))).toEqual([0, 919, 838]);
  });
});
