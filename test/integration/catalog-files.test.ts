/**
 * Catalog files end to end, with the built scripts (as `npm run catalog:*`
 * runs them) on each store: export -> import into an empty store -> the same
 * pages over HTTP; a second import changes nothing and says so; a dry run
 * writes nothing; an invalid file is refused naming the path in the file,
 * with nothing written; ratings are kept.
 */
import fs from 'node:fs';
import path from 'node:path';
import {
  ChangesDocument,
  EditorPageDocument,
  SetFactVerificationDocument,
  TitlePageDocument,
  UpdateTitleDocument,
} from '../generated/graphql';
import { execute } from '../helpers/graphql-client';
import { MONGODB_SUITE, openTestDatabase, TEST_MONGODB_URI } from '../helpers/mongo';
import { buildServer, runToExit } from '../helpers/server-process';
import { startTestApp, tempDataDir, type TestApp } from '../helpers/test-app';

const TOKEN = 'catalog-editor-token-2b9f64ae03c1';
const EDITOR = { authorization: `Bearer ${TOKEN}` };

/** Where a store lives: env for the app and the scripts, and how to drop it. */
interface StoreLocation {
  env: Record<string, string>;
  drop(): Promise<void>;
}

const kinds: Array<[string, () => StoreLocation]> = [
  [
    'Catalog files: sqlite',
    () => {
      const dataDir = tempDataDir('reelcheck-catalog-');
      return {
        env: { DATA_DIR: dataDir },
        drop: async () => fs.rmSync(dataDir, { recursive: true, force: true }),
      };
    },
  ],
];
if (TEST_MONGODB_URI) {
  kinds.push([
    `${MONGODB_SUITE}catalog files`,
    () => {
      const database = openTestDatabase(TEST_MONGODB_URI!);
      return { env: { MONGODB_URI: database.uri }, drop: () => database.drop() };
    },
  ]);
}

