/**
 * The store contract of the catalog reads role (src/store/port/catalog.ts):
 * batch reads, listTitles and its search. Run against every adapter by
 * describeStoreContract (store-contract.ts).
 */
import { emptyAggregate, targetKey } from '../../src/model';
import { catalogOf, seedStore } from '../fixtures/catalog';
import type { Store } from '../../src/store/port';
import {
  describeStoreContract,
  fact,
  GLORY,
  recommendation,
  seed,
  seedTitle,
  shuffled,
  title,
} from './store-contract';

describeStoreContract('catalog reads', (contract) => {
  let store: Store;
  beforeEach(() => {
    store = contract.store;
  });

  describe('batch reads', () => {
    beforeEach(async () => {
      await seedStore(store, seed());
    });

    it('titlesByIds and titlesBySlugs answer in key order, null for unknown keys', async () => {
      const catalog = seed();
      const byId = await store.titlesByIds(['my-name', 'unknown-id', 'the-glory', 'my-name']);
      expect(byId.map((t) => t?.id ?? null)).toEqual(['my-name', null, 'the-glory', 'my-name']);
      expect(byId[2]).toEqual(catalog.titles[0].title);
      const bySlug = await store.titlesBySlugs(['vincenzo', 'no-such-slug', 'the-glory']);
      expect(bySlug.map((t) => t?.slug ?? null)).toEqual(['vincenzo', null, 'the-glory']);
      expect(await store.titlesByIds([])).toEqual([]);
      expect(await store.titlesBySlugs(['nothing'])).toEqual([null]);
    });

    it('titlesByTmdbIds finds titles by TMDB id and media type, in key order', async () => {
      const catalog = seed();
      const found = await store.titlesByTmdbIds([
        { tmdbId: 136283, mediaType: 'MOVIE' }, // TMDB numbers films and series apart
        { tmdbId: 136283, mediaType: 'TV' },
        { tmdbId: 1, mediaType: 'TV' },
      ]);
      expect(found).toEqual([null, catalog.titles[0].title, null]);
      expect(await store.titlesByTmdbIds([])).toEqual([]);
    });

    it('factsByIds answers in key order, null for unknown ids', async () => {
      const facts = await store.factsByIds(['the-glory-dyk-3', 'nope', 'the-glory-bts-1']);
      expect(facts.map((f) => f?.id ?? null)).toEqual(['the-glory-dyk-3', null, 'the-glory-bts-1']);
      expect(facts[0]).toEqual(
        seedTitle('the-glory').facts.find((f) => f.id === 'the-glory-dyk-3'),
      );
    });

    it('orders facts BEHIND_THE_SCENES first, then by position, per title', async () => {
      await seedStore(
        store,
        catalogOf({
          titles: [title('t-one'), title('t-two')],
          facts: [
            fact('t1-dyk-2', 't-one', 'DID_YOU_KNOW', 2),
            fact('t1-bts-3', 't-one', 'BEHIND_THE_SCENES', 3),
            fact('t1-dyk-1', 't-one', 'DID_YOU_KNOW', 1),
            fact('t1-bts-1', 't-one', 'BEHIND_THE_SCENES', 1),
            fact('t2-dyk-1', 't-two', 'DID_YOU_KNOW', 1),
            fact('t1-bts-2', 't-one', 'BEHIND_THE_SCENES', 2),
          ],
        }),
      );
      const [two, unknown, one] = await store.factsByTitleIds(['t-two', 'unknown', 't-one']);
      expect(two.map((f) => f.id)).toEqual(['t2-dyk-1']);
      expect(unknown).toEqual([]);
      expect(one.map((f) => f.id)).toEqual([
        't1-bts-1',
        't1-bts-2',
        't1-bts-3',
        't1-dyk-1',
        't1-dyk-2',
      ]);
      const [glory] = await store.factsByTitleIds(['the-glory']);
      expect(glory.map((f) => `${f.category}:${f.position}`)).toEqual([
        ...[1, 2, 3, 4, 5, 6, 7, 8].map((p) => `BEHIND_THE_SCENES:${p}`),
        ...[1, 2, 3, 4, 5, 6, 7, 8].map((p) => `DID_YOU_KNOW:${p}`),
      ]);
      expect(await store.factsByTitleIds([])).toEqual([]);
    });

    it('orders recommendations by position, per title', async () => {
      await seedStore(
        store,
        catalogOf({
          titles: [title('r-one'), title('r-two'), title('r-three')],
          recommendations: [
            recommendation('r-one', 'r-three', 3),
            recommendation('r-one', 'r-two', 1),
            recommendation('r-two', 'r-one', 1),
            recommendation('r-one', 'the-glory', 2),
          ],
        }),
      );
      const [none, one, two] = await store.recommendationsByTitleIds(['r-three', 'r-one', 'r-two']);
      expect(none).toEqual([]);
      expect(one.map((r) => [r.position, r.recommendedTitleId])).toEqual([
        [1, 'r-two'],
        [2, 'the-glory'],
        [3, 'r-three'],
      ]);
      expect(two).toEqual([recommendation('r-two', 'r-one', 1)]);
    });

    it('aggregatesByTargets gives zero aggregates for unrated or unknown targets, in key order', async () => {
      await store.upsertRating(
        { target: GLORY, voterId: 'voter-1', score: 3, comment: null },
        new Date('2026-12-01T00:00:00Z'),
      );
      const keys = ['fact:unknown', targetKey(GLORY), 'title:vincenzo', targetKey(GLORY)];
      expect(await store.aggregatesByTargets(keys)).toEqual([
        emptyAggregate('fact:unknown'),
        { targetKey: 'title:the-glory', count: 1, sum: 3, distribution: [0, 0, 1, 0, 0] },
        emptyAggregate('title:vincenzo'),
        { targetKey: 'title:the-glory', count: 1, sum: 3, distribution: [0, 0, 1, 0, 0] },
      ]);
      expect(await store.aggregatesByTargets([])).toEqual([]);
    });
  });

  describe('listTitles', () => {
    const slugs = Array.from({ length: 25 }, (_, i) => `title-${String(i + 1).padStart(2, '0')}`);

    it('pages through titles in slug order without repeats or gaps', async () => {
      await seedStore(
        store,
        catalogOf({
          titles: shuffled(slugs).map((slug) => title(slug, { name: `Name ${slug}` })),
        }),
      );
      const seen: string[] = [];
      const pages: Array<{ size: number; hasNextPage: boolean; totalCount: number }> = [];
      let afterSlug: string | null = null;
      for (let guard = 0; guard < 10; guard++) {
        const page = await store.listTitles({ first: 7, afterSlug });
        pages.push({
          size: page.titles.length,
          hasNextPage: page.hasNextPage,
          totalCount: page.totalCount,
        });
        seen.push(...page.titles.map((t) => t.slug));
        if (!page.hasNextPage) break;
        afterSlug = page.titles[page.titles.length - 1].slug;
      }
      expect(seen).toEqual(slugs);
      expect(pages).toEqual([
        { size: 7, hasNextPage: true, totalCount: 25 },
        { size: 7, hasNextPage: true, totalCount: 25 },
        { size: 7, hasNextPage: true, totalCount: 25 },
        { size: 4, hasNextPage: false, totalCount: 25 },
      ]);

      const all = await store.listTitles({ first: 25 });
      expect(all.hasNextPage).toBe(false);
      expect(all.titles.map((t) => t.slug)).toEqual(slugs);
      const exact = await store.listTitles({ first: 24 });
      expect(exact.hasNextPage).toBe(true);
      const past = await store.listTitles({ first: 5, afterSlug: 'title-25' });
      expect(past).toEqual({ titles: [], hasNextPage: false, totalCount: 25 });
    });

    it('searches names case-insensitively and literally, never as a pattern', async () => {
      const named = (slug: string, name: string) => title(slug, { name });
      await seedStore(
        store,
        catalogOf({
          titles: [
            named('abc-street', 'Abc Street'),
            named('abc-again', 'ABC Again'),
            named('a-dot-c', 'a.c Mystery'),
            named('paren-show', 'The (Paren) Show'),
            named('star-dust', 'Star*Dust'),
            named('back-slash', 'Back\\slash [1]'),
            named('plain', 'Plain Title'),
          ],
        }),
      );
      const search = async (text: string) => {
        const page = await store.listTitles({ first: 50, search: text });
        expect(page.totalCount).toBe(page.titles.length);
        return page.titles.map((t) => t.slug);
      };
      expect(await search('a.c')).toEqual(['a-dot-c']);
      expect(await search('abc')).toEqual(['abc-again', 'abc-street']);
      expect(await search('STREET')).toEqual(['abc-street']);
      expect(await search('(')).toEqual(['paren-show']);
      expect(await search('(paren)')).toEqual(['paren-show']);
      expect(await search('*')).toEqual(['star-dust']);
      expect(await search('\\')).toEqual(['back-slash']);
      expect(await search('[1]')).toEqual(['back-slash']);
      expect(await search('[')).toEqual(['back-slash']);
      expect(await search('.*')).toEqual([]);
      expect(await search('^abc')).toEqual([]);
      expect(await search('a|z')).toEqual([]);
      expect(await search('nothing like it')).toEqual([]);
      expect((await store.listTitles({ first: 50, search: '' })).totalCount).toBe(7);
      expect((await store.listTitles({ first: 50, search: null })).totalCount).toBe(7);
    });

    it('counts every match of the search, whatever the page and cursor', async () => {
      await seedStore(
        store,
        catalogOf({
          titles: slugs.map((slug, i) =>
            title(slug, { name: i % 2 === 0 ? `Even Match ${i}` : `Odd ${i}` }),
          ),
        }),
      );
      const first = await store.listTitles({ first: 3, search: 'match' });
      expect(first.totalCount).toBe(13);
      expect(first.hasNextPage).toBe(true);
      const rest = await store.listTitles({
        first: 20,
        search: 'MATCH',
        afterSlug: first.titles[2].slug,
      });
      expect(rest.totalCount).toBe(13);
      expect(rest.hasNextPage).toBe(false);
      expect([...first.titles, ...rest.titles].map((t) => t.slug)).toEqual(
        slugs.filter((_, i) => i % 2 === 0),
      );
    });
  });

  describe('search normalisation (NFKC + case folding, literal)', () => {
    const named = (slug: string, name: string) => title(slug, { name });
    const search = async (text: string) => {
      const page = await store.listTitles({ first: 50, search: text });
      expect(page.totalCount).toBe(page.titles.length);
      return page.titles.map((t) => t.slug);
    };

    it('finds The Glory from full-width or upper-case text', async () => {
      await seedStore(
        store,
        catalogOf({
          titles: [
            named('the-glory', 'The Glory'),
            named('glorious-days', 'Glorious Days'),
            named('other', 'Other'),
          ],
        }),
      );
      expect(await search('ｇｌｏｒｙ')).toEqual(['the-glory']);
      expect(await search('GLORY')).toEqual(['the-glory']);
      expect(await search('Ｔｈｅ ＧＬＯＲＹ')).toEqual(['the-glory']);
      expect(await search('ｇｌｏ')).toEqual(['glorious-days', 'the-glory']);
      expect(await search('gl')).toEqual(['glorious-days', 'the-glory']); // shorter than a trigram
      expect(await search('Ｏ')).toEqual(['glorious-days', 'other', 'the-glory']);
    });

    it('matches "%", "_" and quotes only as themselves, at any length', async () => {
      await seedStore(
        store,
        catalogOf({
          titles: [
            named('wolf', '100% Wolf'),
            named('snake', 'Snake_Case'),
            named('quoted', 'Say "Hello" Now'),
            named('plain', 'Percent Under Score 100'),
          ],
        }),
      );
      expect(await search('%')).toEqual(['wolf']);
      expect(await search('0%')).toEqual(['wolf']);
      expect(await search('0% w')).toEqual(['wolf']);
      expect(await search('_')).toEqual(['snake']);
      expect(await search('e_c')).toEqual(['snake']);
      expect(await search('1%0')).toEqual([]);
      expect(await search('s_a')).toEqual([]);
      expect(await search('"hello"')).toEqual(['quoted']);
      expect(await search('"')).toEqual(['quoted']);
      expect(await search('hello" OR "wolf')).toEqual([]);
    });

    it('sees catalog edits at once: new, renamed and re-slugged titles', async () => {
      await seedStore(
        store,
        catalogOf({ titles: [named('the-glory', 'The Glory'), named('other', 'Other')] }),
      );
      expect(await search('glory')).toEqual(['the-glory']);
      expect(await search('o')).toEqual(['other', 'the-glory']);
      await seedStore(
        store,
        catalogOf({
          titles: [
            named('the-glory', 'The Story'),
            named('glory-road', 'Glory Road'),
            { ...named('other', 'Other Glory'), slug: 'another' },
          ],
        }),
      );
      expect(await search('glory')).toEqual(['another', 'glory-road']);
      expect(await search('o')).toEqual(['another', 'glory-road', 'the-glory']);
      const page = await store.listTitles({ first: 1, search: 'GLORY', afterSlug: 'another' });
      expect(page).toMatchObject({ hasNextPage: false, totalCount: 2 });
      expect(page.titles.map((t) => t.slug)).toEqual(['glory-road']);
    });

    it('normalises stored names too: a full-width name is found by plain text', async () => {
      await seedStore(
        store,
        catalogOf({
          titles: [named('full-width', 'ＦＵＬＬ Ｗｉｄｔｈ Ｓｈｏｗ'), named('plain', 'Plain')],
        }),
      );
      expect(await search('full width')).toEqual(['full-width']);
      expect(await search('WIDTH')).toEqual(['full-width']);
      expect(await search('ｗｉ')).toEqual(['full-width']);
    });
  });
});
