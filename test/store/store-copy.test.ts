/**
 * store:copy between embedded stores (no MongoDB needed): a whole store is
 * copied with every kind of record and checked (reports, resolutions and
 * fact reviews included: the queue reads the same); a non-empty target that is
 * not the copy's own partial copy is refused and left untouched; a source a
 * server holds is refused; a copy stopped midway resumes without duplicates.
 * (MongoDB both ways, and kill -9 of the built script: test/integration/mongo-store-copy.test.ts.)
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import pino from 'pino';
import { writeCatalog } from '../../src/catalog/write';
import { hideComment } from '../../src/model/moderation';
import { loadCatalog } from '../../src/seed/catalog';
import { newStoreId } from '../../src/store/ids';
import { ReviewService } from '../../src/reviews/service';
import { copyStore, CopyRefusedError } from '../../src/store/copy/copy';
import { MARKER_FILE } from '../../src/store/copy/sqlite-target';
import type { Store } from '../../src/store/port';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store';
import { tempDir } from '../helpers/temp-dirs';

/**
 * A store with every kind of record: the seed catalog, an edit (revision 2,
 * a change record), a TMDB snapshot, ratings of titles and facts with
 * comments, a re-rating and a hidden comment (moderation + its record), and
 * with `reviews` reports (open and closed), a fact under review, one
 * resolved with a corrected text and reported again.
 */
async function seededStore(ratings = 40, reviews = false): Promise<string> {
  const dataDir = tempDir('reelcheck-copy-src-');
  const store = await SqliteStore.open({ dataDir });
  try {
    await writeCatalog(store, loadCatalog());
    const edited = loadCatalog();
    edited.titles[1].title.year = 2021;
    await writeCatalog(store, edited);
    const [gloryTitle] = await store.titlesBySlugs(['the-glory']);
    const glory = (await store.curatedTitlesByIds([gloryTitle!.id]))[0]!;
    await store.saveTmdbSnapshot(glory.title.id, {
      voteAverage: 8.6,
      voteCount: 1234,
      fetchedAt: new Date('2026-01-02T03:04:05.678Z'),
    });
    let commented = '';
    for (let i = 0; i < ratings; i++) {
      const fact = glory.facts[i % glory.facts.length];
      const { rating } = await store.upsertRating(
        {
          target:
            i % 3 === 0
              ? { kind: 'TITLE', titleId: glory.title.id }
              : { kind: 'FACT', titleId: glory.title.id, factId: fact.id },
          voterId: `voter-${String(i).padStart(4, '0')}`,
          score: (i % 5) + 1,
          comment: i % 4 === 0 ? `comment ${i} ✓ ｇｌｏｒｙ` : null,
        },
        new Date(Date.UTC(2026, 0, 1, 0, 0, i)),
      );
      if (i === 4) commented = rating.id;
    }
    await store.upsertRating(
      {
        target: { kind: 'TITLE', titleId: glory.title.id },
        voterId: 'voter-0000',
        score: 2,
        comment: 'changed my mind',
      },
      new Date('2026-02-01T00:00:00Z'),
    );
    await store.moderateRating(commented, (current) =>
      hideComment({ now: new Date('2026-02-02T00:00:00Z'), newId: newStoreId }, current, 'spoiler'),
    );
    if (reviews)
      await fileReviews(
        store,
        glory.facts.map((f) => f.id),
      );
  } finally {
    await store.close();
  }
  return dataDir;
}

/**
 * Reports of the first four facts; facts[0] resolved CORRECTED (its text
 * replaced, its two reports closed) and reported again; facts[1] taken up.
 */
async function fileReviews(store: Store, factIds: string[]): Promise<void> {
  let minute = 0;
  const service = new ReviewService(
    store,
    { consume: async () => undefined },
    { minRatings: 10, minLowerBound: 0.3 },
    { now: () => new Date(Date.UTC(2026, 2, 1, 0, minute++)) },
  );
  const reporter = { address: '127.0.0.1', logger: pino({ enabled: false }) };
  const report = (factId: string, voterId: string, reason: string, sourceUrl?: string) =>
    service.report(
      { factId, voterId, reason, sourceUrl, note: `note by ${voterId}`, suggestedText: null },
      reporter,
    );
  await report(factIds[0], 'reporter-0001', 'INACCURATE', 'https://example.org/cast');
  await report(factIds[0], 'reporter-0002', 'MISLEADING');
  await report(factIds[1], 'reporter-0001', 'OUTDATED');
  await report(factIds[2], 'reporter-0003', 'UNVERIFIABLE', 'https://example.org/u');
  await report(factIds[3], 'reporter-0004', 'OTHER');
  await service.takeUp(factIds[1]);
  await service.resolve({
    factId: factIds[0],
    outcome: 'CORRECTED',
    note: 'the cast list says otherwise',
    edit: { kind: 'text', text: 'A corrected text.', expectedRevision: 1 },
  });
  await report(factIds[0], 'reporter-0001', 'OTHER');
}

