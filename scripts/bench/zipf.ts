/**
 * Which title a visitor of a title site reads: a few titles get most of the
 * traffic and every title some, as a Zipf distribution describes it (the
 * k-th most popular of n titles is read with a probability proportional to
 * 1 / k^s; s = 1 for the mixed workload). Deterministic for a seed, so every
 * server of a comparison sees statistically the same traffic.
 */

/** A pseudo-random number generator (mulberry32): uniform in [0, 1), the same sequence for a seed. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** P(rank k) for k = 0..n-1 (rank 0 the most popular): (1 / (k+1)^s) / sum over all ranks. */
export function zipfProbabilities(n: number, s: number): number[] {
  const weights = Array.from({ length: n }, (_, k) => 1 / (k + 1) ** s);
  const total = weights.reduce((sum, weight) => sum + weight, 0);
  return weights.map((weight) => weight / total);
}

/**
 * A sampler of ranks 0..n-1 under Zipf(s): `random` picks a point on the
 * cumulative distribution, a binary search finds its rank (O(log n) a draw).
 */
export function zipfSampler(n: number, s: number, random: () => number): () => number {
  if (!Number.isInteger(n) || n < 1) throw new Error(`a Zipf sampler needs n >= 1, not ${n}`);
  const cumulative = new Float64Array(n);
  let sum = 0;
  for (let k = 0; k < n; k++) {
    sum += 1 / (k + 1) ** s;
    cumulative[k] = sum;
  }
  return () => {
    const point = random() * sum;
    let low = 0;
    let high = n - 1;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (cumulative[middle] > point) high = middle;
      else low = middle + 1;
    }
    return low;
  };
}

/**
 * A fixed shuffle of 0..n-1 (Fisher-Yates with `random`): which title has
 * which popularity rank, so the popular ones are spread over the catalog
 * rather than its first slugs.
 */
export function shuffled(n: number, random: () => number): number[] {
  const order = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [order[i], order[j]] = [order[j], order[i]];
  }
  return order;
}
