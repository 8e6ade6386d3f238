/**
 * The store contract of the curation role (src/store/port/curation.ts:
 * editTitles, curatedTitlesByIds) and the audit trail its writes leave
 * (port/audit.ts: changesOfTitle, changesByIds). Run against every adapter by
 * describeStoreContract (store-contract.ts).
 */
import {
  addFact,
  type ChangeOperation,
  createTitle,
  type CuratedTitle,
  type EditContext,
  moveFact,
  removeFact,
  RevisionConflictError,
  setFactVerification,
  setRecommendations,
  SlugTakenError,
  TmdbIdentityTakenError,
  type TitleEditResult,
  updateTitle,
  targetKey,
  type TmdbSnapshot,
} from '../../src/model';
import { type TitleEdit } from '../../src/store/port';
import { seedStore, titleRecord } from '../fixtures/catalog';
import type { Store } from '../../src/store/port';
import { describeStoreContract, GLORY, seed } from './store-contract';

describeStoreContract('curation', (contract) => {
  let store: Store;
  beforeEach(() => {
    store = contract.store;
  });

  describe('writeCatalog (editTitles)', () => {
    it('writes the seed once: a second write changes nothing and says so', async () => {
      const catalog = seed();
      await expect(seedStore(store, catalog)).resolves.toEqual({
        created: ['the-glory', 'vincenzo', 'my-name'],
        updated: [],
        unchanged: [],
      });
      await expect(seedStore(store, catalog)).resolves.toEqual({
        created: [],
        updated: [],
        unchanged: ['the-glory', 'vincenzo', 'my-name'],
      });
      expect(await store.countTitles()).toBe(3);
      expect(await store.curatedTitlesByIds(['the-glory', 'nope'])).toEqual([
        catalog.titles[0],
        null,
      ]);
      const [facts] = await store.factsByTitleIds(['the-glory']);
      expect(facts).toEqual(catalog.titles[0].facts);
      const [recs] = await store.recommendationsByTitleIds(['the-glory']);
      expect(recs).toEqual(catalog.titles[0].recommendations);
      // Creating is a change too: one record per created title and fact and list.
      const { items } = await store.changesOfTitle('the-glory', { first: 100 });
      expect(items.map((c) => c.entityType).sort()).toEqual(
        ['TITLE', 'RECOMMENDATIONS', ...Array(16).fill('FACT')].sort(),
      );
    });

    it('keeps a fetched TMDB snapshot, fills a missing one, and applies edits', async () => {
      const catalog = seed();
      await seedStore(store, catalog);
      const fetched: TmdbSnapshot = {
        voteAverage: 8.7,
        voteCount: 1234,
        fetchedAt: new Date('2027-01-02T03:04:05.678Z'),
      };
      await store.saveTmdbSnapshot('the-glory', fetched);

      const starting: TmdbSnapshot = {
        voteAverage: 8.8,
        voteCount: 10,
        fetchedAt: new Date('2026-11-25T00:00:00.000Z'),
      };
      const [glory, vincenzo, myName] = catalog.titles;
      const edited = {
        titles: [
          {
            ...glory,
            title: { ...glory.title, name: 'The Glory (edited)' },
            facts: glory.facts.map((f) =>
              f.id === 'the-glory-dyk-1' ? { ...f, text: 'Edited fact' } : f,
            ),
            recommendations: glory.recommendations.map((r) =>
              r.position === 2 ? { ...r, label: 'Edited label' } : r,
            ),
          },
          { ...vincenzo, title: { ...vincenzo.title, tmdbSnapshot: starting } },
          myName,
        ],
      };
      await expect(seedStore(store, edited)).resolves.toEqual({
        created: [],
        updated: ['the-glory', 'vincenzo'],
        unchanged: ['my-name'],
      });

      const [storedGlory, storedVincenzo] = await store.titlesByIds(['the-glory', 'vincenzo']);
      expect(storedGlory?.tmdbSnapshot).toEqual(fetched);
      expect(storedGlory).toMatchObject({ name: 'The Glory (edited)', revision: 2 });
      expect(storedVincenzo?.tmdbSnapshot).toEqual(starting);
      expect(storedVincenzo?.revision).toBe(1); // a snapshot is not an editor change
      const [dyk] = await store.factsByIds(['the-glory-dyk-1']);
      expect(dyk).toMatchObject({ text: 'Edited fact', revision: 2 });
      const [recs] = await store.recommendationsByTitleIds(['the-glory']);
      expect(recs.map((r) => r.label)).toEqual(['More Drama', 'Edited label']);
      expect(await store.countTitles()).toBe(3);
    });

    it('keeps a snapshot saved while the catalog is being re-written', async () => {
      await seedStore(store, seed());
      // The save starts 0-4 microtask turns after the write, to hit every interleaving.
      const lost: number[] = [];
      for (let round = 0; round < 10; round++) {
        const fetched: TmdbSnapshot = {
          voteAverage: 9 + round / 10,
          voteCount: 4321 + round,
          fetchedAt: new Date(Date.parse('2027-02-03T04:05:06.789Z') + round),
        };
        const renamed = seed();
        renamed.titles[0].title.name = `The Glory ${round}`;
        await Promise.all([
          seedStore(store, renamed),
          (async () => {
            for (let turn = 0; turn < round % 5; turn++) await Promise.resolve();
            await store.saveTmdbSnapshot('the-glory', fetched);
          })(),
        ]);
        const [glory] = await store.titlesByIds(['the-glory']);
        if (glory?.tmdbSnapshot?.voteCount !== fetched.voteCount) lost.push(round);
        await store.saveTmdbSnapshot('the-glory', fetched); // the next round starts from it
      }
      expect(lost).toEqual([]);
    });

    it('never touches ratings or aggregates', async () => {
      await seedStore(store, seed());
      const { aggregate } = await store.upsertRating(
        { target: GLORY, voterId: 'voter-1', score: 4, comment: null },
        new Date('2026-12-01T00:00:00Z'),
      );
      const edited = seed();
      edited.titles[0].title.tagline = 'Another tagline';
      await seedStore(store, edited);
      expect(await store.ratingsByTarget(targetKey(GLORY))).toHaveLength(1);
      expect(await store.aggregatesByTargets([targetKey(GLORY)])).toEqual([aggregate]);
    });
  });

  describe('editTitles: editor writes with revisions and change records', () => {
    const at = (minute: number) => new Date(Date.UTC(2027, 0, 1, 0, minute));
    let ids = 0;
    const ctx = (operation: ChangeOperation, minute = 1): EditContext => ({
      now: at(minute),
      newId: () => `id${String(++ids).padStart(6, '0')}`,
      operation,
    });
    const edit = (
      titleId: string,
      apply: (current: CuratedTitle | null) => TitleEditResult | null,
    ): TitleEdit => ({ titleId, apply });
    const snapshot = async (titleId: string) => ({
      title: (await store.curatedTitlesByIds([titleId]))[0],
      changes: (await store.changesOfTitle(titleId, { first: 100 })).items,
    });
    const create = (id: string, name = id, slug = id) =>
      store.editTitles([
        edit(id, () =>
          createTitle(ctx('CREATE_TITLE'), {
            ...titleRecord({ id, name, slug }),
            tmdbSnapshot: null,
          }),
        ),
      ]);

    beforeEach(async () => {
      await seedStore(store, seed());
    });

    it('creates a title at revision 1 with a change record of every field set', async () => {
      const [outcome] = await create('new-one', 'New One');
      expect(outcome.title?.title).toMatchObject({
        slug: 'new-one',
        revision: 1,
        updatedAt: at(1),
      });
      expect(outcome.changes).toHaveLength(1);
      const { title, changes } = await snapshot('new-one');
      expect(title).toEqual(outcome.title);
      expect(changes).toEqual(outcome.changes);
      expect(changes[0]).toMatchObject({
        operation: 'CREATE_TITLE',
        entityType: 'TITLE',
        entityId: 'new-one',
        titleId: 'new-one',
        revision: 1,
        at: at(1),
      });
      expect(changes[0].fields).toContainEqual({ field: 'name', before: null, after: 'New One' });
      expect(await store.changesByIds([changes[0].id, 'nope'])).toEqual([changes[0], null]);
    });

    it('updates at the expected revision; a stale one conflicts and writes nothing', async () => {
      const [updated] = await store.editTitles([
        edit('vincenzo', (c) => updateTitle(ctx('UPDATE_TITLE', 2), c!, { year: 2021 }, 1)),
      ]);
      expect(updated.title?.title).toMatchObject({ year: 2021, revision: 2, updatedAt: at(2) });
      expect(updated.changes[0]).toMatchObject({
        operation: 'UPDATE_TITLE',
        revision: 2,
        fields: [{ field: 'year', before: null, after: 2021 }],
      });
      const before = await snapshot('vincenzo');
      await expect(
        store.editTitles([
          edit('vincenzo', (c) => updateTitle(ctx('UPDATE_TITLE', 3), c!, { year: 1999 }, 1)),
        ]),
      ).rejects.toMatchObject({ name: 'RevisionConflictError', currentRevision: 2 });
      expect(await snapshot('vincenzo')).toEqual(before);
    });

    it('writes nothing, and records nothing, for an edit that changes nothing', async () => {
      const before = await snapshot('vincenzo');
      const [outcome] = await store.editTitles([
        edit('vincenzo', (c) => updateTitle(ctx('UPDATE_TITLE'), c!, { name: 'Vincenzo' }, 1)),
      ]);
      expect(outcome).toEqual({ title: before.title, changes: [] });
      expect(await snapshot('vincenzo')).toEqual(before);
    });

    it('keeps a former slug resolving after a rename, and no other title may take it', async () => {
      await store.editTitles([
        edit('vincenzo', (c) =>
          updateTitle(
            ctx('UPDATE_TITLE'),
            c!,
            { name: 'Vincenzo Cassano', slug: 'vincenzo-cassano' },
            1,
          ),
        ),
      ]);
      const [byOld, byNew] = await store.titlesBySlugs(['vincenzo', 'vincenzo-cassano']);
      expect(byOld).toMatchObject({ id: 'vincenzo', slug: 'vincenzo-cassano' });
      expect(byNew).toEqual(byOld);
      expect((await store.curatedTitlesByIds(['vincenzo']))[0]?.formerSlugs).toEqual(['vincenzo']);
      // The listing shows the current slug only.
      const page = await store.listTitles({ first: 10 });
      expect(page.titles.map((t) => t.slug)).toEqual(['my-name', 'the-glory', 'vincenzo-cassano']);

      const before = await snapshot('my-name');
      await expect(create('thief', 'Thief', 'vincenzo')).rejects.toBeInstanceOf(SlugTakenError);
      await expect(
        store.editTitles([
          edit('my-name', (c) => updateTitle(ctx('UPDATE_TITLE'), c!, { slug: 'vincenzo' }, 1)),
        ]),
      ).rejects.toMatchObject({ name: 'SlugTakenError', slug: 'vincenzo' });
      expect(await store.titlesByIds(['thief'])).toEqual([null]);
      expect(await snapshot('my-name')).toEqual(before);
    });

    it('gives a TMDB identity to one title: another may not take it until it is cleared', async () => {
      const glory = { tmdbId: 136283, mediaType: 'TV' as const }; // the seed's
      const withTmdb = (id: string, tmdbId: number | null, mediaType: 'TV' | 'MOVIE' = 'TV') =>
        store.editTitles([
          edit(id, () =>
            createTitle(ctx('CREATE_TITLE'), {
              ...titleRecord({ id, name: id, slug: id, tmdbId, mediaType }),
              tmdbSnapshot: null,
            }),
          ),
        ]);
      const before = { glory: await snapshot('the-glory'), vincenzo: await snapshot('vincenzo') };

      await expect(withTmdb('glory-duplicate', glory.tmdbId)).rejects.toMatchObject({
        name: 'TmdbIdentityTakenError',
        tmdbId: 136283,
        mediaType: 'TV',
        holder: { id: 'the-glory', slug: 'the-glory' },
      });
      await expect(
        store.editTitles([
          edit('vincenzo', (c) => updateTitle(ctx('UPDATE_TITLE'), c!, { tmdbId: 136283 }, 1)),
        ]),
      ).rejects.toBeInstanceOf(TmdbIdentityTakenError);
      // Refused in a batch too, with nothing of the batch written.
      await expect(
        store.editTitles([
          edit('my-name', (c) => updateTitle(ctx('UPDATE_TITLE'), c!, { year: 2021 }, 1)),
          edit('vincenzo', (c) => updateTitle(ctx('UPDATE_TITLE'), c!, { tmdbId: 136283 }, 1)),
        ]),
      ).rejects.toBeInstanceOf(TmdbIdentityTakenError);
      expect(await store.titlesByIds(['glory-duplicate'])).toEqual([null]);
      expect(await snapshot('vincenzo')).toEqual(before.vincenzo);
      expect((await store.titlesByIds(['my-name']))[0]?.year).toBeNull();
      expect(await store.titlesByTmdbIds([glory])).toEqual([before.glory.title!.title]);

      // The same number as a film is another identity; titles without one never clash.
      await withTmdb('glory-the-film', glory.tmdbId, 'MOVIE');
      await withTmdb('untracked-1', null);
      await withTmdb('untracked-2', null);
      expect(
        (await store.titlesByTmdbIds([glory, { ...glory, mediaType: 'MOVIE' }])).map((t) => t?.id),
      ).toEqual(['the-glory', 'glory-the-film']);

      // Cleared on its holder, the identity can move to another title.
      await store.editTitles([
        edit('the-glory', (c) => updateTitle(ctx('UPDATE_TITLE'), c!, { tmdbId: null }, 1)),
      ]);
      await store.editTitles([
        edit('vincenzo', (c) => updateTitle(ctx('UPDATE_TITLE'), c!, { tmdbId: 136283 }, 1)),
      ]);
      expect((await store.titlesByTmdbIds([glory]))[0]?.id).toBe('vincenzo');
    });

    it('adds, moves and removes facts: positions stay 1..n, only the edited fact moves its revision', async () => {
      const [added] = await store.editTitles([
        edit('the-glory', (c) =>
          addFact(ctx('ADD_FACT', 2), c!, {
            id: 'new-fact',
            category: 'DID_YOU_KNOW',
            text: 'New',
            position: 2,
          }),
        ),
      ]);
      const dyk = (t: CuratedTitle | null) =>
        t!.facts
          .filter((f) => f.category === 'DID_YOU_KNOW')
          .map((f) => [f.id, f.position, f.revision]);
      expect(dyk(added.title).slice(0, 3)).toEqual([
        ['the-glory-dyk-1', 1, 1],
        ['new-fact', 2, 1],
        ['the-glory-dyk-2', 3, 1],
      ]);
      const [moved] = await store.editTitles([
        edit('the-glory', (c) => moveFact(ctx('MOVE_FACT', 3), c!, 'new-fact', 9)),
      ]);
      expect(dyk(moved.title).slice(-2)).toEqual([
        ['the-glory-dyk-8', 8, 1],
        ['new-fact', 9, 2],
      ]);
      expect(moved.changes).toEqual([
        expect.objectContaining({
          entityType: 'FACT',
          entityId: 'new-fact',
          revision: 2,
          fields: [{ field: 'position', before: 2, after: 9 }],
        }),
      ]);
      await store.editTitles([
        edit('the-glory', (c) => removeFact(ctx('REMOVE_FACT', 4), c!, 'the-glory-dyk-1')),
      ]);
      const [facts] = await store.factsByTitleIds(['the-glory']);
      expect(facts.filter((f) => f.category === 'DID_YOU_KNOW').map((f) => f.position)).toEqual([
        1, 2, 3, 4, 5, 6, 7, 8,
      ]);
      expect(await store.factsByIds(['the-glory-dyk-1', 'new-fact'])).toEqual([
        null,
        expect.objectContaining({ id: 'new-fact', position: 8, titleId: 'the-glory' }),
      ]);
      const { items } = await store.changesOfTitle('the-glory', { first: 3 });
      expect(items.map((c) => [c.operation, c.entityId, c.at])).toEqual([
        ['REMOVE_FACT', 'the-glory-dyk-1', at(4)],
        ['MOVE_FACT', 'new-fact', at(3)],
        ['ADD_FACT', 'new-fact', at(2)],
      ]);
    });

    it('stores verification and recommendations as set', async () => {
      await store.editTitles([
        edit('the-glory', (c) =>
          setFactVerification(ctx('SET_FACT_VERIFICATION', 5), c!, 'the-glory-bts-1', {
            status: 'VERIFIED',
            note: 'Checked',
            sources: [{ url: 'https://example.org/a', label: 'A' }],
          }),
        ),
      ]);
      const [fact] = await store.factsByIds(['the-glory-bts-1']);
      expect(fact).toMatchObject({
        revision: 2,
        updatedAt: at(5),
        verification: {
          status: 'VERIFIED',
          note: 'Checked',
          sources: [{ url: 'https://example.org/a', label: 'A' }],
          updatedAt: at(5),
        },
      });
      await store.editTitles([
        edit('the-glory', (c) =>
          setRecommendations(ctx('SET_RECOMMENDATIONS'), c!, [
            { recommendedTitleId: 'my-name', label: 'More Action', reason: '' },
          ]),
        ),
      ]);
      const [recs] = await store.recommendationsByTitleIds(['the-glory']);
      expect(recs).toEqual([
        {
          titleId: 'the-glory',
          recommendedTitleId: 'my-name',
          position: 1,
          label: 'More Action',
          reason: '',
        },
      ]);
    });

    it('writes nothing of a batch in which an edit throws', async () => {
      const before = [await snapshot('vincenzo'), await snapshot('my-name')];
      await expect(
        store.editTitles([
          edit('vincenzo', (c) => updateTitle(ctx('UPDATE_TITLE'), c!, { year: 2021 }, 1)),
          edit('my-name', (c) => updateTitle(ctx('UPDATE_TITLE'), c!, { year: 2021 }, 7)),
        ]),
      ).rejects.toBeInstanceOf(RevisionConflictError);
      expect([await snapshot('vincenzo'), await snapshot('my-name')]).toEqual(before);
    });

    it('applies concurrent edits of one title one after the other, each with its record', async () => {
      const texts = Array.from({ length: 8 }, (_, i) => `Concurrent ${i}`);
      await Promise.all(
        texts.map((text, i) =>
          store.editTitles([
            edit('my-name', (c) =>
              addFact(ctx('ADD_FACT'), c!, { id: `c-${i}`, category: 'BEHIND_THE_SCENES', text }),
            ),
          ]),
        ),
      );
      const [facts] = await store.factsByTitleIds(['my-name']);
      expect(facts.map((f) => f.text).sort()).toEqual(texts);
      expect(facts.map((f) => f.position)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
      const { items } = await store.changesOfTitle('my-name', { first: 100 });
      expect(items.filter((c) => c.operation === 'ADD_FACT')).toHaveLength(8);
    });

    it('pages change records newest first without repeats or gaps', async () => {
      for (let minute = 1; minute <= 5; minute++) {
        await store.editTitles([
          edit('vincenzo', (c) =>
            updateTitle(
              ctx('UPDATE_TITLE', minute),
              c!,
              { year: 2000 + minute },
              c!.title.revision,
            ),
          ),
        ]);
      }
      const seen: number[] = [];
      let after: { at: Date; id: string } | null = null;
      for (;;) {
        const page = await store.changesOfTitle('vincenzo', { first: 2, after });
        seen.push(
          ...page.items.filter((c) => c.operation === 'UPDATE_TITLE').map((c) => c.revision!),
        );
        if (!page.hasNextPage) break;
        const last = page.items[page.items.length - 1];
        after = { at: last.at, id: last.id };
      }
      expect(seen).toEqual([6, 5, 4, 3, 2]);
    });
  });
});
