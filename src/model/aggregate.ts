import { assertScore } from './rating';

/**
 * The maintained aggregate of one target's ratings. Reading it costs the same
 * for 10 ratings or 1,000,000; every rating write updates it by the exact
 * difference it makes. distribution[i] counts ratings with score i + 1.
 */
export interface AccuracyAggregate {
  targetKey: string;
  count: number;
  sum: number;
  distribution: [number, number, number, number, number];
}

export function emptyAggregate(key: string): AccuracyAggregate {
  return { targetKey: key, count: 0, sum: 0, distribution: [0, 0, 0, 0, 0] };
}

/** Recomputes an aggregate from raw ratings: the reference the maintained one must equal. */
export function aggregateOf(key: string, scores: Iterable<number>): AccuracyAggregate {
  const aggregate = emptyAggregate(key);
  for (const score of scores) {
    aggregate.count += 1;
    aggregate.sum += score;
    aggregate.distribution[score - 1] += 1;
  }
  return aggregate;
}

export function sameAggregate(a: AccuracyAggregate, b: AccuracyAggregate): boolean {
  return (
    a.count === b.count &&
    a.sum === b.sum &&
    a.distribution.every((n, i) => n === b.distribution[i])
  );
}

/**
 * What one rating write changes in its target's aggregate: from `previous`
 * (null when the voter had not rated) to `score`. Adding these deltas in any
 * order gives the aggregate of the latest scores, which is why concurrent
 * writes stay exact.
 */
export interface AggregateDelta {
  count: number;
  sum: number;
  distribution: [number, number, number, number, number];
}

export function ratingDelta(previous: number | null, score: number): AggregateDelta {
  assertScore(score);
  if (previous !== null) assertScore(previous);
  const distribution: AggregateDelta['distribution'] = [0, 0, 0, 0, 0];
  distribution[score - 1] += 1;
  if (previous !== null) distribution[previous - 1] -= 1;
  return { count: previous === null ? 1 : 0, sum: score - (previous ?? 0), distribution };
}
