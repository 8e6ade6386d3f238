import {
  DEFAULT_QUEUE_THRESHOLD,
  type FactReview,
  HIGHEST_LOW_SCORE,
  InvalidInputError,
  notReviewed,
  type QueueThreshold,
  RATING_SCALE,
  rankForReview,
  recordReport,
  reportTallyDelta,
  type ReportReason,
  resolveReview,
  takeUpReview,
  wilsonLowerBound,
} from '../../src/model';

type Distribution = [number, number, number, number, number];
const NO_RATINGS: Distribution = [0, 0, 0, 0, 0];
const threshold: QueueThreshold = DEFAULT_QUEUE_THRESHOLD;
const now = new Date(Date.UTC(2026, 11, 7, 12));
const ctx = { now, newId: () => 'review-1' };
const fact = { factId: 'fact-1', titleId: 'title-1' };

/** A review with these open reports: [reason, has a source]. */
function reported(...reports: Array<[ReportReason, boolean]>): FactReview {
  return reports.reduce(
    (review, [reason, sourced]) =>
      recordReport(review, reportTallyDelta(null, { reason, sourceUrl: sourced ? 'x' : null })),
    notReviewed(),
  );
}

/** `low` ratings of 1 and `high` ratings of 5. */
const ratings = (low: number, high: number): Distribution => [low, 0, 0, 0, high];

/** The field a refused transition names. */
function refusedField(transition: () => unknown): string {
  try {
    transition();
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidInputError);
    return (error as InvalidInputError).field;
  }
  throw new Error('the transition was allowed');
}

describe('wilsonLowerBound', () => {
  it.each([
    [0, 0, 0],
    [0, 10, 0],
    [5, 10, 0.2366],
    [10, 10, 0.7225],
    [60, 100, 0.502],
    [22, 40, 0.3983],
  ])('gives %i of %i the known lower bound %d', (successes, trials, bound) => {
    expect(wilsonLowerBound(successes, trials)).toBeCloseTo(bound, 4);
  });

  it('equals n / (n + z²) when every trial succeeds', () => {
    expect(wilsonLowerBound(25, 25)).toBeCloseTo(25 / (25 + 1.96 ** 2), 10);
  });

  it('ranks a share higher the more ratings back it', () => {
    expect(wilsonLowerBound(1, 2)).toBeLessThan(wilsonLowerBound(5, 10));
    expect(wilsonLowerBound(2, 2)).toBeLessThan(wilsonLowerBound(60, 100));
    expect(wilsonLowerBound(5, 10)).toBeLessThan(wilsonLowerBound(50, 100));
  });
});

describe('rankForReview', () => {
  it('counts the scale’s two inaccurate levels as low scores', () => {
    const low = RATING_SCALE.filter((level) => level.score <= HIGHEST_LOW_SCORE);
    expect(low.map((level) => level.label)).toEqual(['Inaccurate', 'Mostly inaccurate']);
    expect(rankForReview(notReviewed(), [3, 4, 9, 9, 9]).figures).toMatchObject({
      ratings: 34,
      lowRatings: 7,
    });
  });

  it('puts 3 reports with sources above 1 without', () => {
    const sourced = rankForReview(
      reported(['INACCURATE', true], ['INACCURATE', true], ['MISLEADING', true]),
      NO_RATINGS,
    );
    const plain = rankForReview(reported(['INACCURATE', false]), NO_RATINGS);
    expect(sourced.priority).toBeGreaterThan(plain.priority);
    expect(sourced.figures).toMatchObject({ openReports: 3, reportsWithSource: 3 });
  });

  it('puts a sourced report above an unsourced one, and weighs reasons', () => {
    const rank = (reason: ReportReason, sourced: boolean) =>
      rankForReview(reported([reason, sourced]), NO_RATINGS).priority;
    expect(rank('INACCURATE', true)).toBeGreaterThan(rank('INACCURATE', false));
    expect(rank('INACCURATE', false)).toBeGreaterThan(rank('UNVERIFIABLE', false));
  });

  it('puts many low ratings above few at the same share', () => {
    const many = rankForReview(notReviewed(), ratings(60, 40));
    const few = rankForReview(notReviewed(), ratings(3, 2));
    expect(many.priority).toBeGreaterThan(few.priority);
  });

  it('gives the worked example of docs/reviews.md', () => {
    const review = reported(['INACCURATE', true], ['INACCURATE', true], ['MISLEADING', false]);
    const { figures, queued } = rankForReview(review, [14, 8, 6, 7, 5]);
    expect(queued).toBe(true);
    expect(figures.ratings).toBe(40);
    expect(figures.lowRatings).toBe(22);
    expect(figures.lowShareLowerBound).toBeCloseTo(0.3983, 4);
    expect(figures.reportWeight).toBe(5);
    expect(figures.reportsPart).toBeCloseTo(5 / 7, 10);
    expect(figures.priority).toBeCloseTo(0.5563, 4);
  });

  it('queues a fact by an open report, or by ratings over the threshold, not otherwise', () => {
    expect(rankForReview(notReviewed(), NO_RATINGS).queued).toBe(false);
    expect(rankForReview(reported(['OTHER', false]), NO_RATINGS).queued).toBe(true);
    // 9 ratings, all low: fewer than minRatings (10).
    expect(rankForReview(notReviewed(), ratings(9, 0)).queued).toBe(false);
    expect(rankForReview(notReviewed(), ratings(10, 0)).queued).toBe(true);
    // 5 low of 10: lower bound 0.24, under minLowerBound (0.3).
    expect(rankForReview(notReviewed(), ratings(5, 5)).queued).toBe(false);
    expect(
      rankForReview(notReviewed(), ratings(5, 5), { ...threshold, minLowerBound: 0.2 }).queued,
    ).toBe(true);
  });
});

