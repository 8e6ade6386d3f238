import { seededRandom, shuffled, zipfProbabilities, zipfSampler } from '../../scripts/bench/zipf';

describe('bench Zipf sampler', () => {
  it('gives rank k a probability proportional to 1 / k^s, summing to 1', () => {
    const p = zipfProbabilities(10_000, 1);
    expect(p.reduce((sum, x) => sum + x, 0)).toBeCloseTo(1, 12);
    // H(10,000) = 9.7876...: the most read title gets about 10.2% of the reads.
    expect(p[0]).toBeCloseTo(1 / 9.787606, 6);
    expect(p[0] / p[1]).toBeCloseTo(2, 12);
    expect(p[0] / p[9_999]).toBeCloseTo(10_000, 6);
    const squared = zipfProbabilities(3, 2);
    expect(squared[0] / squared[2]).toBeCloseTo(9, 12);
  });

  it('draws ranks with those probabilities (chi-square over the first ranks and the tail)', () => {
    const n = 10_000;
    const draws = 400_000;
    const sample = zipfSampler(n, 1, seededRandom(7));
    const counts = new Array<number>(n).fill(0);
    for (let i = 0; i < draws; i++) counts[sample()]++;
    const p = zipfProbabilities(n, 1);
    // Cells: ranks 0..49 one by one, then the tail in 10 bands of 995 ranks.
    const cells: [number, number][] = [];
    for (let k = 0; k < 50; k++) cells.push([counts[k], p[k] * draws]);
    for (let start = 50; start < n; start += 995) {
      let observed = 0;
      let expected = 0;
      for (let k = start; k < Math.min(n, start + 995); k++) {
        observed += counts[k];
        expected += p[k] * draws;
      }
      cells.push([observed, expected]);
    }
    const chiSquare = cells.reduce((sum, [o, e]) => sum + (o - e) ** 2 / e, 0);
    // 59 degrees of freedom: the 99.9th percentile is about 99.
    expect(chiSquare).toBeLessThan(99);
    // Every rank is reachable, the last ones included.
    expect(counts.slice(n - 1000).some((count) => count > 0)).toBe(true);
    expect(counts.every((count) => Number.isInteger(count))).toBe(true);
  });

  it('stays in range at the edges of [0, 1) and refuses an empty catalog', () => {
    expect(zipfSampler(5, 1, () => 0)()).toBe(0);
    expect(zipfSampler(5, 1, () => 0.999_999_999)()).toBe(4);
    expect(zipfSampler(1, 1, Math.random)()).toBe(0);
    expect(() => zipfSampler(0, 1, Math.random)).toThrow(/n >= 1/);
  });

  it('is deterministic for a seed, uniform in [0, 1)', () => {
    const a = seededRandom(42);
    const b = seededRandom(42);
    const first = Array.from({ length: 1000 }, a);
    expect(Array.from({ length: 1000 }, b)).toEqual(first);
    expect(first.every((x) => x >= 0 && x < 1)).toBe(true);
    const mean = first.reduce((sum, x) => sum + x, 0) / first.length;
    expect(mean).toBeGreaterThan(0.45);
    expect(mean).toBeLessThan(0.55);
    expect(seededRandom(43)()).not.toBe(seededRandom(42)());
  });

  it('spreads popularity over the catalog: a permutation of every position', () => {
    const order = shuffled(1000, seededRandom(19));
    expect([...order].sort((x, y) => x - y)).toEqual(Array.from({ length: 1000 }, (_, i) => i));
    expect(order.slice(0, 10)).not.toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });
});
