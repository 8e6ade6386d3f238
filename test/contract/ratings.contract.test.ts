/**
 * The store contract of the ratings role (src/store/port/ratings.ts):
 * upsertRating under concurrency, rating reads, rebuildAggregates. Run against
 * every adapter by describeStoreContract (store-contract.ts).
 */
import { aggregateOf, emptyAggregate, type RatingTarget, targetKey } from '../../src/model';
import { type RebuildReport } from '../../src/store/port';
import { seedStore } from '../fixtures/catalog';
import type { Store } from '../../src/store/port';
import {
  describeStoreContract,
  GLORY,
  GLORY_FACT,
  seed,
  shuffled,
  STORE_ID,
} from './store-contract';

describeStoreContract('ratings', (contract) => {
  const { name, opened } = contract;
  let store: Store;
  beforeEach(() => {
    store = contract.store;
  });

  describe('upsertRating', () => {
    beforeEach(async () => {
      await seedStore(store, seed());
    });

    it('inserts, then replaces the same voter rating, updating the aggregate by the difference', async () => {
      const t0 = new Date('2026-12-01T10:00:00.000Z');
      const t1 = new Date('2026-12-01T10:05:00.123Z');
      const first = await store.upsertRating(
        { target: GLORY, voterId: 'voter-a', score: 4, comment: 'Mostly right' },
        t0,
      );
      expect(first.created).toBe(true);
      expect(first.rating).toEqual({
        id: expect.stringMatching(STORE_ID),
        hidden: null,
        targetKey: 'title:the-glory',
        titleId: 'the-glory',
        factId: null,
        voterId: 'voter-a',
        score: 4,
        comment: 'Mostly right',
        createdAt: t0,
        updatedAt: t0,
      });
      expect(first.aggregate).toEqual({
        targetKey: 'title:the-glory',
        count: 1,
        sum: 4,
        distribution: [0, 0, 0, 1, 0],
      });

      const second = await store.upsertRating(
        { target: GLORY, voterId: 'voter-a', score: 2, comment: null },
        t1,
      );
      expect(second.created).toBe(false);
      expect(second.rating).toEqual({
        ...first.rating,
        score: 2,
        comment: null,
        createdAt: t0,
        updatedAt: t1,
      });
      expect(second.aggregate).toEqual({
        targetKey: 'title:the-glory',
        count: 1,
        sum: 2,
        distribution: [0, 1, 0, 0, 0],
      });

      const other = await store.upsertRating(
        { target: GLORY, voterId: 'voter-b', score: 5, comment: null },
        t1,
      );
      expect(other.created).toBe(true);
      expect(other.aggregate).toEqual({
        targetKey: 'title:the-glory',
        count: 2,
        sum: 7,
        distribution: [0, 1, 0, 0, 1],
      });
      expect(await store.aggregatesByTargets(['title:the-glory'])).toEqual([other.aggregate]);

      const ratings = await store.ratingsByTarget('title:the-glory');
      expect(ratings).toHaveLength(2);
      const mine = ratings.find((r) => r.voterId === 'voter-a');
      expect(mine).toEqual(second.rating);
      expect(mine?.createdAt).toBeInstanceOf(Date);
      expect(mine?.updatedAt).toBeInstanceOf(Date);
    });

    it('refuses an invalid score before writing anything', async () => {
      const now = new Date('2026-12-01T00:00:00.000Z');
      for (const score of [7, 0, 2.5]) {
        await expect(
          store.upsertRating({ target: GLORY, voterId: 'voter-bad', score, comment: null }, now),
        ).rejects.toThrow(RangeError);
      }
      expect(await store.ratingsByTarget(targetKey(GLORY))).toEqual([]);
      expect(await store.aggregatesByTargets([targetKey(GLORY)])).toEqual([
        emptyAggregate(targetKey(GLORY)),
      ]);
      const first = await store.upsertRating(
        { target: GLORY, voterId: 'voter-bad', score: 5, comment: null },
        now,
      );
      expect(first.created).toBe(true);
      expect(first.aggregate.distribution).toEqual([0, 0, 0, 0, 1]);
    });

    it('keeps fact ratings apart from the title aggregate', async () => {
      const now = new Date('2026-12-02T00:00:00.000Z');
      const result = await store.upsertRating(
        { target: GLORY_FACT, voterId: 'voter-a', score: 1, comment: 'Wrong' },
        now,
      );
      expect(result.rating).toMatchObject({
        targetKey: 'fact:the-glory-bts-1',
        titleId: 'the-glory',
        factId: 'the-glory-bts-1',
      });
      expect(result.aggregate).toEqual({
        targetKey: 'fact:the-glory-bts-1',
        count: 1,
        sum: 1,
        distribution: [1, 0, 0, 0, 0],
      });
      expect(await store.aggregatesByTargets(['title:the-glory'])).toEqual([
        emptyAggregate('title:the-glory'),
      ]);
      expect(await store.ratingsByTarget('title:the-glory')).toEqual([]);
      expect(await store.ratingsByTarget('fact:the-glory-bts-1')).toEqual([result.rating]);
    });

    it('ratingsByIds answers in id order, null for unknown ids', async () => {
      const now = new Date('2026-12-03T00:00:00.000Z');
      const a = await store.upsertRating(
        { target: GLORY, voterId: 'voter-a', score: 3, comment: null },
        now,
      );
      const b = await store.upsertRating(
        { target: GLORY_FACT, voterId: 'voter-b', score: 5, comment: 'Yes' },
        now,
      );
      expect(await store.ratingsByIds([b.rating.id, 'no-such-rating', a.rating.id])).toEqual([
        b.rating,
        null,
        a.rating,
      ]);
      expect(await store.ratingsByIds([])).toEqual([]);
    });

    it("ratingsOfVoter gives one voter's rating per target, in target order, null where unrated", async () => {
      const now = new Date('2026-12-03T00:00:00.000Z');
      const page = await store.upsertRating(
        { target: GLORY, voterId: 'voter-a', score: 4, comment: null },
        now,
      );
      const fact = await store.upsertRating(
        { target: GLORY_FACT, voterId: 'voter-a', score: 1, comment: null },
        now,
      );
      await store.upsertRating({ target: GLORY, voterId: 'voter-b', score: 2, comment: null }, now);
      const keys = ['fact:the-glory-bts-1', 'fact:the-glory-bts-2', 'title:the-glory'];
      expect(await store.ratingsOfVoter('voter-a', keys)).toEqual([fact.rating, null, page.rating]);
      expect(await store.ratingsOfVoter('voter-c', keys)).toEqual([null, null, null]);
      expect(await store.ratingsOfVoter('voter-a', [])).toEqual([]);
    });

    it('is exact under concurrency: distinct voters and same-voter re-ratings', async () => {
      const targets: RatingTarget[] = [
        GLORY,
        { kind: 'TITLE', titleId: 'vincenzo' },
        GLORY_FACT,
        { kind: 'FACT', titleId: 'the-glory', factId: 'the-glory-dyk-2' },
      ];
      const VOTERS = 200;
      const submitted = new Map<string, Set<number>>(); // "<target>|<voter>" -> scores
      const writes: Array<{ target: RatingTarget; voterId: string; score: number }> = [];
      for (let v = 0; v < VOTERS; v++) {
        const target = targets[v % targets.length];
        const voterId = `voter-${v}`;
        const submissions = 2 + (v % 2); // 2 or 3 concurrent submissions per voter
        const scores = new Set<number>();
        for (let k = 0; k < submissions; k++) {
          const score = ((v + 2 * k) % 5) + 1; // distinct for k = 0, 1, 2
          scores.add(score);
          writes.push({ target, voterId, score });
        }
        submitted.set(`${targetKey(target)}|${voterId}`, scores);
      }

      const base = Date.parse('2026-12-03T00:00:00.000Z');
      const started = Date.now();
      const results = await Promise.all(
        shuffled(writes).map((w, i) =>
          store.upsertRating({ ...w, comment: null }, new Date(base + i)),
        ),
      );
      const elapsed = Date.now() - started;
      console.log(
        `[${name}] concurrency: ${writes.length} rating writes (${VOTERS} voters, ` +
          `${targets.length} targets, 2-3 concurrent submissions per voter) in ${elapsed} ms`,
      );

      // Exactly one write per (voter, target) inserted; the others replaced.
      expect(results.filter((r) => r.created)).toHaveLength(VOTERS);

      const keys = targets.map(targetKey);
      const aggregates = await store.aggregatesByTargets(keys);
      for (const [i, key] of keys.entries()) {
        const ratings = await store.ratingsByTarget(key);
        const voters = new Set(ratings.map((r) => r.voterId));
        expect(voters.size).toBe(ratings.length); // one rating per voter
        expect(ratings).toHaveLength(VOTERS / targets.length);
        for (const rating of ratings) {
          expect(submitted.get(`${key}|${rating.voterId}`)).toContain(rating.score);
        }
        expect(aggregates[i]).toEqual(
          aggregateOf(
            key,
            ratings.map((r) => r.score),
          ),
        );
      }
      const report = await store.rebuildAggregates({ dryRun: true });
      expect(report).toEqual({ targets: targets.length, ratings: VOTERS, drift: [] });
    });
  });

  describe('rebuildAggregates', () => {
    it('reports drift on a dry run and repairs it otherwise', async () => {
      await seedStore(store, seed());
      const now = new Date('2026-12-04T00:00:00.000Z');
      for (const [voterId, score] of [
        ['voter-1', 5],
        ['voter-2', 3],
        ['voter-3', 3],
      ] as const) {
        await store.upsertRating({ target: GLORY, voterId, score, comment: null }, now);
      }
      await store.upsertRating(
        { target: GLORY_FACT, voterId: 'voter-1', score: 2, comment: null },
        now,
      );
      const healthy = await store.aggregatesByTargets([targetKey(GLORY)]);
      await opened().corruptAggregate(targetKey(GLORY));
      await opened().corruptAggregate('fact:gone'); // an aggregate whose ratings are gone

      const expectedActual = {
        'title:the-glory': healthy[0],
        'fact:gone': emptyAggregate('fact:gone'),
      };
      const byKey = (report: RebuildReport) =>
        [...report.drift].sort((a, b) => a.targetKey.localeCompare(b.targetKey));

      const dry = await store.rebuildAggregates({ dryRun: true });
      expect(dry.targets).toBe(2);
      expect(dry.ratings).toBe(4);
      expect(byKey(dry).map((d) => [d.targetKey, d.actual])).toEqual([
        ['fact:gone', expectedActual['fact:gone']],
        ['title:the-glory', expectedActual['title:the-glory']],
      ]);
      for (const drift of dry.drift) expect(drift.stored).not.toEqual(drift.actual);
      const [stillWrong] = await store.aggregatesByTargets([targetKey(GLORY)]);
      expect(stillWrong).not.toEqual(healthy[0]);

      const repaired = await store.rebuildAggregates();
      expect(byKey(repaired).map((d) => d.targetKey)).toEqual(['fact:gone', 'title:the-glory']);
      expect(
        await store.aggregatesByTargets([targetKey(GLORY), 'fact:gone', targetKey(GLORY_FACT)]),
      ).toEqual([
        healthy[0],
        emptyAggregate('fact:gone'),
        { targetKey: 'fact:the-glory-bts-1', count: 1, sum: 2, distribution: [0, 1, 0, 0, 0] },
      ]);
      expect((await store.rebuildAggregates({ dryRun: true })).drift).toEqual([]);

      // Writes after the repair build on the repaired aggregate.
      const next = await store.upsertRating(
        { target: GLORY, voterId: 'voter-4', score: 1, comment: null },
        now,
      );
      expect(next.aggregate).toEqual(
        aggregateOf(
          targetKey(GLORY),
          (await store.ratingsByTarget(targetKey(GLORY))).map((r) => r.score),
        ),
      );
    });
  });

  describe('rebuildAggregates while ratings are written', () => {
    it('never leaves an aggregate different from its ratings', async () => {
      await seedStore(store, seed());
      const targets: RatingTarget[] = [GLORY, GLORY_FACT];
      const writes = Array.from({ length: 400 }, (_, i) => ({
        target: targets[i % 2],
        voterId: `voter-${i % 150}`,
        score: (i % 5) + 1,
        comment: null,
      }));
      const now = new Date('2026-12-05T00:00:00.000Z');
      const ratingWrites = Promise.all(writes.map((w) => store.upsertRating(w, now)));
      const rebuilds = Promise.all([
        store.rebuildAggregates(),
        new Promise((resolve) => setTimeout(resolve, 5)).then(() => store.rebuildAggregates()),
        new Promise((resolve) => setTimeout(resolve, 20)).then(() => store.rebuildAggregates()),
      ]);
      await Promise.all([ratingWrites, rebuilds]);

      const keys = targets.map(targetKey);
      const aggregates = await store.aggregatesByTargets(keys);
      for (const [i, key] of keys.entries()) {
        const scores = (await store.ratingsByTarget(key)).map((r) => r.score);
        expect(aggregates[i]).toEqual(aggregateOf(key, scores));
      }
    });
  });
});
