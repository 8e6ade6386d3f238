/** Viewers' verdict on a target, from least to most accurate (the scale's order). */
export const AccuracyVerdict = {
  UNRATED: 'UNRATED',
  INACCURATE: 'INACCURATE',
  MOSTLY_INACCURATE: 'MOSTLY_INACCURATE',
  MIXED: 'MIXED',
  MOSTLY_ACCURATE: 'MOSTLY_ACCURATE',
  ACCURATE: 'ACCURATE',
} as const;
export type AccuracyVerdict = (typeof AccuracyVerdict)[keyof typeof AccuracyVerdict];

/**
 * Turns a target's ratings into a verdict without letting a handful of votes
 * outrank many: the verdict is read from a damped (Bayesian) mean that starts
 * at PRIOR_MEAN with the weight of PRIOR_WEIGHT imaginary ratings,
 *
 *   damped = (PRIOR_WEIGHT * PRIOR_MEAN + sum) / (PRIOR_WEIGHT + count)
 *
 * One vote of 5 gives (10*3 + 5) / 11 = 3.18 (MIXED); 200 votes averaging 4.6
 * give (30 + 920) / 210 = 4.52 (ACCURATE). No ratings: UNRATED.
 */
export const PRIOR_MEAN = 3;
export const PRIOR_WEIGHT = 10;

/** Lower bounds of the damped mean for each verdict, checked from the top. */
export const VERDICT_THRESHOLDS: ReadonlyArray<readonly [number, AccuracyVerdict]> = [
  [4.25, 'ACCURATE'],
  [3.5, 'MOSTLY_ACCURATE'],
  [2.5, 'MIXED'],
  [1.75, 'MOSTLY_INACCURATE'],
  [-Infinity, 'INACCURATE'],
];

/** The mean the verdict is read from: the plain mean pulled towards PRIOR_MEAN while votes are few. */
export function dampedMean(count: number, sum: number): number {
  return (PRIOR_WEIGHT * PRIOR_MEAN + sum) / (PRIOR_WEIGHT + count);
}

/** The verdict of `count` ratings summing to `sum`; UNRATED when there are none. */
export function verdictOf(count: number, sum: number): AccuracyVerdict {
  if (count === 0) return 'UNRATED';
  const damped = dampedMean(count, sum);
  const match = VERDICT_THRESHOLDS.find(([threshold]) => damped >= threshold);
  return match ? match[1] : 'INACCURATE';
}
