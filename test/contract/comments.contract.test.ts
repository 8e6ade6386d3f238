/**
 * The store contract of the curation role's comments: commentsOf and
 * moderateRating (src/store/port/curation.ts), with their change records. Run
 * against every adapter by describeStoreContract (store-contract.ts).
 */
import { hideComment, type RatingRecord, type RatingTarget, targetKey } from '../../src/model';
import { seedStore } from '../fixtures/catalog';
import type { Store } from '../../src/store/port';
import { describeStoreContract, GLORY, GLORY_FACT, seed } from './store-contract';

describeStoreContract('comments', (contract) => {
  let store: Store;
  beforeEach(() => {
    store = contract.store;
  });

  describe('comments and their moderation', () => {
    const rate = (
      voterId: string,
      comment: string | null,
      minute: number,
      target: RatingTarget = GLORY,
    ) =>
      store.upsertRating(
        { target, voterId, score: 3, comment },
        new Date(Date.UTC(2027, 0, 1, 0, minute)),
      );
    const hide = (reason: string) => (rating: RatingRecord) =>
      hideComment(
        { now: new Date('2027-02-01T00:00:00Z'), newId: () => `hide-${reason.length}` },
        rating,
        reason,
      );

    beforeEach(async () => {
      await seedStore(store, seed());
    });

    it('lists visible comments newest first, page by page, leaving out ratings without one', async () => {
      for (let i = 1; i <= 7; i++) await rate(`voter-${i}`, i === 4 ? null : `Comment ${i}`, i);
      await rate('voter-f', 'On a fact', 9, GLORY_FACT);
      const texts: string[] = [];
      let after: { at: Date; id: string } | null = null;
      for (;;) {
        const page = await store.commentsOf(targetKey(GLORY), { first: 2, after });
        texts.push(...page.items.map((r) => r.comment!));
        if (!page.hasNextPage) break;
        const last = page.items[page.items.length - 1];
        after = { at: last.updatedAt, id: last.id };
      }
      expect(texts).toEqual([
        'Comment 7',
        'Comment 6',
        'Comment 5',
        'Comment 3',
        'Comment 2',
        'Comment 1',
      ]);
      const fact = await store.commentsOf(targetKey(GLORY_FACT), { first: 10 });
      expect(fact.items.map((r) => r.comment)).toEqual(['On a fact']);
    });

    it('hides a comment with its change record; it stays hidden when the voter re-rates', async () => {
      const { rating } = await rate('voter-1', 'Rude words', 1);
      await rate('voter-2', 'Fine words', 2);
      const hidden = await store.moderateRating(rating.id, hide('abuse'));
      expect(hidden).toMatchObject({
        id: rating.id,
        hidden: { reason: 'abuse', at: new Date('2027-02-01T00:00:00Z') },
      });
      expect((await store.ratingsByIds([rating.id]))[0]?.hidden).toEqual(hidden!.hidden);
      const visible = async () =>
        (await store.commentsOf(targetKey(GLORY), { first: 10 })).items.map((r) => r.voterId);
      expect(await visible()).toEqual(['voter-2']);
      await rate('voter-1', 'Rude words again', 3);
      expect(await visible()).toEqual(['voter-2']);
      const { items } = await store.changesOfTitle('the-glory', { first: 1 });
      expect(items[0]).toMatchObject({
        operation: 'HIDE_RATING_COMMENT',
        entityType: 'RATING_COMMENT',
        entityId: rating.id,
        fields: [
          {
            field: 'hidden',
            before: null,
            after: { reason: 'abuse', at: '2027-02-01T00:00:00.000Z' },
          },
        ],
      });
      // Same reason again: nothing changes, nothing is recorded.
      await store.moderateRating(rating.id, hide('abuse'));
      expect(
        (await store.changesOfTitle('the-glory', { first: 100 })).items.filter(
          (c) => c.operation === 'HIDE_RATING_COMMENT',
        ),
      ).toHaveLength(1);
      expect(await store.moderateRating('999999', hide('x'))).toBeNull();
    });
  });
});