describe.each(kinds)('%s', (_name, locate) => {
  const dir = tempDataDir('reelcheck-catalog-files-');
  const file = (name: string) => path.join(dir, name);
  const script = (name: string, location: StoreLocation, args: string[]) =>
    runToExit(`dist/scripts/${name}.js`, location.env, { args, timeoutMs: 30_000 });
  let source: StoreLocation;
  let target: StoreLocation;

  beforeAll(buildServer);
  beforeEach(() => {
    source = locate();
    target = locate();
  });
  afterEach(async () => {
    await source?.drop();
    await target?.drop();
  });

  /** Every page as readers and editors see it, by slug (former slugs included). */
  async function pages(app: TestApp, slugs: string[]) {
    return Promise.all(
      slugs.map(async (slug) => ({
        page: (await execute(app.url, TitlePageDocument, { slug })).data,
        editor: (await execute(app.url, EditorPageDocument, { slug }, EDITOR)).data,
      })),
    );
  }

  async function withApp<T>(location: StoreLocation, work: (app: TestApp) => Promise<T>) {
    const app = await startTestApp({ env: { ADMIN_TOKEN: TOKEN, ...location.env } });
    try {
      return await work(app);
    } finally {
      await app.stop();
    }
  }

  it('round trip: export, import into an empty store, identical pages', async () => {
    const slugs = ['the-glory', 'vincenzo', 'vincenzo-cassano', 'my-name'];
    const before = await withApp(source, async (app) => {
      const vincenzo = (await execute(app.url, EditorPageDocument, { slug: 'vincenzo' })).data!
        .title!;
      await execute(
        app.url,
        UpdateTitleDocument,
        { id: vincenzo.id, input: { name: 'Vincenzo Cassano', year: 2021 }, expectedRevision: 1 },
        EDITOR,
      );
      const glory = (await execute(app.url, EditorPageDocument, { slug: 'the-glory' })).data!
        .title!;
      await execute(
        app.url,
        SetFactVerificationDocument,
        {
          id: glory.facts[0].id,
          input: { status: 'VERIFIED', sources: [{ url: 'https://example.org/x', label: 'X' }] },
        },
        EDITOR,
      );
      return pages(app, slugs);
    });
    const exported = await script('catalog-export', source, ['--out', file('export.json')]);
    expect(exported.stderr).toBe('');
    expect(exported.stdout).toContain(`exported 3 titles`);

    const imported = await script('catalog-import', target, [file('export.json')]);
    expect(imported.code).toBe(0);
    expect(imported.stdout).toContain('3 created');
    const again = await script('catalog-import', target, [file('export.json')]);
    expect(again.stdout).toContain('no changes');

    // The target was empty: the server starts without seeding over the imported catalog.
    const after = await withApp(target, (app) => pages(app, slugs));
    expect(after).toEqual(before);
    expect(after[1].editor?.title?.slug).toBe('vincenzo-cassano'); // the old slug resolves
  });

  it('dry run reports and writes nothing; an import keeps ratings and says what changed', async () => {
    await withApp(target, async (app) => {
      // Seeded at start; one rating to keep.
      const glory = (await execute(app.url, EditorPageDocument, { slug: 'the-glory' })).data!
        .title!;
      await fetch(`${app.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          query: 'mutation($i: RateAccuracyInput!) { rateAccuracy(input: $i) { rating { id } } }',
          variables: { i: { titleId: glory.id, score: 4, voterId: 'keeper-0001' } },
        }),
      });
    });
    const seed = JSON.parse(fs.readFileSync('src/seed/catalog.json', 'utf8'));
    seed.titles[1].year = 2021;
    fs.writeFileSync(file('edited.json'), JSON.stringify(seed));
    const dry = await script('catalog-import', target, [file('edited.json'), '--dry-run']);
    expect(dry.code).toBe(0);
    expect(dry.stdout).toContain('dry run, nothing written');
    expect(dry.stdout).toContain('1 updated');
    await withApp(target, async (app) => {
      const vincenzo = await execute(app.url, EditorPageDocument, { slug: 'vincenzo' });
      expect(vincenzo.data!.title!.year).toBeNull();
    });

    const real = await script('catalog-import', target, [file('edited.json')]);
    expect(real.stdout).toContain('0 created, 1 updated, 2 unchanged');
    await withApp(target, async (app) => {
      const page = (await execute(app.url, TitlePageDocument, { slug: 'the-glory' })).data!.title!;
      expect(page.accuracy.count).toBe(1);
      const vincenzo = (await execute(app.url, EditorPageDocument, { slug: 'vincenzo' })).data!
        .title!;
      expect(vincenzo).toMatchObject({ year: 2021, revision: 2 });
      const changes = await execute(
        app.url,
        ChangesDocument,
        { slug: 'vincenzo', first: 1 },
        EDITOR,
      );
      expect(changes.data!.title!.changes.edges[0].node).toMatchObject({
        operation: 'IMPORT_CATALOG',
        fields: [{ field: 'year', before: null, after: 2021 }],
      });
    });
  });

  it('refuses an invalid file naming the path in it, and writes nothing', async () => {
    await withApp(target, async () => undefined); // seeded
    const exportBefore = await script('catalog-export', target, ['--out', file('before.json')]);
    expect(exportBefore.code).toBe(0);
    const seed = JSON.parse(fs.readFileSync('src/seed/catalog.json', 'utf8'));
    seed.titles[1].year = 2021; // a valid change, refused with the rest
    seed.titles[0].facts[3].category = 'TRIVIA';
    seed.titles[2].recommendations = [{ titleId: 'no-such-title', label: 'More', reason: '' }];
    fs.writeFileSync(file('invalid.json'), JSON.stringify(seed));
    const refused = await script('catalog-import', target, [file('invalid.json')]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('titles[0].facts[3].category');
    expect(refused.stderr).toContain('nothing was written');
    seed.titles[0].facts[3].category = 'DID_YOU_KNOW';

    // Rules across entries: a genre twice, a TMDB identity twice in the file, or taken in the store.
    const twice = structuredClone(seed);
    twice.titles[1].genres = ['Drama', 'drama'];
    Object.assign(twice.titles[2], { tmdbId: 136283, mediaType: 'TV' }); // The Glory's
    fs.writeFileSync(file('twice.json'), JSON.stringify(twice));
    const repeated = await script('catalog-import', target, [file('twice.json')]);
    expect(repeated.code).toBe(1);
    expect(repeated.stderr).toContain('titles[1].genres[1]: repeats genres[0]');
    expect(repeated.stderr).toContain("titles[2].tmdbId: TMDB TV 136283 is also titles[0]'s");
    const newcomer = {
      ...twice.titles[2],
      ...{ id: 'glory-twin', slug: 'glory-twin', facts: [], recommendations: [] },
    };
    fs.writeFileSync(file('taken.json'), JSON.stringify({ ...seed, titles: [newcomer] }));
    const taken = await script('catalog-import', target, [file('taken.json')]);
    expect(taken.code).toBe(1);
    expect(taken.stderr).toContain(
      'titles[0].tmdbId: TMDB TV 136283 already belongs to the title "the-glory" in the store',
    );

    fs.writeFileSync(file('dangling.json'), JSON.stringify(seed));
    const dangling = await script('catalog-import', target, [file('dangling.json')]);
    expect(dangling.code).toBe(1);
    expect(dangling.stderr).toContain('titles[2].recommendations[0].titleId');

    fs.writeFileSync(file('broken.json'), '{ "format": ');
    const broken = await script('catalog-import', target, [file('broken.json')]);
    expect(broken.stderr).toContain('cannot be read as JSON');

    await script('catalog-export', target, ['--out', file('after.json')]);
    expect(fs.readFileSync(file('after.json'), 'utf8')).toBe(
      fs.readFileSync(file('before.json'), 'utf8'),
    );
  });
});

describe('Catalog files: a dry run without an embedded store', () => {
  beforeAll(buildServer);

  it('reports what an import would create, and creates nothing: no store file, no DATA_DIR', async () => {
    const parent = tempDataDir('reelcheck-dry-run-');
    const dataDir = path.join(parent, 'data');
    const dry = await runToExit(
      'dist/scripts/catalog-import.js',
      { DATA_DIR: dataDir },
      {
        args: [path.resolve('src/seed/catalog.json'), '--dry-run'],
        timeoutMs: 30_000,
      },
    );
    expect(dry.code).toBe(0);
    expect(dry.stdout).toContain('dry run, nothing written');
    expect(dry.stdout).toContain('3 created, 0 updated, 0 unchanged');
    expect(fs.existsSync(dataDir)).toBe(false);
    expect(fs.readdirSync(parent)).toEqual([]);

    // The same in an existing, empty DATA_DIR.
    fs.mkdirSync(dataDir);
    const again = await runToExit(
      'dist/scripts/catalog-import.js',
      { DATA_DIR: dataDir },
      {
        args: [path.resolve('src/seed/catalog.json'), '--dry-run'],
        timeoutMs: 30_000,
      },
    );
    expect(again.stdout).toContain('3 created');
    expect(fs.readdirSync(dataDir)).toEqual([]);
  });
});