describe('review transitions', () => {
  it('refuses to take up or resolve a fact that is not in the queue', () => {
    expect(refusedField(() => takeUpReview(notReviewed(), NO_RATINGS, threshold, now))).toBe(
      'factId',
    );
    expect(
      refusedField(() =>
        resolveReview(ctx, notReviewed(), NO_RATINGS, threshold, {
          ...fact,
          outcome: 'DISMISSED',
        }),
      ),
    ).toBe('factId');
  });

  it('leaves a reported fact NOT_REVIEWED until an editor takes it up', () => {
    const review = reported(['INACCURATE', false], ['INACCURATE', false], ['OTHER', false]);
    expect(review.status).toBe('NOT_REVIEWED');
    const takenUp = takeUpReview(review, NO_RATINGS, threshold, now);
    expect(takenUp).toMatchObject({ status: 'UNDER_REVIEW', takenUpAt: now });
    expect(refusedField(() => takeUpReview(takenUp, NO_RATINGS, threshold, now))).toBe('factId');
  });

  it('keeps a fact under review in the queue though its reports are gone', () => {
    const takenUp = takeUpReview(notReviewed(), ratings(10, 0), threshold, now);
    expect(rankForReview(takenUp, NO_RATINGS).queued).toBe(true);
  });

  it('resolves with an outcome and date, closing the reports and answering the ratings', () => {
    const distribution = ratings(10, 2);
    const review = takeUpReview(reported(['INACCURATE', true]), distribution, threshold, now);
    const result = resolveReview(ctx, review, distribution, threshold, {
      ...fact,
      outcome: 'CORRECTED',
      note: '  Changed to the interview’s wording. ',
    });
    expect(result.resolution).toEqual({
      id: 'review-1',
      ...fact,
      outcome: 'CORRECTED',
      note: 'Changed to the interview’s wording.',
      resolvedAt: now,
    });
    expect(result.review).toMatchObject({
      status: 'REVIEWED',
      outcome: 'CORRECTED',
      reviewedAt: now,
      reviewId: 'review-1',
      takenUpAt: null,
      reports: { open: 0, withSource: 0 },
    });
    // The same ratings no longer queue it; new low ratings count from the review on.
    expect(rankForReview(result.review, distribution).queued).toBe(false);
    const later = rankForReview(result.review, [20, 0, 0, 0, 2]);
    expect(later.figures).toMatchObject({ ratings: 10, lowRatings: 10 });
    expect(later.queued).toBe(true);
  });

  it('reopens a reviewed entry on a later report, still showing the last outcome', () => {
    const review = reported(['MISLEADING', false]);
    const { review: reviewed } = resolveReview(ctx, review, NO_RATINGS, threshold, {
      ...fact,
      outcome: 'CONFIRMED_ACCURATE',
    });
    const reopened = recordReport(
      reviewed,
      reportTallyDelta(null, { reason: 'OUTDATED', sourceUrl: null }),
    );
    expect(rankForReview(reopened, NO_RATINGS).queued).toBe(true);
    expect(reopened).toMatchObject({
      status: 'REVIEWED',
      outcome: 'CONFIRMED_ACCURATE',
      reviewedAt: now,
    });
    expect(takeUpReview(reopened, NO_RATINGS, threshold, now).status).toBe('UNDER_REVIEW');
  });

  it('names the field of a bad outcome or note', () => {
    const review = reported(['OTHER', false]);
    const resolve = (input: { outcome: string; note?: string }) => () =>
      resolveReview(ctx, review, NO_RATINGS, threshold, { ...fact, ...input });
    expect(refusedField(resolve({ outcome: 'FIXED' }))).toBe('outcome');
    expect(refusedField(resolve({ outcome: 'DISMISSED', note: 'n'.repeat(1001) }))).toBe('note');
  });

  it('keeps the tally exact when a voter replaces a report', () => {
    const first = reportTallyDelta(null, { reason: 'INACCURATE', sourceUrl: 'x' });
    const replaced = reportTallyDelta(
      { reason: 'INACCURATE', sourceUrl: 'x' },
      { reason: 'OTHER', sourceUrl: null },
    );
    const review = recordReport(recordReport(notReviewed(), first), replaced);
    expect(review.reports).toMatchObject({ open: 1, withSource: 0 });
    expect(review.reports.byReason).toMatchObject({ INACCURATE: 0, OTHER: 1 });
  });
});
