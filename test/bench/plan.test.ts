import path from 'node:path';
import { planFor } from '../../scripts/bench/plan';

describe('bench command line', () => {
  it('runs the full plan by default, with the issue settings, writing bench-results.json', () => {
    const plan = planFor([], '/repo');
    expect(plan.mode).toBe('full');
    expect(plan.jsonFile).toBe(path.resolve('/repo', 'bench-results.json'));
    expect(plan.serving.connections).toBe(50);
    expect(plan.catalogSize).toMatchObject({ small: 100, large: 100_000 });
    expect(plan.ratingWrites).toMatchObject({ busy: 20_000, quiet: 10 });
    expect(plan.catalogSize.large * plan.startup.ratingsPerTitle).toBe(1_000_000);
    expect(plan.mixed).toMatchObject({ titles: 10_000, ratingShare: 0.02, zipfExponent: 1 });
    // Issue 22: the queue at 100 vs 100,000 facts (10 per title, each rated 10 times).
    expect(plan.reviewQueue).toMatchObject({ small: 100, large: 100_000 });
  });

  it('--quick shrinks the data and the runs; --json names the results file', () => {
    const plan = planFor(['--quick', '--json', 'out/b.json'], '/repo');
    expect(plan.mode).toBe('quick');
    expect(plan.jsonFile).toBe(path.resolve('/repo', 'out/b.json'));
    expect(plan.catalogSize.large).toBeLessThan(100_000);
    expect(plan.serving.seconds).toBeLessThan(1);
    expect(plan.mixed.titles).toBeLessThan(10_000);
    expect(plan.mixed.seconds).toBeLessThan(1);
    expect(plan.reviewQueue.large).toBeLessThan(100_000);
    expect(plan.reviewQueue.writes.seconds).toBeLessThan(1);
  });

  it('refuses an unknown argument or a --json without a file, with the usage', () => {
    expect(() => planFor(['--fast'])).toThrow(
      /unknown or incomplete argument "--fast"[\s\S]*--quick/,
    );
    expect(() => planFor(['--json'])).toThrow(/"--json"/);
    expect(() => planFor(['--json', '--quick'])).toThrow(/"--json"/);
  });
});
