/**
 * The contract of the store port (src/store/port.ts), run against every adapter:
 * - the embedded SQLite store, always (fresh temp DATA_DIR per test);
 * - MongoDB when TEST_MONGODB_URI is set (fresh database per test, dropped after).
 *
 * Adapter-specific powers (corrupting an aggregate behind the port's back) live
 * in each adapter's harness, never in the shared tests.
 */
import fs from 'node:fs';
import { MongoClient } from 'mongodb';
import type Database from 'better-sqlite3';
import { loadCatalog } from '../../src/seed/catalog';
import { MongoStore } from '../../src/store/mongo/mongo-store';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store';
import type { Store } from '../../src/store/port';
import {
  addFact,
  aggregateOf,
  type ChangeOperation,
  createTitle,
  type CuratedTitle,
  type EditContext,
  emptyAggregate,
  type FactCategory,
  hideComment,
  moveFact,
  type RatingRecord,
  type RatingTarget,
  removeFact,
  RevisionConflictError,
  setFactVerification,
  setRecommendations,
  SlugTakenError,
  TmdbIdentityTakenError,
  type TitleEditResult,
  updateTitle,
  type RecommendationRecord,
  targetKey,
  type TmdbSnapshot,
} from '../../src/model';
import { type RebuildReport, type TitleEdit } from '../../src/store/port';
import {
  catalogOf,
  type FactPart,
  FIXED_NOW,
  seedStore,
  type TitlePart,
  titleRecord,
} from '../fixtures/catalog';
import {
  describeMongo,
  freshDatabaseName,
  MONGODB_SUITE,
  TEST_MONGODB_URI,
} from '../helpers/mongo';
import { tempDir } from '../helpers/temp-dirs';

interface Harness {
  store: Store;
  /** Makes the stored aggregate of `key` wrong (creating it if needed), bypassing the port. */
  corruptAggregate(key: string): Promise<void>;
  dispose(): Promise<void>;
}

interface Adapter {
  name: 'sqlite' | 'mongo';
  /** The describe title; MongoDB's is counted by the MongoDB test reporter. */
  title: string;
  open(): Promise<Harness>;
}

const sqliteAdapter: Adapter = {
  name: 'sqlite',
  title: 'Store contract: sqlite',
  async open() {
    const dataDir = tempDir('reelcheck-contract-');
    const store = await SqliteStore.open({ dataDir });
    return {
      store,
      async corruptAggregate(key) {
        // SQLite-only test hook: the connection is private to the adapter.
        const { db } = store as unknown as { db: Database.Database };
        db.prepare(
          `INSERT INTO aggregates (target_key, count, sum, d1, d2, d3, d4, d5)
           VALUES (?, 3, 7, 0, 3, 0, 0, 0)
           ON CONFLICT (target_key) DO UPDATE SET count = count + 3, sum = sum + 7, d2 = d2 + 3`,
        ).run(key);
      },
      async dispose() {
        await store.close();
        fs.rmSync(dataDir, { recursive: true, force: true });
      },
    };
  },
};

const mongoAdapter = (uri: string): Adapter => ({
  name: 'mongo',
  title: `${MONGODB_SUITE}store contract`,
  async open() {
    const dbName = freshDatabaseName();
    // dbNameOverride, not a rewritten URI path: the path also sets the default authSource.
    const store = MongoStore.create({
      uri,
      dbNameOverride: dbName,
      serverSelectionTimeoutMs: 5000,
      rebuildSettleMs: 100,
    });
    try {
      await store.ping(); // connects and creates the schema in the fresh database
    } catch (error) {
      await store.close();
      throw error;
    }
    // A second client, outside the port, for the test hook and the clean-up.
    const direct = new MongoClient(uri, { serverSelectionTimeoutMS: 5000 });
    return {
      store,
      async corruptAggregate(key) {
        await direct
          .db(dbName)
          .collection<{ _id: string }>('aggregates')
          .updateOne(
            { _id: key },
            { $inc: { count: 3, sum: 7, d1: 0, d2: 3, d3: 0, d4: 0, d5: 0 } },
            { upsert: true },
          );
      },
      async dispose() {
        await store.close();
        try {
          await direct.db(dbName).dropDatabase();
        } finally {
          await direct.close();
        }
      },
    };
  },
});

const adapters: Adapter[] = [sqliteAdapter];
if (TEST_MONGODB_URI) adapters.push(mongoAdapter(TEST_MONGODB_URI));
else describeMongo('store contract', () => undefined); // reported as skipped