/** Everything a reader or editor can get from a store, by the port's reads. */
async function everything(store: Store) {
  const { titles } = await store.listTitles({ first: 100 });
  const ids = titles.map((t) => t.id);
  const curated = await store.curatedTitlesByIds(ids);
  const factIds = curated.flatMap((c) => c!.facts.map((f) => f.id));
  const targets = curated.flatMap((c) => [
    `title:${c!.title.id}`,
    ...c!.facts.map((f) => `fact:${f.id}`),
  ]);
  return {
    titles,
    curated,
    bySlug: await store.titlesBySlugs(curated.flatMap((c) => [c!.title.slug, ...c!.formerSlugs])),
    aggregates: await store.aggregatesByTargets(targets),
    ratings: await Promise.all(targets.map((key) => store.ratingsByTarget(key))),
    comments: await Promise.all(targets.map((key) => store.commentsOf(key, { first: 100 }))),
    changes: await Promise.all(ids.map((id) => store.changesOfTitle(id, { first: 100 }))),
    search: await store.listTitles({ search: 'glo', first: 10 }),
    count: await store.countTitles(),
    reviews: await store.reviewsOfFacts(factIds),
    openReports: await store.openReportsOfFacts(factIds),
    queue: await store.reviewQueue({ first: 100 }),
    reports: await collect(store.allReports()),
    resolutions: await collect(store.allResolutions()),
  };
}

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}

async function readAll(dataDir: string) {
  const store = await SqliteStore.open({ dataDir });
  try {
    return await everything(store);
  } finally {
    await store.close();
  }
}

/** Every file of a directory with its SHA-256: "left untouched" is "the same bytes". */
function fingerprint(dir: string): Record<string, string> {
  return Object.fromEntries(
    fs
      .readdirSync(dir)
      .sort()
      .map((name) => [
        name,
        createHash('sha256')
          .update(fs.readFileSync(path.join(dir, name)))
          .digest('hex'),
      ]),
  );
}

const quiet = () => undefined;

