/**
 * The store contract of the reviews role (src/store/port/reviews.ts): reports
 * and their tallies, the review queue (stored rank, keyset pages, filters,
 * threshold), editors' transitions with their audit records and title edits.
 * Run against every adapter by describeStoreContract (store-contract.ts).
 *
 * Adapter-neutral: every case goes through the port only. Ids that a caller
 * makes (resolutions, change records) are random store ids, so "id order" is
 * checked against the ids themselves, never against the order of writes.
 */
import {
  type ChangeOperation,
  DEFAULT_QUEUE_THRESHOLD,
  type EditContext,
  type FactReview,
  InvalidInputError,
  notReviewed,
  type QueueThreshold,
  rankForReview,
  type RatingTarget,
  type ReportInput,
  type ReportRecord,
  removeFact,
  resolveReview,
  RevisionConflictError,
  reviewChange,
  type ReviewOutcome,
  type ReviewResolution,
  type ReviewStatus,
  takeUpReview,
  tallyOf,
  updateFact,
  validateReport,
} from '../../src/model';
import { newStoreId } from '../../src/store/ids';
import {
  type ReportWrite,
  type ReviewQueueEntry,
  type ReviewQueueQuery,
  ReviewRecordConflictError,
  type ReviewRecords,
  type ReviewTransition,
  type Store,
  type TitleEdit,
} from '../../src/store/port';
import { catalogOf, seedStore } from '../fixtures/catalog';
import { describeStoreContract, fact, shuffled, STORE_ID, title } from './store-contract';

/** Two titles: alpha (facts alpha-1..6) and beta (beta-1..3); a fact id starts with its title's. */
const catalog = () =>
  catalogOf({
    titles: [title('alpha'), title('beta')],
    facts: [
      ...[1, 2, 3, 4, 5, 6].map((n) => fact(`alpha-${n}`, 'alpha', 'BEHIND_THE_SCENES', n)),
      ...[1, 2, 3].map((n) => fact(`beta-${n}`, 'beta', 'DID_YOU_KNOW', n)),
    ],
  });
const titleOf = (factId: string) => factId.split('-')[0];
const at = (minute: number) => new Date(Date.UTC(2026, 11, 10, 0, minute));
const voter = (n: number) => `voter-${String(n).padStart(3, '0')}`;
const ctx = (now: Date) => ({ now, newId: newStoreId });
const editCtx = (operation: ChangeOperation, now: Date): EditContext => ({
  ...ctx(now),
  operation,
});

function reportOf(
  factId: string,
  voterId: string,
  reason: ReportInput['reason'],
  extra: Omit<ReportInput, 'voterId' | 'reason'> = {},
): ReportWrite {
  return {
    factId,
    titleId: titleOf(factId),
    report: validateReport({ voterId, reason, ...extra }),
  };
}

const factTarget = (factId: string): RatingTarget => ({
  kind: 'FACT',
  titleId: titleOf(factId),
  factId,
});

/** An editor takes the fact up (model takeUpReview), with its change record. */
const takeUp =
  (factId: string, now: Date): ReviewTransition =>
  ({ review, distribution }) => {
    const next = takeUpReview(review, distribution, DEFAULT_QUEUE_THRESHOLD, now);
    const about = { factId, titleId: titleOf(factId) };
    return {
      review: next,
      resolution: null,
      change: reviewChange(ctx(now), about, review, next, null),
    };
  };

/** An editor resolves the fact (model resolveReview), with its change record. */
const resolve =
  (
    factId: string,
    outcome: ReviewOutcome,
    now: Date,
    note: string | null = null,
  ): ReviewTransition =>
  ({ review, distribution }) => {
    const about = { factId, titleId: titleOf(factId) };
    const resolved = resolveReview(ctx(now), review, distribution, DEFAULT_QUEUE_THRESHOLD, {
      ...about,
      outcome,
      note,
    });
    return {
      ...resolved,
      change: reviewChange(ctx(now), about, review, resolved.review, resolved.resolution),
    };
  };

/** A title edit setting a fact's text, expecting the fact at `revision`. */
const setText = (factId: string, text: string, now: Date, revision = 1): TitleEdit => ({
  titleId: titleOf(factId),
  apply: (current) => updateFact(editCtx('UPDATE_FACT', now), current!, factId, { text }, revision),
});

