import {
  aggregateOf,
  dampedMean,
  PRIOR_MEAN,
  RATING_SCALE,
  summarize,
  verdictOf,
} from '../../src/model';

const ratings = (...scores: number[]) => aggregateOf('title:x', scores);
const many = (count: number, score: number) => Array.from({ length: count }, () => score);

describe('verdict', () => {
  it('is UNRATED with no ratings', () => {
    expect(verdictOf(0, 0)).toBe('UNRATED');
    expect(summarize(ratings())).toEqual({
      targetKey: 'title:x',
      count: 0,
      average: null,
      distribution: [0, 0, 0, 0, 0],
      score: null,
      verdict: 'UNRATED',
    });
  });

  it('does not let one vote of 5 outrank 200 votes averaging 4.6', () => {
    const one = ratings(5);
    const crowd = ratings(...many(120, 5), ...many(80, 4)); // mean 4.6
    expect(crowd.sum / crowd.count).toBeCloseTo(4.6);
    expect(dampedMean(crowd.count, crowd.sum)).toBeGreaterThan(dampedMean(one.count, one.sum));
    expect(summarize(one).verdict).toBe('MIXED');
    expect(summarize(crowd).verdict).toBe('ACCURATE');
  });

  it('moves from the prior towards the plain mean as ratings accumulate', () => {
    expect(dampedMean(0, 0)).toBe(PRIOR_MEAN);
    const few = summarize(ratings(1, 1, 1));
    const lots = summarize(ratings(...many(500, 1)));
    expect(few.verdict).toBe('MIXED');
    expect(lots.verdict).toBe('INACCURATE');
    expect(lots.score!).toBeLessThan(few.score!);
  });

  it.each([
    [5, 'ACCURATE'],
    [4, 'MOSTLY_ACCURATE'],
    [3, 'MIXED'],
    [2, 'MOSTLY_INACCURATE'],
    [1, 'INACCURATE'],
  ])('gives 1000 ratings of %i the verdict %s', (score, verdict) => {
    expect(summarize(ratings(...many(1000, score))).verdict).toBe(verdict);
  });

  it('summarizes count, rounded average and distribution', () => {
    expect(summarize(ratings(5, 4, 4))).toMatchObject({
      count: 3,
      average: 4.33,
      distribution: [0, 0, 0, 2, 1],
    });
  });
});

describe('rating scale', () => {
  it('has a label and a description for each score 1..5', () => {
    expect(RATING_SCALE.map((level) => level.score)).toEqual([1, 2, 3, 4, 5]);
    for (const level of RATING_SCALE) {
      expect(level.label.length).toBeGreaterThan(0);
      expect(level.description.length).toBeGreaterThan(10);
    }
    expect(new Set(RATING_SCALE.map((l) => l.label)).size).toBe(5);
  });
});