// ---- test data ---------------------------------------------------------------

function title(id: string, overrides: Partial<TitlePart> = {}): TitlePart {
  return { id, ...overrides };
}

function fact(id: string, titleId: string, category: FactCategory, position: number): FactPart {
  return { id, titleId, category, position, text: `Text of ${id}` };
}

function recommendation(
  titleId: string,
  recommendedTitleId: string,
  position: number,
  label = 'More like this',
): RecommendationRecord {
  return { titleId, recommendedTitleId, position, label, reason: `${recommendedTitleId} because` };
}

/** The seed catalog as of FIXED_NOW, so two loads compare equal. */
const seed = () => loadCatalog(FIXED_NOW);
const seedTitle = (id: string) => seed().titles.find((t) => t.title.id === id)!;

/** Deterministic shuffle (mulberry32), so failures reproduce. */
function shuffled<T>(items: readonly T[], seed = 42): T[] {
  let state = seed >>> 0;
  const random = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

const GLORY: RatingTarget = { kind: 'TITLE', titleId: 'the-glory' };
const GLORY_FACT: RatingTarget = { kind: 'FACT', titleId: 'the-glory', factId: 'the-glory-bts-1' };
const STORE_ID = /^[A-Za-z0-9_-]{1,64}$/;

// ---- the contract ----------------------------------------------------------------

describe.each(adapters.map((adapter) => [adapter.title, adapter] as const))(
  '%s',
  (_title, adapter) => {
    const { name } = adapter;
    let harness: Harness | undefined;
    let store: Store;

    beforeEach(async () => {
      harness = await adapter.open();
      store = harness.store;
    });

    afterEach(async () => {
      await harness?.dispose();
      harness = undefined;
    });

    const opened = (): Harness => {
      if (!harness) throw new Error(`the ${name} store did not open`);
      return harness;
    };

    it('answers ping and names its kind', async () => {
      await expect(store.ping()).resolves.toBeUndefined();
      expect(store.kind).toBe(name);
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
        expect((await store.curatedTitlesByIds(['vincenzo']))[0]?.formerSlugs).toEqual([
          'vincenzo',
        ]);
        // The listing shows the current slug only.
        const page = await store.listTitles({ first: 10 });
        expect(page.titles.map((t) => t.slug)).toEqual([
          'my-name',
          'the-glory',
          'vincenzo-cassano',
        ]);

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
          (await store.titlesByTmdbIds([glory, { ...glory, mediaType: 'MOVIE' }])).map(
            (t) => t?.id,
          ),
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
        expect(facts.map((f) => f?.id ?? null)).toEqual([
          'the-glory-dyk-3',
          null,
          'the-glory-bts-1',
        ]);
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
        const [none, one, two] = await store.recommendationsByTitleIds([
          'r-three',
          'r-one',
          'r-two',
        ]);
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
        await store.upsertRating(
          { target: GLORY, voterId: 'voter-b', score: 2, comment: null },
          now,
        );
        const keys = ['fact:the-glory-bts-1', 'fact:the-glory-bts-2', 'title:the-glory'];
        expect(await store.ratingsOfVoter('voter-a', keys)).toEqual([
          fact.rating,
          null,
          page.rating,
        ]);
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
        const VOTERS = 500;
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

    describe('saveTmdbSnapshot', () => {
      it('round-trips the snapshot, Dates included, and ignores unknown titles', async () => {
        await seedStore(store, seed());
        const snapshot: TmdbSnapshot = {
          voteAverage: 7.25,
          voteCount: 98765,
          fetchedAt: new Date('2027-03-04T05:06:07.089Z'),
        };
        await store.saveTmdbSnapshot('my-name', snapshot);
        const [myName] = await store.titlesByIds(['my-name']);
        expect(myName?.tmdbSnapshot).toEqual(snapshot);
        expect(myName?.tmdbSnapshot?.fetchedAt).toBeInstanceOf(Date);
        expect(myName?.tmdbSnapshot?.fetchedAt.getTime()).toBe(snapshot.fetchedAt.getTime());
        const [bySlug] = await store.titlesBySlugs(['my-name']);
        expect(bySlug).toEqual(myName);

        await store.saveTmdbSnapshot('no-such-title', snapshot);
        expect(await store.countTitles()).toBe(3);
        expect(await store.titlesByIds(['no-such-title'])).toEqual([null]);
      });
    });
  },
);
