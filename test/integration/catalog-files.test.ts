/**
 * Catalog files end to end, with the built scripts (as `npm run catalog:*`
 * runs them) on each store: export -> import into an empty store -> the same
 * pages over HTTP; a second import changes nothing and says so; a dry run
 * writes nothing; an invalid file is refused naming the path in the file,
 * with nothing written; ratings are kept. Review records (version 2) travel:
 * fact reviews, reports open and closed, resolutions, and the queue they give.
 */
import fs from 'node:fs';
import path from 'node:path';
import {
  type CatalogFileContents,
  type CatalogFileError,
  parseCatalogFile,
  toCatalogFile,
} from '../../src/catalog/format';
import {
  ChangesDocument,
  EditorPageDocument,
  FactReviewsDocument,
  ReviewQueueDocument,
  SetFactVerificationDocument,
  TitlePageDocument,
  UpdateTitleDocument,
} from '../generated/graphql';
import { catalogOf } from '../fixtures/catalog';
import { execute } from '../helpers/graphql-client';
import { fileReviews } from '../fixtures/reviews';
import { MONGODB_SUITE, openTestDatabase, TEST_MONGODB_URI } from '../helpers/mongo';
import { buildServer, runToExit } from '../helpers/server-process';
import { startTestApp, tempDataDir, type TestApp } from '../helpers/test-app';

const TOKEN = 'catalog-editor-token-2b9f64ae03c1';
const SNAPSHOT = { voteAverage: 8, voteCount: 3, fetchedAt: new Date('2026-12-01T00:00:00.000Z') };
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