describeStoreContract('reviews', (contract) => {
  const { name } = contract;
  let store: Store;
  beforeEach(async () => {
    store = contract.store;
    await seedStore(store, catalog());
  });

  // ---- helpers on the store ------------------------------------------------------

  const file = (write: ReportWrite, now: Date) => store.fileReport(write, now);
  const reviewOf = async (factId: string) => (await store.reviewsOfFacts([factId]))[0];
  const distributionOf = async (factId: string) =>
    (await store.aggregatesByTargets([`fact:${factId}`]))[0].distribution;
  const queue = async (query: Partial<ReviewQueueQuery> = {}) =>
    (await store.reviewQueue({ first: 100, ...query })).items.map((entry) => entry.factId);
  /** Every page of a query, `first` at a time, following each page's last entry. */
  const walk = async (query: Omit<ReviewQueueQuery, 'first'>, first: number) => {
    const pages: Array<{ ids: string[]; hasNextPage: boolean }> = [];
    let after = query.after ?? null;
    for (;;) {
      const page = await store.reviewQueue({ ...query, first, after });
      pages.push({ ids: page.items.map((e) => e.factId), hasNextPage: page.hasNextPage });
      if (!page.hasNextPage) return pages;
      expect(pages.length).toBeLessThan(50);
      const last = page.items[page.items.length - 1];
      after = { priority: last.rank.priority, factId: last.factId };
    }
  };
  const cursorOf = (entry: ReviewQueueEntry) => ({
    priority: entry.rank.priority,
    factId: entry.factId,
  });
  /**
   * The rank a fact has from its review and distribution as stored, under
   * `threshold`: what its queue entry must show, and the priority its keyset
   * position must have (checked through the cursor: listed after (p, ''), not
   * after (p, factId), so stored priority = p exactly).
   */
  const expectConsistentRank = async (
    factId: string,
    threshold: QueueThreshold = DEFAULT_QUEUE_THRESHOLD,
  ) => {
    const review = await reviewOf(factId);
    const rank = rankForReview(review, await distributionOf(factId), threshold);
    const entries = (await store.reviewQueue({ titleId: titleOf(factId), first: 100 })).items;
    const entry = entries.find((e) => e.factId === factId);
    if (!rank.queued) {
      expect(entry).toBeUndefined();
      return rank;
    }
    expect(entry).toEqual({ factId, titleId: titleOf(factId), review, rank });
    const { priority } = rank;
    expect(await queue({ titleId: titleOf(factId), after: { priority, factId: '' } })).toContain(
      factId,
    );
    expect(await queue({ titleId: titleOf(factId), after: { priority, factId } })).not.toContain(
      factId,
    );
    return rank;
  };
  const rate = (factId: string, voterId: string, score: number, now = at(0)) =>
    store.upsertRating({ target: factTarget(factId), voterId, score, comment: null }, now);
  /** Rates a fact with these scores, one voter each (voters from `firstVoter` on). */
  const rateWith = (factId: string, scores: number[], firstVoter = 500) =>
    Promise.all(scores.map((score, i) => rate(factId, voter(firstVoter + i), score)));
  const collect = async <T>(items: AsyncIterable<T>) => {
    const out: T[] = [];
    for await (const item of items) out.push(item);
    return out;
  };
  /** Everything the reviews role and the audit trail show of the alpha title. */
  const snapshot = async () => ({
    reviews: await store.reviewsOfFacts(['alpha-1', 'alpha-2', 'alpha-5']),
    open: await store.openReportsOfFacts(['alpha-1', 'alpha-2', 'alpha-5']),
    reports: await collect(store.allReports()),
    resolutions: await collect(store.allResolutions()),
    queue: await store.reviewQueue({ first: 100 }),
    changes: await store.changesOfTitle('alpha', { first: 100 }),
    facts: await store.factsByTitleIds(['alpha']),
  });

  // ---- reports -------------------------------------------------------------------

  describe('fileReport', () => {
    it('files a report, then replaces the open one (same id and createdAt), moving the tally by the difference', async () => {
      const first = await file(
        reportOf('alpha-1', voter(1), 'INACCURATE', {
          note: '  The year is wrong  ',
          sourceUrl: 'https://example.org/a',
        }),
        at(1),
      );
      expect(first.created).toBe(true);
      expect(first.report).toEqual({
        id: expect.stringMatching(STORE_ID),
        factId: 'alpha-1',
        titleId: 'alpha',
        voterId: voter(1),
        reason: 'INACCURATE',
        note: 'The year is wrong',
        sourceUrl: 'https://example.org/a',
        suggestedText: null,
        createdAt: at(1),
        updatedAt: at(1),
        state: 'OPEN',
        closedBy: null,
      });
      expect(first.review).toEqual({
        ...notReviewed(),
        reports: {
          open: 1,
          byReason: { INACCURATE: 1, MISLEADING: 0, OUTDATED: 0, UNVERIFIABLE: 0, OTHER: 0 },
          withSource: 1,
        },
      });

      const second = await file(
        reportOf('alpha-1', voter(1), 'OUTDATED', { suggestedText: 'Filmed in 2021' }),
        at(2),
      );
      expect(second.created).toBe(false);
      expect(second.report).toEqual({
        ...first.report,
        reason: 'OUTDATED',
        note: null,
        sourceUrl: null,
        suggestedText: 'Filmed in 2021',
        updatedAt: at(2),
      });
      expect(second.review.reports).toEqual({
        open: 1,
        byReason: { INACCURATE: 0, MISLEADING: 0, OUTDATED: 1, UNVERIFIABLE: 0, OTHER: 0 },
        withSource: 0,
      });

      const other = await file(reportOf('alpha-1', voter(2), 'MISLEADING'), at(3));
      expect(other.created).toBe(true);
      expect(other.report.id).not.toBe(first.report.id);
      expect(other.review.reports.open).toBe(2);

      expect(await store.reportsByIds([first.report.id])).toEqual([second.report]);
      expect(await store.reviewsOfFacts(['alpha-1'])).toEqual([other.review]);
      const [open] = await store.openReportsOfFacts(['alpha-1']);
      expect(open).toEqual([other.report, second.report]);
      expect(other.review.reports).toEqual(tallyOf(open));
      // Reports of one fact leave the others alone.
      expect(await store.reviewsOfFacts(['alpha-2'])).toEqual([notReviewed()]);
    });

    it(`keeps the tally equal to a recount after 30 concurrent reports from 10 voters on one fact`, async () => {
      const reasons = ['INACCURATE', 'MISLEADING', 'OUTDATED', 'UNVERIFIABLE', 'OTHER'] as const;
      const submitted = new Map<string, Array<Pick<ReportRecord, 'reason' | 'sourceUrl'>>>();
      const writes: ReportWrite[] = [];
      for (let v = 0; v < 10; v++) {
        for (let k = 0; k < 3; k++) {
          const reason = reasons[(v + k) % reasons.length];
          const sourceUrl = (v + k) % 2 === 0 ? `https://example.org/${v}/${k}` : null;
          writes.push(reportOf('alpha-1', voter(v), reason, { sourceUrl }));
          submitted.set(voter(v), [...(submitted.get(voter(v)) ?? []), { reason, sourceUrl }]);
        }
      }
      const started = Date.now();
      const results = await Promise.all(
        shuffled(writes).map((write, i) => file(write, new Date(at(1).getTime() + i))),
      );
      console.log(
        `[${name}] 30 concurrent reports (10 voters, one fact) in ${Date.now() - started} ms`,
      );

      expect(results.filter((r) => r.created)).toHaveLength(10);
      const [open] = await store.openReportsOfFacts(['alpha-1']);
      expect(open).toHaveLength(10);
      expect(new Set(open.map((r) => r.voterId)).size).toBe(10);
      for (const report of open) {
        expect(submitted.get(report.voterId)).toContainEqual({
          reason: report.reason,
          sourceUrl: report.sourceUrl,
        });
      }
      // No closed or duplicate report was left behind by a race.
      expect(await collect(store.allReports())).toHaveLength(10);
      const review = await reviewOf('alpha-1');
      expect(review).toEqual({ ...notReviewed(), reports: tallyOf(open) });
      await expectConsistentRank('alpha-1');
    });

    it('leaves one OPEN report per voter and fact under concurrency, with ratings written meanwhile', async () => {
      const writes: Array<() => Promise<unknown>> = [];
      for (const factId of ['alpha-1', 'alpha-2']) {
        for (let v = 0; v < 5; v++) {
          for (let k = 0; k < 4; k++) {
            const reason = k % 2 === 0 ? 'INACCURATE' : 'OTHER';
            writes.push(() => file(reportOf(factId, voter(v), reason), at(1)));
          }
        }
        for (let v = 0; v < 12; v++) writes.push(() => rate(factId, voter(100 + v), 1 + (v % 2)));
      }
      await Promise.all(shuffled(writes, 7).map((write) => write()));

      const open = await store.openReportsOfFacts(['alpha-1', 'alpha-2']);
      for (const reports of open) {
        expect(reports.map((r) => r.voterId).sort()).toEqual([0, 1, 2, 3, 4].map(voter));
      }
      expect(await collect(store.allReports())).toHaveLength(10);
      const reviews = await store.reviewsOfFacts(['alpha-1', 'alpha-2']);
      expect(reviews.map((r) => r.reports)).toEqual(open.map((reports) => tallyOf(reports)));
      // The stored rank caught up with every report and rating.
      await expectConsistentRank('alpha-1');
      await expectConsistentRank('alpha-2');
    });
  });

  describe('reads', () => {
    it('reviewsOfFacts answers in id order, notReviewed() where nothing was kept', async () => {
      const filed = await file(reportOf('alpha-2', voter(1), 'OTHER'), at(1));
      expect(await store.reviewsOfFacts(['no-such-fact', 'alpha-2', 'alpha-1'])).toEqual([
        notReviewed(),
        filed.review,
        notReviewed(),
      ]);
      expect(await store.reviewsOfFacts([])).toEqual([]);
      // A fact queued by ratings alone has a review row, and it is still the default.
      await rateWith('alpha-3', [1, 1, 1, 1, 1, 1, 1, 1, 5, 5]);
      expect(await store.reviewsOfFacts(['alpha-3'])).toEqual([notReviewed()]);
    });

    it('openReportsOfFacts lists each fact newest first (updatedAt, then id, descending)', async () => {
      const a = await file(reportOf('alpha-1', voter(1), 'INACCURATE'), at(1));
      const b = await file(reportOf('alpha-1', voter(2), 'MISLEADING'), at(2));
      const c = await file(reportOf('alpha-1', voter(3), 'OTHER'), at(3));
      const aAgain = await file(reportOf('alpha-1', voter(1), 'OUTDATED'), at(4));
      const d = await file(reportOf('alpha-1', voter(4), 'OTHER'), at(5));
      const e = await file(reportOf('alpha-1', voter(5), 'OTHER'), at(5));
      const f = await file(reportOf('alpha-2', voter(1), 'OTHER'), at(6));
      const sameTime = [d.report, e.report].sort((x, y) => (x.id < y.id ? 1 : -1));

      expect(await store.openReportsOfFacts(['alpha-2', 'no-such-fact', 'alpha-1'])).toEqual([
        [f.report],
        [],
        [...sameTime, aAgain.report, c.report, b.report],
      ]);
      expect(a.report.id).toBe(aAgain.report.id);
      expect(await store.openReportsOfFacts([])).toEqual([]);
    });

    it('reportsByIds answers in id order, null for unknown ids', async () => {
      const a = await file(reportOf('alpha-1', voter(1), 'INACCURATE'), at(1));
      const b = await file(reportOf('beta-1', voter(1), 'OTHER', { note: 'Hmm' }), at(2));
      expect(await store.reportsByIds([b.report.id, 'no-such-report', a.report.id])).toEqual([
        b.report,
        null,
        a.report,
      ]);
      expect(await store.reportsByIds([newStoreId()])).toEqual([null]);
      expect(await store.reportsByIds([])).toEqual([]);
    });

    it('allReports and allResolutions give every record once, in id order', async () => {
      const filed = new Map<string, ReportRecord>();
      for (let v = 0; v < 150; v++) {
        const factId = `alpha-${1 + (v % 5)}`;
        const { report } = await file(reportOf(factId, voter(v), 'INACCURATE'), at(1));
        filed.set(report.id, report);
      }
      const replaced = await file(reportOf('alpha-1', voter(0), 'OTHER'), at(2));
      filed.set(replaced.report.id, replaced.report);

      const resolutions: ReviewResolution[] = [];
      for (const factId of ['alpha-2', 'alpha-3', 'alpha-4']) {
        const outcome = await store.transitionReview(
          factId,
          'alpha',
          resolve(factId, 'DISMISSED', at(3)),
        );
        resolutions.push(outcome.resolution!);
      }
      const closed = await store.reportsByIds([...filed.keys()]);
      for (const report of closed) filed.set(report!.id, report!);

      const reports = await collect(store.allReports());
      expect(reports.map((r) => r.id)).toEqual([...filed.keys()].sort());
      expect(reports).toEqual([...filed.keys()].sort().map((id) => filed.get(id)));
      expect(reports.filter((r) => r.state === 'CLOSED')).toHaveLength(90);

      const stored = await collect(store.allResolutions());
      expect(stored).toEqual([...resolutions].sort((x, y) => (x.id < y.id ? -1 : 1)));
    });
  });

  // ---- the queue -----------------------------------------------------------------

  describe('reviewQueue', () => {
    /**
     * alpha-1 0.25 (INACCURATE with a source), alpha-2 0.25 (two INACCURATE),
     * beta-1 1/6 (INACCURATE), alpha-3 0.136 (OUTDATED), alpha-4 and beta-2
     * 0.1 (UNVERIFIABLE, OTHER); alpha-5, alpha-6 and beta-3 not queued.
     */
    const fileQueue = async () => {
      await file(
        reportOf('alpha-1', voter(1), 'INACCURATE', { sourceUrl: 'https://a.org' }),
        at(1),
      );
      await file(reportOf('alpha-2', voter(1), 'INACCURATE'), at(1));
      await file(reportOf('alpha-2', voter(2), 'INACCURATE'), at(1));
      await file(reportOf('beta-1', voter(1), 'INACCURATE'), at(1));
      await file(reportOf('alpha-3', voter(1), 'OUTDATED'), at(1));
      await file(reportOf('beta-2', voter(1), 'OTHER'), at(1));
      await file(reportOf('alpha-4', voter(1), 'UNVERIFIABLE'), at(1));
    };
    const ORDER = ['alpha-1', 'alpha-2', 'beta-1', 'alpha-3', 'alpha-4', 'beta-2'];

    it('lists queued facts by priority, then fact id, with their review and rank', async () => {
      await fileQueue();
      const page = await store.reviewQueue({ first: 100 });
      expect(page.hasNextPage).toBe(false);
      expect(page.items.map((e) => e.factId)).toEqual(ORDER);
      const reviews = await store.reviewsOfFacts(ORDER);
      expect(page.items).toEqual(
        ORDER.map((factId, i) => ({
          factId,
          titleId: titleOf(factId),
          review: reviews[i],
          rank: rankForReview(reviews[i], [0, 0, 0, 0, 0]),
        })),
      );
      expect(page.items.map((e) => e.rank.priority)).toEqual([
        0.25,
        0.25,
        1 / 6,
        0.75 / 2.75 / 2,
        0.1,
        0.1,
      ]);
      expect(page.items[0].rank.figures).toEqual({
        ratings: 0,
        lowRatings: 0,
        lowShareLowerBound: 0,
        openReports: 1,
        reportsWithSource: 1,
        reportWeight: 2,
        reportsPart: 0.5,
        priority: 0.25,
      });
    });

    it('pages by keyset: each page after the previous one, hasNextPage from one more', async () => {
      await fileQueue();
      expect(await walk({}, 2)).toEqual([
        { ids: ['alpha-1', 'alpha-2'], hasNextPage: true },
        { ids: ['beta-1', 'alpha-3'], hasNextPage: true },
        { ids: ['alpha-4', 'beta-2'], hasNextPage: false },
      ]);
      expect(await walk({}, 4)).toEqual([
        { ids: ORDER.slice(0, 4), hasNextPage: true },
        { ids: ORDER.slice(4), hasNextPage: false },
      ]);
      // Within equal priorities, the cursor's fact id decides.
      expect(await queue({ after: { priority: 0.25, factId: 'alpha-1' } })).toEqual(ORDER.slice(1));
      expect(await queue({ after: { priority: 0.1, factId: 'alpha-4' } })).toEqual(['beta-2']);
      expect(await queue({ after: { priority: 0.1, factId: 'beta-2' } })).toEqual([]);
      // A cursor need not name a listed entry.
      expect(await queue({ after: { priority: 0.2, factId: 'zzz' } })).toEqual(ORDER.slice(2));
    });

    it('filters by title and by status, alone and together', async () => {
      await fileQueue();
      expect(await walk({ titleId: 'alpha' }, 3)).toEqual([
        { ids: ['alpha-1', 'alpha-2', 'alpha-3'], hasNextPage: true },
        { ids: ['alpha-4'], hasNextPage: false },
      ]);
      expect(await queue({ titleId: 'beta' })).toEqual(['beta-1', 'beta-2']);
      expect(await queue({ titleId: 'no-such-title' })).toEqual([]);

      await store.transitionReview('alpha-3', 'alpha', takeUp('alpha-3', at(2)));
      await store.transitionReview('beta-2', 'beta', resolve('beta-2', 'DISMISSED', at(3)));
      await file(reportOf('beta-2', voter(2), 'OTHER'), at(4)); // back in the queue, REVIEWED

      const under: ReviewStatus = 'UNDER_REVIEW';
      expect(await queue({ status: under })).toEqual(['alpha-3']);
      expect(await queue({ status: under, titleId: 'alpha' })).toEqual(['alpha-3']);
      expect(await queue({ status: under, titleId: 'beta' })).toEqual([]);
      expect(await queue({ status: 'REVIEWED' })).toEqual(['beta-2']);
      expect(await walk({ status: 'NOT_REVIEWED' }, 2)).toEqual([
        { ids: ['alpha-1', 'alpha-2'], hasNextPage: true },
        { ids: ['beta-1', 'alpha-4'], hasNextPage: false },
      ]);
      expect(await walk({ status: 'NOT_REVIEWED', titleId: 'alpha' }, 2)).toEqual([
        { ids: ['alpha-1', 'alpha-2'], hasNextPage: true },
        { ids: ['alpha-4'], hasNextPage: false },
      ]);
      // Null filters are no filters.
      expect(await queue({ status: null, titleId: null })).toHaveLength(ORDER.length);
    });

    it('keeps the pages after the first when ratings and reports raise other entries or add new ones', async () => {
      await fileQueue();
      const first = await store.reviewQueue({ first: 2 });
      expect(first.items.map((e) => e.factId)).toEqual(['alpha-1', 'alpha-2']);
      const cursor = cursorOf(first.items[1]);

      // alpha-4 (0.1) rises to the top on three reports with sources...
      for (const v of [2, 3, 4]) {
        await file(
          reportOf('alpha-4', voter(v), 'INACCURATE', { sourceUrl: 'https://b.org' }),
          at(2),
        );
      }
      // ...alpha-3 (0.136) on ten low ratings; alpha-6 enters on ratings alone (0.36),
      // beta-3 on a report (0.1), after every entry still there.
      await rateWith('alpha-3', Array(10).fill(1));
      await rateWith('alpha-6', Array(10).fill(1));
      await file(reportOf('beta-3', voter(1), 'OTHER'), at(2));

      expect(await queue()).toEqual([
        'alpha-3',
        'alpha-4',
        'alpha-6',
        'alpha-1',
        'alpha-2',
        'beta-1',
        'beta-2',
        'beta-3',
      ]);
      // From the first page's cursor: every entry that did not move, none twice; the
      // ones that rose above the cursor are behind the reader, the new one in its place.
      expect(await walk({ after: cursor }, 2)).toEqual([
        { ids: ['beta-1', 'beta-2'], hasNextPage: true },
        { ids: ['beta-3'], hasNextPage: false },
      ]);
      for (const factId of ['alpha-3', 'alpha-4', 'alpha-6', 'beta-3']) {
        await expectConsistentRank(factId);
      }
    });
  });

  describe('the queue threshold', () => {
    it('queues a fact whose ratings cross the default threshold (8 low of 10), not 5 of 10 nor 9 of 9', async () => {
      await rateWith('alpha-1', [1, 2, 1, 2, 1, 2, 1, 1, 5, 4]);
      await rateWith('alpha-2', [1, 2, 1, 2, 1, 5, 5, 4, 3, 5]);
      await rateWith('alpha-3', [1, 1, 1, 1, 1, 1, 1, 1, 1]);

      expect(await queue()).toEqual(['alpha-1']);
      const rank = await expectConsistentRank('alpha-1');
      expect(rank.figures).toMatchObject({ ratings: 10, lowRatings: 8, openReports: 0 });
      expect(rank.figures.lowShareLowerBound).toBeCloseTo(0.49, 2);

      // The tenth rating, and re-ratings, re-rank the fact in the same write.
      await rate('alpha-3', voter(900), 2);
      expect(await queue()).toEqual(['alpha-3', 'alpha-1']);
      for (const v of [500, 501, 502]) await rate('alpha-1', voter(v), 5);
      expect(await queue()).toEqual(['alpha-3']);
      await expectConsistentRank('alpha-1');
      await expectConsistentRank('alpha-3');
    });

    it('re-flags every fact when the threshold changes, and ranks later writes with the new one', async () => {
      const lenient: QueueThreshold = { minRatings: 10, minLowerBound: 0.2 };
      const strict: QueueThreshold = { minRatings: 20, minLowerBound: 0.3 };
      await rateWith('alpha-1', [1, 2, 1, 2, 1, 2, 1, 1, 5, 4]); // L 0.49
      await rateWith('alpha-2', [1, 2, 1, 2, 1, 5, 5, 4, 3, 5]); // L 0.24
      await file(reportOf('beta-2', voter(1), 'OTHER'), at(1));

      await store.useQueueThreshold(DEFAULT_QUEUE_THRESHOLD); // the same: nothing moves
      expect(await queue()).toEqual(['alpha-1', 'beta-2']);

      await store.useQueueThreshold(lenient);
      expect(await queue()).toEqual(['alpha-1', 'alpha-2', 'beta-2']);
      await expectConsistentRank('alpha-2', lenient);
      await rateWith('beta-1', [1, 2, 1, 2, 1, 5, 5, 4, 3, 5]);
      expect(await queue()).toEqual(['alpha-1', 'alpha-2', 'beta-1', 'beta-2']);

      await store.useQueueThreshold(strict);
      expect(await queue()).toEqual(['beta-2']); // a report queues whatever the threshold
      await store.useQueueThreshold(strict);
      expect(await queue()).toEqual(['beta-2']);

      await store.useQueueThreshold(DEFAULT_QUEUE_THRESHOLD);
      expect(await queue()).toEqual(['alpha-1', 'beta-2']);
      await expectConsistentRank('alpha-1');
      await expectConsistentRank('beta-1');
    });
  });

  // ---- editors' transitions ----------------------------------------------------

  describe('transitionReview', () => {
    it('takes a queued fact up: UNDER_REVIEW, with its change record, still queued', async () => {
      await file(reportOf('alpha-1', voter(1), 'INACCURATE'), at(1));
      const before = await reviewOf('alpha-1');
      const outcome = await store.transitionReview('alpha-1', 'alpha', takeUp('alpha-1', at(2)));
      const taken: FactReview = { ...before, status: 'UNDER_REVIEW', takenUpAt: at(2) };
      expect(outcome).toEqual({ review: taken, resolution: null, edit: null });
      expect(await reviewOf('alpha-1')).toEqual(taken);
      expect(await queue({ status: 'UNDER_REVIEW' })).toEqual(['alpha-1']);
      await expectConsistentRank('alpha-1');

      const [change] = (await store.changesOfTitle('alpha', { first: 1 })).items;
      expect(change).toEqual({
        ...reviewChange(ctx(at(2)), { factId: 'alpha-1', titleId: 'alpha' }, before, taken, null),
        id: expect.stringMatching(STORE_ID),
      });
      expect(change.operation).toBe('TAKE_UP_REVIEW');
      expect(await store.changesByIds([change.id])).toEqual([change]);

      // Refused (by the model, inside the transition): nothing written.
      const changes = await store.changesOfTitle('alpha', { first: 100 });
      await expect(
        store.transitionReview('alpha-1', 'alpha', takeUp('alpha-1', at(3))),
      ).rejects.toThrow(InvalidInputError);
      await expect(
        store.transitionReview('alpha-5', 'alpha', takeUp('alpha-5', at(3))),
      ).rejects.toMatchObject({ name: 'InvalidInputError', field: 'factId' });
      expect(await store.reviewsOfFacts(['alpha-1', 'alpha-5'])).toEqual([taken, notReviewed()]);
      expect(await store.changesOfTitle('alpha', { first: 100 })).toEqual(changes);
    });

    it('resolves: closes the open reports with its id, records the change; a later report reopens the entry', async () => {
      const a = await file(
        reportOf('alpha-1', voter(1), 'INACCURATE', { sourceUrl: 'https://a.org' }),
        at(1),
      );
      const b = await file(reportOf('alpha-1', voter(2), 'MISLEADING'), at(2));
      const other = await file(reportOf('alpha-2', voter(1), 'OTHER'), at(2));
      await store.transitionReview('alpha-1', 'alpha', takeUp('alpha-1', at(3)));
      const before = await reviewOf('alpha-1');

      const outcome = await store.transitionReview(
        'alpha-1',
        'alpha',
        resolve('alpha-1', 'CONFIRMED_ACCURATE', at(4), '  Checked against the credits '),
      );
      const resolution = outcome.resolution!;
      expect(resolution).toEqual({
        id: expect.stringMatching(STORE_ID),
        factId: 'alpha-1',
        titleId: 'alpha',
        outcome: 'CONFIRMED_ACCURATE',
        note: 'Checked against the credits',
        resolvedAt: at(4),
      });
      const reviewed: FactReview = {
        ...notReviewed(),
        status: 'REVIEWED',
        outcome: 'CONFIRMED_ACCURATE',
        reviewedAt: at(4),
        reviewId: resolution.id,
      };
      expect(outcome).toEqual({ review: reviewed, resolution, edit: null });
      expect(await reviewOf('alpha-1')).toEqual(reviewed);

      const closed = (r: ReportRecord): ReportRecord => ({
        ...r,
        state: 'CLOSED',
        closedBy: resolution.id,
        updatedAt: at(4),
      });
      expect(await store.reportsByIds([a.report.id, b.report.id, other.report.id])).toEqual([
        closed(a.report),
        closed(b.report),
        other.report,
      ]);
      expect(await store.openReportsOfFacts(['alpha-1', 'alpha-2'])).toEqual([[], [other.report]]);
      expect(await queue()).toEqual(['alpha-2']);
      expect(await collect(store.allResolutions())).toEqual([resolution]);

      const [change] = (await store.changesOfTitle('alpha', { first: 1 })).items;
      expect(change).toEqual({
        ...reviewChange(
          ctx(at(4)),
          { factId: 'alpha-1', titleId: 'alpha' },
          before,
          reviewed,
          resolution,
        ),
        id: expect.stringMatching(STORE_ID),
      });
      expect(change).toMatchObject({ operation: 'RESOLVE_REVIEW', entityType: 'FACT_REVIEW' });

      // The voter's next report is a new one; the entry is back, still showing its outcome.
      const again = await file(reportOf('alpha-1', voter(1), 'OUTDATED'), at(5));
      expect(again.created).toBe(true);
      expect(again.report.id).not.toBe(a.report.id);
      expect(again.report.createdAt).toEqual(at(5));
      expect(again.review).toEqual({ ...reviewed, reports: tallyOf([again.report]) });
      expect(await queue({ status: 'REVIEWED' })).toEqual(['alpha-1']);
      await expectConsistentRank('alpha-1');
      expect(await store.reportsByIds([a.report.id])).toEqual([closed(a.report)]);

      // Taken up again from REVIEWED; resolving a fact that is not queued is refused.
      await store.transitionReview('alpha-1', 'alpha', takeUp('alpha-1', at(6)));
      expect((await reviewOf('alpha-1')).status).toBe('UNDER_REVIEW');
      await expect(
        store.transitionReview('alpha-5', 'alpha', resolve('alpha-5', 'DISMISSED', at(6))),
      ).rejects.toMatchObject({ field: 'factId' });
      expect(await collect(store.allResolutions())).toEqual([resolution]);
    });

    it('counts the ratings at resolution as answered: only later ones can queue the fact again', async () => {
      await rateWith('alpha-1', [1, 2, 1, 2, 1, 2, 1, 1, 5, 4]);
      expect(await queue()).toEqual(['alpha-1']);
      const distribution = await distributionOf('alpha-1');
      const outcome = await store.transitionReview(
        'alpha-1',
        'alpha',
        resolve('alpha-1', 'CONFIRMED_ACCURATE', at(2)),
      );
      expect(outcome.review.ratingsAtReview).toEqual(distribution);
      expect(await reviewOf('alpha-1')).toEqual(outcome.review);
      expect(await queue()).toEqual([]);

      await rateWith('alpha-1', [1, 1, 1, 1, 1, 1, 1, 1, 1], 600);
      expect(await queue()).toEqual([]); // 9 new ratings: fewer than 10
      await rate('alpha-1', voter(700), 1);
      expect(await queue()).toEqual(['alpha-1']);
      const rank = await expectConsistentRank('alpha-1');
      expect(rank.figures).toMatchObject({ ratings: 10, lowRatings: 10 });
    });

    it('applies a title edit with the transition, both or neither', async () => {
      const suggestion = 'Alpha was filmed in 2021';
      await file(reportOf('alpha-1', voter(1), 'INACCURATE', { suggestedText: suggestion }), at(1));
      const outcome = await store.transitionReview(
        'alpha-1',
        'alpha',
        resolve('alpha-1', 'CORRECTED', at(2)),
        setText('alpha-1', suggestion, at(2)),
      );
      expect(outcome.review).toMatchObject({ status: 'REVIEWED', outcome: 'CORRECTED' });
      expect(outcome.edit?.title?.facts.find((f) => f.id === 'alpha-1')).toMatchObject({
        text: suggestion,
        revision: 2,
      });
      expect(outcome.edit?.changes).toEqual([
        expect.objectContaining({ operation: 'UPDATE_FACT', entityId: 'alpha-1' }),
      ]);
      expect(await store.factsByIds(['alpha-1'])).toEqual([
        expect.objectContaining({ text: suggestion, revision: 2 }),
      ]);
      expect(await store.reviewsOfFacts(['alpha-1'])).toEqual([outcome.review]);
      const { items } = await store.changesOfTitle('alpha', { first: 2 });
      expect(items.map((c) => c.operation).sort()).toEqual(['RESOLVE_REVIEW', 'UPDATE_FACT']);
      expect(await store.openReportsOfFacts(['alpha-1'])).toEqual([[]]);
      expect(await queue()).toEqual([]);
    });

    it('writes nothing when the transition or the edit throws', async () => {
      await file(reportOf('alpha-1', voter(1), 'INACCURATE', { suggestedText: 'New text' }), at(1));
      await file(reportOf('alpha-2', voter(1), 'OTHER'), at(1));
      const before = await snapshot();

      const boom: ReviewTransition = () => {
        throw new Error('the transition failed');
      };
      await expect(
        store.transitionReview('alpha-1', 'alpha', boom, setText('alpha-1', 'New text', at(2))),
      ).rejects.toThrow('the transition failed');
      expect(await snapshot()).toEqual(before);

      // The edit expects a revision the fact does not have: refused, and the resolution with it.
      await expect(
        store.transitionReview(
          'alpha-1',
          'alpha',
          resolve('alpha-1', 'CORRECTED', at(3)),
          setText('alpha-1', 'New text', at(3), 7),
        ),
      ).rejects.toThrow(RevisionConflictError);
      expect(await snapshot()).toEqual(before);

      const throwingEdit: TitleEdit = {
        titleId: 'alpha',
        apply: () => {
          throw new Error('the edit failed');
        },
      };
      await expect(
        store.transitionReview(
          'alpha-1',
          'alpha',
          resolve('alpha-1', 'CORRECTED', at(4)),
          throwingEdit,
        ),
      ).rejects.toThrow('the edit failed');
      expect(await snapshot()).toEqual(before);
    });

    it('resolves REMOVED with the edit removing the fact: it leaves the queue', async () => {
      await file(reportOf('alpha-1', voter(1), 'INACCURATE'), at(1));
      await file(reportOf('alpha-2', voter(1), 'INACCURATE'), at(1));
      const outcome = await store.transitionReview(
        'alpha-1',
        'alpha',
        resolve('alpha-1', 'REMOVED', at(2)),
        {
          titleId: 'alpha',
          apply: (c) => removeFact(editCtx('REMOVE_FACT', at(2)), c!, 'alpha-1'),
        },
      );
      expect(outcome.review).toMatchObject({ status: 'REVIEWED', outcome: 'REMOVED' });
      expect(outcome.edit?.changes).toEqual([
        expect.objectContaining({ operation: 'REMOVE_FACT', entityId: 'alpha-1' }),
      ]);
      expect(await store.factsByIds(['alpha-1'])).toEqual([null]);
      expect(await queue()).toEqual(['alpha-2']);
    });
  });

  describe('putReviewRecords', () => {
    /** A report record as another store kept it (ids, dates and state given). */
    const record = (
      id: string,
      factId: string,
      voterId: string,
      reason: ReportRecord['reason'],
      extra: Partial<ReportRecord> = {},
    ): ReportRecord => ({
      id,
      factId,
      titleId: titleOf(factId),
      voterId,
      reason,
      note: null,
      sourceUrl: null,
      suggestedText: null,
      createdAt: at(1),
      updatedAt: at(2),
      state: 'OPEN',
      closedBy: null,
      ...extra,
    });
    const resolution = (id: string, factId: string, outcome: ReviewOutcome, minute: number) => ({
      id,
      factId,
      titleId: titleOf(factId),
      outcome,
      note: `resolved ${factId}`,
      resolvedAt: at(minute),
    });
    /**
     * alpha-1: two OPEN reports (one with a source); alpha-2: REVIEWED by a
     * resolution that closed its report, ratings at review kept; alpha-3:
     * UNDER_REVIEW with no report; alpha-9: a fact no longer in its title,
     * REMOVED, with a report filed after (OPEN, counted, never queued).
     */
    const records = (): ReviewRecords => ({
      reports: [
        record('a1000000000000000000000a', 'alpha-1', voter(1), 'INACCURATE', {
          sourceUrl: 'https://example.org/credits',
          note: 'wrong actor',
          suggestedText: 'The right text.',
        }),
        record('a1000000000000000000000b', 'alpha-1', voter(2), 'OUTDATED'),
        record('a2000000000000000000000a', 'alpha-2', voter(1), 'MISLEADING', {
          state: 'CLOSED',
          closedBy: 'f2000000000000000000000a',
          updatedAt: at(4),
        }),
        record('a9000000000000000000000a', 'alpha-9', voter(3), 'OTHER', { createdAt: at(8) }),
      ],
      resolutions: [
        resolution('f2000000000000000000000a', 'alpha-2', 'DISMISSED', 4),
        resolution('f9000000000000000000000a', 'alpha-9', 'REMOVED', 5),
      ],
      reviews: [
        {
          factId: 'alpha-2',
          titleId: 'alpha',
          review: {
            status: 'REVIEWED',
            outcome: 'DISMISSED',
            reviewedAt: at(4),
            reviewId: 'f2000000000000000000000a',
            takenUpAt: null,
            ratingsAtReview: [3, 1, 0, 0, 2],
          },
        },
        {
          factId: 'alpha-3',
          titleId: 'alpha',
          review: { ...notReviewed(), status: 'UNDER_REVIEW', takenUpAt: at(6) },
        },
        {
          factId: 'alpha-9',
          titleId: 'alpha',
          review: {
            ...notReviewed(),
            status: 'REVIEWED',
            outcome: 'REMOVED',
            reviewedAt: at(5),
            reviewId: 'f9000000000000000000000a',
          },
        },
      ],
    });

    it('writes them as they are: reads give them back, tallies are recounts, ranks follow; again changes nothing', async () => {
      const given = records();
      // In any order: a report may come before the resolution that closed it.
      await store.putReviewRecords({
        reports: shuffled(given.reports),
        resolutions: shuffled(given.resolutions),
        reviews: shuffled(given.reviews),
      });

      expect(await store.reportsByIds(given.reports.map((r) => r.id))).toEqual(given.reports);
      expect(
        await store.resolutionsByIds([
          'f9000000000000000000000a',
          'nope',
          'f2000000000000000000000a',
        ]),
      ).toEqual([given.resolutions[1], null, given.resolutions[0]]);
      const factIds = ['alpha-1', 'alpha-2', 'alpha-3', 'alpha-9', 'alpha-5'];
      const kept = (factId: string) =>
        given.reviews.find((r) => r.factId === factId)?.review ?? notReviewed();
      expect(await store.reviewsOfFacts(factIds)).toEqual(
        factIds.map((factId) => ({
          ...kept(factId),
          reports: tallyOf(given.reports.filter((r) => r.factId === factId)),
        })),
      );
      expect((await reviewOf('alpha-1')).reports).toMatchObject({ open: 2, withSource: 1 });
      expect(await store.openReportsOfFacts(['alpha-1', 'alpha-9'])).toEqual([
        [given.reports[1], given.reports[0]].sort((x, y) => (x.id < y.id ? 1 : -1)),
        [given.reports[3]],
      ]);
      // alpha-1 by its reports, alpha-3 under review; alpha-9 is gone from its title.
      expect(await queue()).toEqual(['alpha-1', 'alpha-3']);
      for (const factId of factIds.filter((id) => id !== 'alpha-9')) {
        await expectConsistentRank(factId);
      }

      const before = await snapshot();
      await store.putReviewRecords(given);
      expect(await snapshot()).toEqual(before);
    });

    it('replaces records, moving tallies by the difference; ranks use the ratings and threshold here', async () => {
      const filed = await file(reportOf('alpha-1', voter(1), 'INACCURATE'), at(1));
      await rateWith('alpha-4', [1, 1, 1, 1, 1, 1, 1, 1, 2, 2]);
      await store.useQueueThreshold({ minRatings: 5, minLowerBound: 0.2 });
      await rateWith('alpha-5', [1, 1, 1, 1, 5], 700);
      expect(await queue()).toEqual(['alpha-4', 'alpha-5', 'alpha-1']);

      // The filed report closed by a resolution given with it, the voter's new one OPEN;
      // alpha-4's ratings so far answered by its review.
      const closed = {
        ...filed.report,
        state: 'CLOSED' as const,
        closedBy: 'f1000000000000000000000a',
      };
      const again = record('a1000000000000000000000c', 'alpha-1', voter(1), 'OUTDATED', {
        sourceUrl: 'https://example.org/new',
      });
      await store.putReviewRecords({
        reports: [again, closed],
        resolutions: [resolution('f1000000000000000000000a', 'alpha-1', 'CORRECTED', 3)],
        reviews: [
          {
            factId: 'alpha-4',
            titleId: 'alpha',
            review: {
              status: 'REVIEWED',
              outcome: 'CONFIRMED_ACCURATE',
              reviewedAt: at(3),
              reviewId: 'f4000000000000000000000a',
              takenUpAt: null,
              ratingsAtReview: await distributionOf('alpha-4'),
            },
          },
        ],
      });
      expect(await store.reportsByIds([filed.report.id, again.id])).toEqual([closed, again]);
      expect((await reviewOf('alpha-1')).reports).toEqual(tallyOf([again]));
      expect(await queue()).toEqual(['alpha-1', 'alpha-5']);
      const threshold = { minRatings: 5, minLowerBound: 0.2 };
      for (const factId of ['alpha-1', 'alpha-4', 'alpha-5']) {
        await expectConsistentRank(factId, threshold);
      }

      // A later report of the voter replaces the OPEN one as usual.
      const replaced = await file(reportOf('alpha-1', voter(1), 'OTHER'), at(9));
      expect(replaced).toMatchObject({ created: false, report: { id: again.id } });
      expect((await reviewOf('alpha-1')).reports).toEqual(tallyOf([replaced.report]));
    });

    it('refuses a report that contradicts the store, writing nothing of it', async () => {
      const filed = await file(reportOf('alpha-1', voter(1), 'INACCURATE'), at(1));
      const before = await snapshot();
      const rival = record('a1000000000000000000000d', 'alpha-1', voter(1), 'OTHER');
      await expect(
        store.putReviewRecords({ reports: [rival], resolutions: [], reviews: [] }),
      ).rejects.toThrow(ReviewRecordConflictError);
      await expect(
        store.putReviewRecords({ reports: [rival], resolutions: [], reviews: [] }),
      ).rejects.toThrow(
        `report ${rival.id} is OPEN, but voter ${voter(1)} already has the OPEN report ${filed.report.id} of fact alpha-1`,
      );
      const moved = { ...filed.report, factId: 'alpha-2' };
      await expect(
        store.putReviewRecords({ reports: [moved], resolutions: [], reviews: [] }),
      ).rejects.toThrow(
        `report ${filed.report.id} is of fact alpha-2 in the records but of fact alpha-1`,
      );
      expect(await snapshot()).toEqual(before);
      expect(await store.reportsByIds([rival.id])).toEqual([null]);
    });
  });

  describe('title edits', () => {
    it('take a removed fact out of the queue, whatever queued it, and it stays out', async () => {
      await file(reportOf('alpha-1', voter(1), 'INACCURATE'), at(1));
      await rateWith('alpha-2', [1, 1, 1, 1, 1, 1, 1, 1, 1, 1]);
      await file(reportOf('alpha-3', voter(1), 'OTHER'), at(1));
      await store.transitionReview('alpha-3', 'alpha', takeUp('alpha-3', at(2)));
      await file(reportOf('beta-1', voter(1), 'OTHER'), at(1));
      expect(await queue()).toEqual(['alpha-2', 'alpha-1', 'alpha-3', 'beta-1']);

      for (const [minute, factId] of [
        [3, 'alpha-1'],
        [4, 'alpha-2'],
        [5, 'alpha-3'],
      ] as const) {
        await store.editTitles([
          {
            titleId: 'alpha',
            apply: (c) => removeFact(editCtx('REMOVE_FACT', at(minute)), c!, factId),
          },
        ]);
      }
      expect(await queue()).toEqual(['beta-1']);
      expect(await queue({ titleId: 'alpha' })).toEqual([]);
      expect(await queue({ status: 'UNDER_REVIEW' })).toEqual([]);

      // Writes racing the removal (their request saw the fact just before) leave them out.
      await rate('alpha-2', voter(900), 1);
      await file(reportOf('alpha-1', voter(2), 'INACCURATE'), at(6));
      expect(await queue()).toEqual(['beta-1']);

      // A threshold change recomputes every row: the removed facts stay out.
      await store.useQueueThreshold({ minRatings: 5, minLowerBound: 0.1 });
      expect(await queue()).toEqual(['beta-1']);
    });
  });
});