describe('store:copy between embedded stores', () => {
  it('copies every kind of record; reads, counts and checksums are equal; the source is unchanged', async () => {
    const source = await seededStore(40, true);
    const before = await readAll(source);
    const sourceFiles = fingerprint(source);
    const target = path.join(tempDir('reelcheck-copy-dst-'), 'data');
    const lines: string[] = [];

    const result = await copyStore({
      from: source,
      to: target,
      batchSize: 7,
      out: (l) => lines.push(l),
    });

    expect(result.ok).toBe(true);
    expect(result.resumed).toBe(false);
    expect(result.aggregates.drift).toBe(0);
    for (const row of result.comparison) {
      expect(row).toMatchObject({ equal: true });
      expect(row.target).toEqual(row.source);
    }
    const counts = Object.fromEntries(result.comparison.map((r) => [r.kind, r.source.count]));
    expect(counts).toMatchObject({
      titles: 3,
      ratings: 40,
      'tmdb snapshots': 1,
      reports: 6,
      'review resolutions': 1,
      // Reviewed, under review, and the two others with open reports (their tallies).
      'fact reviews': 4,
    });
    expect(counts['slug history']).toBeGreaterThanOrEqual(0);
    expect(counts.changes).toBeGreaterThan(0);
    expect(lines).toContain('ratings 40/40');
    expect(lines.join('\n')).toMatch(/kind\s+source\s+target/);
    expect(lines.at(-1)).toMatch(/^copy complete/);
    expect(fs.existsSync(path.join(target, MARKER_FILE))).toBe(false);
    expect(fingerprint(source)).toEqual(sourceFiles);

    const after = await readAll(target);
    expect(after).toEqual(before);
    expect(after.queue.items.map((e) => e.review.status)).toEqual(
      expect.arrayContaining(['UNDER_REVIEW', 'REVIEWED', 'NOT_REVIEWED']),
    );
    expect(after.reports.filter((r) => r.state === 'CLOSED')).toHaveLength(2);
    const hidden = after.ratings.flat().filter((r) => r.hidden !== null);
    expect(hidden).toHaveLength(1);
    expect(hidden[0].hidden!.reason).toBe('spoiler');
  });

  it('refuses a non-empty target that is not its own partial copy, and leaves it untouched', async () => {
    const source = await seededStore(5);
    const target = await seededStore(3);
    const files = fingerprint(target);

    const refused = copyStore({ from: source, to: target, out: quiet });
    await expect(refused).rejects.toThrow(CopyRefusedError);
    await expect(refused).rejects.toThrow(
      `refusing to copy into the data directory ${target}: it is not empty (3 titles, 3 ratings`,
    );
    expect(fingerprint(target)).toEqual(files);
  });

  it('refuses a source a server holds, saying so; a store file (a backup) is copied instead', async () => {
    const source = await seededStore(2);
    const server = await SqliteStore.open({ dataDir: source });
    const target = tempDir('reelcheck-copy-dst-');
    try {
      await expect(copyStore({ from: source, to: target, out: quiet })).rejects.toThrow(
        `the embedded store in ${source} is in use: a Reelcheck server (or another script) holds its lock`,
      );
      expect(fs.readdirSync(target)).toEqual([]);
    } finally {
      await server.close();
    }
    // A closed store file elsewhere, as store:backup writes one: --from takes the file itself.
    const backup = path.join(tempDir('reelcheck-copy-backup-'), 'reelcheck-backup.sqlite');
    fs.copyFileSync(path.join(source, 'reelcheck.sqlite'), backup);
    const result = await copyStore({ from: backup, to: target, out: quiet });
    expect(result.ok).toBe(true);
    expect(await readAll(target)).toEqual(await readAll(source));
  });

  it('resumes its own partial copy without duplicates; another source is refused from it', async () => {
    const source = await seededStore(30);
    const target = tempDir('reelcheck-copy-dst-');
    // Stopped in the middle of the ratings (the progress line of the second batch throws).
    await expect(
      copyStore({
        from: source,
        to: target,
        batchSize: 10,
        out: (line) => {
          if (line === 'ratings 20/30') throw new Error('stopped');
        },
      }),
    ).rejects.toThrow('stopped');
    const marker = JSON.parse(fs.readFileSync(path.join(target, MARKER_FILE), 'utf8'));
    expect(marker).toMatchObject({ source: expect.stringContaining(source), done: ['titles'] });

    const other = await seededStore(1);
    await expect(copyStore({ from: other, to: target, out: quiet })).rejects.toThrow(
      /it holds a partial copy from another source \(embedded .*, started .*; 3 titles, 20 ratings/,
    );

    const lines: string[] = [];
    const result = await copyStore({
      from: source,
      to: target,
      batchSize: 10,
      out: (l) => lines.push(l),
    });
    expect(result).toMatchObject({ ok: true, resumed: true });
    expect(lines[0]).toMatch(/^resuming the partial copy from embedded /);
    expect(lines).toContain('titles: copied by the earlier run');
    expect(result.comparison.find((r) => r.kind === 'ratings')!.target.count).toBe(30);
    expect(await readAll(target)).toEqual(await readAll(source));
  });

  it('resumes a copy stopped in the middle of the reports: tallies and the queue as in the source', async () => {
    const source = await seededStore(12, true);
    const target = tempDir('reelcheck-copy-dst-');
    await expect(
      copyStore({
        from: source,
        to: target,
        batchSize: 2,
        out: (line) => {
          if (line === 'reports 4/6') throw new Error('stopped');
        },
      }),
    ).rejects.toThrow('stopped');
    const marker = JSON.parse(fs.readFileSync(path.join(target, MARKER_FILE), 'utf8'));
    expect(marker.done).toEqual(['titles', 'ratings', 'changes']);

    const lines: string[] = [];
    const result = await copyStore({
      from: source,
      to: target,
      batchSize: 2,
      out: (l) => lines.push(l),
    });
    expect(result).toMatchObject({ ok: true, resumed: true });
    expect(lines).toContain('changes: copied by the earlier run');
    expect(lines).toContain('reports 6/6');
    const after = await readAll(target);
    expect(after).toEqual(await readAll(source));
    expect(after.queue.items.length).toBeGreaterThanOrEqual(4);
  });
});
