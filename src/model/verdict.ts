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
