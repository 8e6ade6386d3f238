import type { AccuracyAggregate } from './aggregate';
import { type AccuracyVerdict, dampedMean, verdictOf } from './verdict';

/** What a title page shows about a target's accuracy, derived from its aggregate alone. */
export interface AccuracySummaryData {
  /** The rated target ("title:<id>" / "fact:<id>"): the summary's identity. */
  targetKey: string;
  count: number;
  /** Plain mean, rounded to 2 decimals; null when nobody rated. */
  average: number | null;
  /** Ratings per score 1..5. */
  distribution: number[];
  /** The damped mean the verdict is read from; null when nobody rated. */
  score: number | null;
  verdict: AccuracyVerdict;
}

/** The summary of one aggregate: what every accuracy field (title, fact, node, rating payload) serves. */
export function summarize(aggregate: AccuracyAggregate): AccuracySummaryData {
  const { count, sum } = aggregate;
  return {
    targetKey: aggregate.targetKey,
    count,
    average: count === 0 ? null : round2(sum / count),
    distribution: [...aggregate.distribution],
    score: count === 0 ? null : round2(dampedMean(count, sum)),
    verdict: verdictOf(count, sum),
  };
}

function round2(value: number): number {
  return Math.round(value * 100) / 100;
}