/** Every fact's public review, and the editors' queue with its figures and open reports. */
async function reviewState(app: TestApp) {
  return {
    facts: (await execute(app.url, FactReviewsDocument, { slug: 'the-glory' })).data,
    queue: (await execute(app.url, ReviewQueueDocument, { first: 50 }, EDITOR)).data,
  };
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

  it('carries review records: export (version 2), import into an empty store, the same reviews and queue', async () => {
    const before = await withApp(source, async (app) => {
      await fileReviews(app, EDITOR);
      return reviewState(app);
    });
    const statuses = before.queue!.reviewQueue.edges.map((e) => e.node.review.status).sort();
    expect(statuses).toEqual(['NOT_REVIEWED', 'REVIEWED', 'UNDER_REVIEW']);

    const exported = await script('catalog-export', source, ['--out', file('reviews.json')]);
    expect(exported.code).toBe(0);
    expect(exported.stdout).toContain(
      'exported 3 titles (2 fact reviews, 5 reports, 1 resolutions)',
    );
    const json = JSON.parse(fs.readFileSync(file('reviews.json'), 'utf8'));
    expect(json.version).toBe(2);
    const glory = json.titles.findIndex((t: { slug: string }) => t.slug === 'the-glory');
    const reports = json.titles[glory].reports as Array<Record<string, unknown>>;
    expect(reports.map((r) => r.state).sort()).toEqual([
      'CLOSED',
      'CLOSED',
      'OPEN',
      'OPEN',
      'OPEN',
    ]);
    expect(reports.map((r) => r.voterId)).toContain('reporter-0002'); // an editors' file

    const imported = await script('catalog-import', target, [file('reviews.json')]);
    expect(imported.stderr).toBe('');
    expect(imported.stdout).toContain(
      '3 created, 0 updated, 0 unchanged; review records: 8 written, 0 unchanged',
    );
    const again = await script('catalog-import', target, [file('reviews.json')]);
    expect(again.stdout).toContain(
      'no changes (3 titles and 8 review records already as in the file)',
    );

    expect(await withApp(target, reviewState)).toEqual(before);
    // Closed reports and the resolution too: the target exports the same file.
    await script('catalog-export', target, ['--out', file('reviews-again.json')]);
    expect(fs.readFileSync(file('reviews-again.json'), 'utf8')).toBe(
      fs.readFileSync(file('reviews.json'), 'utf8'),
    );

    // Refused, naming the place in the file, with nothing written: a closed report whose
    // resolution is not in the file; an OPEN report of a voter who has another one there.
    const dangling = structuredClone(json);
    dangling.titles[glory].resolutions = [];
    dangling.titles[glory].factReviews = [];
    fs.writeFileSync(file('dangling-reviews.json'), JSON.stringify(dangling));
    const refused = await script('catalog-import', target, [file('dangling-reviews.json')]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(
      new RegExp(
        `titles\\[${glory}\\]\\.reports\\[\\d\\]\\.closedBy: no resolution "\\w+" in the file`,
      ),
    );
    const rival = structuredClone(json);
    const open = rival.titles[glory].reports.findIndex(
      (r: { state: string; voterId: string }) =>
        r.state === 'OPEN' && r.voterId === 'reporter-0003',
    );
    rival.titles[glory].reports[open].id = 'rival-report-0001';
    fs.writeFileSync(file('rival.json'), JSON.stringify(rival));
    const conflict = await script('catalog-import', target, [file('rival.json')]);
    expect(conflict.code).toBe(1);
    expect(conflict.stderr).toContain(
      `titles[${glory}].reports[${open}].state: the voter "reporter-0003" already has the OPEN report "${json.titles[glory].reports[open].id}" of this fact in the store`,
    );
    await script('catalog-export', target, ['--out', file('reviews-after.json')]);
    expect(fs.readFileSync(file('reviews-after.json'), 'utf8')).toBe(
      fs.readFileSync(file('reviews.json'), 'utf8'),
    );
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

describe('Catalog files: the format', () => {
  /**
   * A title with a fact and a recommendation, and one record of each kind
   * (the fact reviewed, its report closed).
   */
  const contents = (): CatalogFileContents => {
    const catalog = catalogOf({
      titles: [{ id: 'alpha', tmdbId: 7, tmdbSnapshot: SNAPSHOT }, { id: 'beta' }],
      facts: [
        { id: 'alpha-1', titleId: 'alpha', category: 'DID_YOU_KNOW', position: 1, text: 'A.' },
      ],
      recommendations: [
        { titleId: 'alpha', recommendedTitleId: 'beta', position: 1, label: 'More', reason: '' },
      ],
    });
    const at = new Date('2026-12-02T00:00:00.000Z');
    return {
      catalog,
      reviews: {
        reports: [
          {
            id: 'report-1',
            factId: 'alpha-1',
            titleId: 'alpha',
            voterId: 'voter-0001',
            reason: 'INACCURATE',
            note: 'no',
            sourceUrl: 'https://example.org/',
            suggestedText: 'B.',
            createdAt: at,
            updatedAt: at,
            state: 'CLOSED',
            closedBy: 'resolution-1',
          },
        ],
        resolutions: [
          {
            id: 'resolution-1',
            factId: 'alpha-1',
            titleId: 'alpha',
            outcome: 'CORRECTED',
            note: 'yes',
            resolvedAt: at,
          },
        ],
        reviews: [
          {
            factId: 'alpha-1',
            titleId: 'alpha',
            review: {
              status: 'REVIEWED',
              outcome: 'CORRECTED',
              reviewedAt: at,
              reviewId: 'resolution-1',
              takenUpAt: null,
              ratingsAtReview: [1, 0, 0, 0, 2],
            },
          },
        ],
      },
    };
  };

  it('reads back what it writes (version 2), records and all', () => {
    const { catalog, reviews } = contents();
    const file = toCatalogFile(catalog, reviews);
    expect(file.version).toBe(2);
    expect(parseCatalogFile(JSON.parse(JSON.stringify(file)))).toEqual({ catalog, reviews });
    // Without records, the lists are left out.
    expect(Object.keys(toCatalogFile(catalog).titles[0])).not.toContain('reports');
  });

  it('is what docs/editors.md shows: the same fields at every level', () => {
    const docs = fs.readFileSync('docs/editors.md', 'utf8');
    const section = docs.slice(docs.indexOf('## Catalog files'));
    const block = /```jsonc\n([\s\S]*?)```/.exec(section)![1];
    // JSON with comments and trailing commas: comments start after a delimiter, not in a URL.
    const example = JSON.parse(
      block.replace(/(^|[,{[\]])\s*\/\/.*$/gm, '$1').replace(/,(\s*[}\]])/g, '$1'),
    );
    const { catalog, reviews } = contents();
    const file = JSON.parse(JSON.stringify(toCatalogFile(catalog, reviews)));
    const keys = (value: object) => Object.keys(value).sort();
    expect(keys(example)).toEqual(keys(file));
    const [shown, written] = [example.titles[0], file.titles[0]];
    expect(keys(shown)).toEqual(keys(written));
    for (const list of ['facts', 'factReviews', 'reports', 'resolutions', 'recommendations']) {
      expect([list, keys(shown[list][0])]).toEqual([list, keys(written[list][0])]);
    }
    expect(keys(shown.facts[0].verification)).toEqual(keys(written.facts[0].verification));
    expect(keys(shown.tmdbSnapshot)).toEqual(keys(written.tmdbSnapshot));
  });

  it('refuses review records in a version-1 file, and records that do not hold together', () => {
    const { catalog, reviews } = contents();
    const file = JSON.parse(JSON.stringify(toCatalogFile(catalog, reviews)));
    const issues = (json: unknown) => {
      try {
        parseCatalogFile(json);
      } catch (error) {
        return (error as CatalogFileError).issues.map((i) => `${i.path}: ${i.message}`);
      }
      return [];
    };
    expect(issues({ ...file, version: 1 })).toEqual([
      expect.stringMatching(
        /^titles\[0\]: Unrecognized keys: "factReviews", "reports", "resolutions"/,
      ),
    ]);
    const broken = structuredClone(file);
    const title = broken.titles[0];
    title.reports.push({ ...title.reports[0], state: 'OPEN', closedBy: null });
    title.reports.push({ ...title.reports[0], id: 'report-2', state: 'OPEN', closedBy: null });
    title.factReviews[0].takenUpAt = title.factReviews[0].reviewedAt;
    title.resolutions[0].factId = 'alpha-2';
    expect(issues(broken)).toEqual([
      'titles[0].factReviews[0].takenUpAt: takenUpAt is when an editor took it up: set exactly when UNDER_REVIEW',
      'titles[0].reports[1].id: repeats titles[0].reports[0].id',
      "titles[0].reports[2].state: the voter's OPEN report of this fact is titles[0].reports[1]",
      'titles[0].reports[0].closedBy: names titles[0].resolutions[0], a resolution of another fact',
      'titles[0].factReviews[0].reviewId: names titles[0].resolutions[0], a resolution of another fact',
    ]);
  });
});
