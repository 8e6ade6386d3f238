/**
 * store:copy with MongoDB (TEST_MONGODB_URI; skipped without it):
 * (a) embedded -> MongoDB -> a fresh embedded store: every page, summary,
 *     comment list, audit trail, fact review and the review queue the real
 *     app serves is the same before and after (and served from the MongoDB
 *     copy), counts and checksums equal;
 * (b) MongoDB (10,000 ratings) -> embedded with the built script, killed
 *     with -9 in the middle of the ratings: run again, it resumes its own
 *     partial copy and completes, no duplicates, checksums equal;
 * (c) a non-empty MongoDB target that is not its own partial copy is refused
 *     and left untouched;
 * and a copy into MongoDB resumes, also one stopped in the reports, or killed
 * between a report and its tally.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { writeCatalog } from '../../src/catalog/write';
import { hideComment } from '../../src/model/moderation';
import { loadCatalog } from '../../src/seed/catalog';
import { copyStore, CopyRefusedError } from '../../src/store/copy/copy';
import { MARKER_FILE } from '../../src/store/copy/sqlite-target';
import { type ReportRecord, tallyOf } from '../../src/model';
import type { RatingDoc } from '../../src/store/mongo/document-model';
import type { ReportDoc } from '../../src/store/mongo/review-documents';
import { MongoStore } from '../../src/store/mongo/mongo-store';
import { newStoreId } from '../../src/store/ids';
import {
  ChangesDocument,
  CommentsDocument,
  EditorPageDocument,
  FactReviewsDocument,
  HideRatingCommentDocument,
  RateAccuracyDocument,
  ReviewQueueDocument,
  SetFactVerificationDocument,
  TitleListDocument,
  TitlePageDocument,
  UpdateTitleDocument,
} from '../generated/graphql';
import { execute } from '../helpers/graphql-client';
import { fileReviews } from '../fixtures/reviews';
import { describeMongo, openTestDatabase, type TestDatabase } from '../helpers/mongo';
import { buildServer, exited, ROOT, runToExit } from '../helpers/server-process';
import { startTestApp, type TestApp } from '../helpers/test-app';
import { tempDir } from '../helpers/temp-dirs';

const TOKEN = 'store-copy-editor-token-5c1e0b7d2f94';
const EDITOR = { authorization: `Bearer ${TOKEN}` };
const SLUGS = ['the-glory', 'vincenzo', 'vincenzo-cassano', 'my-name'];
const quiet = () => undefined;

async function withApp<T>(env: Record<string, string>, work: (app: TestApp) => Promise<T>) {
  const app = await startTestApp({
    env: { ADMIN_TOKEN: TOKEN, RATINGS_RATE_LIMIT_PER_MINUTE: '100000', ...env },
  });
  try {
    return await work(app);
  } finally {
    await app.stop();
  }
}

/**
 * What readers and editors get: pages with summaries, comments, the audit
 * trail and fact reviews, the list, the review queue with its reports.
 */
async function served(app: TestApp) {
  const pages = await Promise.all(
    SLUGS.map(async (slug) => ({
      page: await execute(app.url, TitlePageDocument, { slug }),
      editor: await execute(app.url, EditorPageDocument, { slug }, EDITOR),
      comments: await execute(app.url, CommentsDocument, { slug, first: 50 }),
      changes: await execute(app.url, ChangesDocument, { slug, first: 50 }, EDITOR),
      reviews: await execute(app.url, FactReviewsDocument, { slug }),
    })),
  );
  const list = await execute(app.url, TitleListDocument, { first: 20 });
  const queue = await execute(app.url, ReviewQueueDocument, { first: 50 }, EDITOR);
  return { pages, list, queue };
}

describeMongo('store:copy', (uri) => {
  let databases: TestDatabase[] = [];
  const database = () => {
    const db = openTestDatabase(uri);
    databases.push(db);
    return db;
  };
  beforeAll(buildServer);
  afterEach(async () => {
    for (const db of databases) await db.drop();
    databases = [];
  });

  it('(a) embedded -> MongoDB -> embedded: the same pages, summaries, comments, audit trail, reviews and queue', async () => {
    const source = tempDir('reelcheck-copy-a-');
    const rated = new Set<string>();
    const before = await withApp({ DATA_DIR: source }, async (app) => {
      const vincenzo = (await execute(app.url, EditorPageDocument, { slug: 'vincenzo' })).data!
        .title!;
      const renamed = await execute(
        app.url,
        UpdateTitleDocument,
        { id: vincenzo.id, input: { name: 'Vincenzo Cassano', year: 2021 }, expectedRevision: 1 },
        EDITOR,
      );
      expect(renamed.errors).toBeUndefined();
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
      let toHide = '';
      for (let i = 0; i < 30; i++) {
        const fact = glory.facts[i % glory.facts.length];
        // Every 10th rating re-rates the same target by the same voter (it replaces the first).
        const voterId = `voter-a-${String(i % 10 === 9 ? i - 9 : i).padStart(4, '0')}`;
        const titleId = i % 3 === 0 ? vincenzo.id : glory.id;
        const factId = i % 3 === 1 ? fact.id : null;
        rated.add(`${titleId} ${factId} ${voterId}`);
        const rating = await execute(app.url, RateAccuracyDocument, {
          input: {
            titleId,
            ...(factId ? { factId } : {}),
            score: (i % 5) + 1,
            voterId,
            comment: i % 2 === 0 ? `comment ${i}` : null,
          },
        });
        expect(rating.errors).toBeUndefined();
        if (i === 2) toHide = rating.data!.rateAccuracy.rating.id;
      }
      const hidden = await execute(
        app.url,
        HideRatingCommentDocument,
        { ratingId: toHide, reason: 'spoiler' },
        EDITOR,
      );
      expect(hidden.errors).toBeUndefined();
      await fileReviews(app, EDITOR);
      return served(app);
    });
    expect(before.pages[0].page.data!.title!.accuracy.count).toBeGreaterThan(0);
    const queued = before.queue.data!.reviewQueue.edges.map((e) => e.node.review.status).sort();
    expect(queued).toEqual(['NOT_REVIEWED', 'REVIEWED', 'UNDER_REVIEW']);

    const middle = database();
    const there = await copyStore({ from: source, to: middle.uri, batchSize: 8, out: quiet });
    expect(there.ok).toBe(true);
    expect(await middle.db.collection('store_copy').countDocuments()).toBe(0);
    const back = path.join(tempDir('reelcheck-copy-a-'), 'data');
    const again = await copyStore({ from: middle.uri, to: back, batchSize: 8, out: quiet });
    expect(again.ok).toBe(true);
    // Both copies checked the same records: counts and checksums equal end to end.
    expect(again.comparison.map((r) => r.target)).toEqual(there.comparison.map((r) => r.source));
    const count = (kind: string) => there.comparison.find((r) => r.kind === kind)!.source.count;
    expect([count('reports'), count('review resolutions'), count('fact reviews')]).toEqual([
      5, 1, 3,
    ]);
    const ratings = there.comparison.find((r) => r.kind === 'ratings')!;
    expect(ratings.source.count).toBe(rated.size);
    expect(rated.size).toBeLessThan(30); // re-ratings replaced earlier ones

    expect(await withApp({ DATA_DIR: back }, served)).toEqual(before);
    expect(await withApp({ MONGODB_URI: middle.uri }, served)).toEqual(before);
  });

  it('(b) MongoDB with 10,000 ratings -> embedded, killed with -9 midway: a re-run completes it', async () => {
    const source = database();
    const store = MongoStore.create({ uri: source.uri, serverSelectionTimeoutMs: 5000 });
    let titleId: string;
    let hexRating: string;
    try {
      await store.ping();
      await writeCatalog(store, loadCatalog());
      const [glory] = await store.titlesBySlugs(['the-glory']);
      titleId = glory!.id;
      const curated = (await store.curatedTitlesByIds([titleId]))[0]!;
      const targets = [
        { key: `title:${titleId}`, factId: null as string | null },
        ...curated.facts.map((f) => ({ key: `fact:${f.id}`, factId: f.id as string | null })),
      ];
      // Ids of both forms: the embedded store's ("1".."2000", from an earlier copy) and MongoDB's own.
      const at = new Date('2026-03-01T00:00:00Z');
      for (let batch = 0; batch < 10; batch++) {
        const docs: RatingDoc[] = [];
        for (let i = batch * 1000; i < (batch + 1) * 1000; i++) {
          const target = targets[i % targets.length];
          const comment = i % 10 === 0 ? `comment ${i}` : null;
          docs.push({
            _id: i < 2000 ? String(i + 1) : newStoreId(),
            targetKey: target.key,
            titleId,
            factId: target.factId,
            voterId: `voter-b-${String(Math.floor(i / targets.length)).padStart(6, '0')}`,
            score: (i % 5) + 1,
            comment,
            commented: comment !== null,
            hidden: null,
            createdAt: new Date(at.getTime() + i),
            updatedAt: new Date(at.getTime() + i),
          });
        }
        await source.db.collection<RatingDoc>('ratings').insertMany(docs, { ordered: false });
      }
      const hex = await source.db
        .collection<RatingDoc>('ratings')
        .findOne({ commented: true, _id: { $not: /^[0-9]+$/ } });
      hexRating = hex!._id;
      await store.moderateRating(hexRating, (current) =>
        hideComment({ now: new Date('2026-03-02T00:00:00Z'), newId: newStoreId }, current, 'abuse'),
      );
    } finally {
      await store.close();
    }

    const target = path.join(tempDir('reelcheck-copy-b-'), 'data');
    const args = ['--from', source.uri, '--to', target, '--batch-size', '500'];
    const first = spawn(
      process.execPath,
      [path.join(ROOT, 'dist/scripts/store-copy.js'), ...args],
      {
        cwd: ROOT,
        env: { PATH: process.env.PATH },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    const killedAt = await killWhen(first, (line) => {
      const match = /^ratings (\d+)\/10000$/.exec(line);
      return match !== null && Number(match[1]) >= 3000;
    });
    expect(first.signalCode).toBe('SIGKILL');
    expect(killedAt).toBeLessThan(10000);
    expect(fs.existsSync(path.join(target, MARKER_FILE))).toBe(true);

    const second = await runToExit('dist/scripts/store-copy.js', {}, { args, timeoutMs: 120_000 });
    expect(second.stderr).toBe('');
    expect(second.code).toBe(0);
    expect(second.stdout).toMatch(
      /^resuming the partial copy from mongodb mongodb:\/\/.*\/reelcheck_test_/,
    );
    expect(second.stdout).toContain('titles: copied by the earlier run');
    expect(second.stdout).toMatch(/^ratings\s+10000\s+10000\s+\w+\s+\w+\s+ok$/m);
    expect(second.stdout).not.toContain('MISMATCH');
    expect(second.stdout).toContain('copy complete');
    expect(fs.existsSync(path.join(target, MARKER_FILE))).toBe(false);

    const db = new Database(path.join(target, 'reelcheck.sqlite'), { readonly: true });
    try {
      expect(db.prepare('SELECT count(*) AS n FROM ratings').get()).toEqual({ n: 10000 });
      expect(
        db.prepare("SELECT count(DISTINCT target_key || ' ' || voter_id) AS n FROM ratings").get(),
      ).toEqual({ n: 10000 });
      // The embedded-form ids were kept; the hidden comment's audit record names the renumbered rating.
      expect(db.prepare('SELECT voter_id FROM ratings WHERE id = 2000').get()).toBeDefined();
      const change = db
        .prepare("SELECT entity_id FROM changes WHERE entity_type = 'RATING_COMMENT'")
        .get() as { entity_id: string };
      const hidden = db
        .prepare('SELECT id, hidden_reason FROM ratings WHERE hidden_at IS NOT NULL')
        .get() as { id: number; hidden_reason: string };
      expect(hidden.hidden_reason).toBe('abuse');
      expect(change.entity_id).toBe(String(hidden.id));
      expect(hidden.id).toBeGreaterThan(2000);
    } finally {
      db.close();
    }
  }, 180_000);

  it('(c) refuses a non-empty MongoDB target that is not its own partial copy, untouched', async () => {
    const source = tempDir('reelcheck-copy-c-');
    await withApp({ DATA_DIR: source }, async () => undefined); // seeded
    const target = database();
    await withApp({ MONGODB_URI: target.uri }, async (app) => {
      const glory = (await execute(app.url, EditorPageDocument, { slug: 'the-glory' })).data!
        .title!;
      await execute(app.url, RateAccuracyDocument, {
        input: { titleId: glory.id, score: 4, voterId: 'voter-c-0001' },
      });
    });
    const snapshot = async () => {
      const names = (await target.db.listCollections().toArray()).map((c) => c.name).sort();
      return Promise.all(
        names.map(async (name) => ({
          name,
          docs: await target.db.collection(name).find({}).sort({ _id: 1 }).toArray(),
        })),
      );
    };
    const before = await snapshot();

    const refused = copyStore({ from: source, to: target.uri, out: quiet });
    await expect(refused).rejects.toThrow(CopyRefusedError);
    await expect(refused).rejects.toThrow(
      new RegExp(
        `refusing to copy into the MongoDB database mongodb://[^ ]+/${target.name}: it is not empty \\(3 titles, 1 ratings`,
      ),
    );
    expect(await snapshot()).toEqual(before);
  });

  it('resumes its own partial copy into MongoDB without duplicates, also one stopped in the reports', async () => {
    const source = tempDir('reelcheck-copy-d-');
    const before = await withApp({ DATA_DIR: source }, async (app) => {
      const glory = (await execute(app.url, EditorPageDocument, { slug: 'the-glory' })).data!
        .title!;
      for (let i = 0; i < 40; i++) {
        await execute(app.url, RateAccuracyDocument, {
          input: {
            titleId: glory.id,
            score: (i % 5) + 1,
            voterId: `voter-d-${String(i).padStart(4, '0')}`,
          },
        });
      }
      await fileReviews(app, EDITOR);
      return served(app);
    });
    const target = database();
    await expect(
      copyStore({
        from: source,
        to: target.uri,
        batchSize: 10,
        out: (line) => {
          if (line === 'ratings 30/40') throw new Error('stopped');
        },
      }),
    ).rejects.toThrow('stopped');
    expect(await target.db.collection('store_copy').findOne({})).toMatchObject({
      source: expect.stringContaining(`embedded ${source}`),
      note: expect.stringMatching(/^partial copy from embedded /),
      done: ['titles'],
    });
    expect(await target.db.collection('ratings').countDocuments()).toBe(30);

    // Stopped again, in the middle of the reports.
    await expect(
      copyStore({
        from: source,
        to: target.uri,
        batchSize: 2,
        out: (line) => {
          if (line === 'reports 2/5') throw new Error('stopped');
        },
      }),
    ).rejects.toThrow('stopped');
    expect(await target.db.collection('reports').countDocuments()).toBe(2);

    const lines: string[] = [];
    const result = await copyStore({ from: source, to: target.uri, out: (l) => lines.push(l) });
    expect(result).toMatchObject({ ok: true, resumed: true });
    expect(lines[0]).toMatch(/^resuming the partial copy from embedded /);
    expect(await target.db.collection('ratings').countDocuments()).toBe(40);
    expect(await target.db.collection('reports').countDocuments()).toBe(5);
    expect(await target.db.collection('store_copy').countDocuments()).toBe(0);
    expect(await withApp({ MONGODB_URI: target.uri }, served)).toEqual(before);
  });

  it('completes a report whose write a kill cut before its tally, when the records are written again', async () => {
    const target = database();
    const store = MongoStore.create({ uri: target.uri, serverSelectionTimeoutMs: 5000 });
    try {
      await store.ping();
      await writeCatalog(store, loadCatalog());
      const [glory] = await store.curatedTitlesByIds(['the-glory']);
      const factId = glory!.facts[0].id;
      const at = new Date('2026-03-01T00:00:00Z');
      const report: ReportRecord = {
        id: newStoreId(),
        factId,
        titleId: 'the-glory',
        voterId: 'voter-k-0001',
        reason: 'INACCURATE',
        note: null,
        sourceUrl: 'https://example.org/k',
        suggestedText: null,
        createdAt: at,
        updatedAt: at,
        state: 'OPEN',
        closedBy: null,
      };
      // What putReviewRecords leaves when killed after its report write (step 1), before the tally.
      const { id, ...fields } = report;
      await target.db.collection<ReportDoc>('reports').insertOne({
        _id: id,
        ...fields,
        openKey: JSON.stringify([factId, report.voterId]),
        version: 1,
        pendingTally: [{ op: newStoreId(), at: new Date(), delta: tallyOf([report]) }],
      });
      await store.putReviewRecords({ reports: [report], resolutions: [], reviews: [] });
      expect((await store.reviewsOfFacts([factId]))[0].reports).toEqual(tallyOf([report]));
      expect(await store.reportsByIds([id])).toEqual([report]);
      const left = await target.db.collection<ReportDoc>('reports').findOne({ _id: id });
      expect(left!.pendingTally).toEqual([]);
      expect((await store.reviewQueue({ first: 10 })).items.map((e) => e.factId)).toEqual([factId]);
    } finally {
      await store.close();
    }
  });

  it('fails the final check (non-zero, marker kept) when the source changed during the copy', async () => {
    const source = database();
    const store = MongoStore.create({ uri: source.uri, serverSelectionTimeoutMs: 5000 });
    try {
      await store.ping();
      await writeCatalog(store, loadCatalog());
    } finally {
      await store.close();
    }
    const [glory] = await source.db.collection('titles').find({ slug: 'the-glory' }).toArray();
    const target = path.join(tempDir('reelcheck-copy-e-'), 'data');
    const lines: string[] = [];
    let written: Promise<unknown> = Promise.resolve();
    const result = await copyStore({
      from: source.uri,
      to: target,
      out: (line) => {
        lines.push(line);
        if (line.startsWith('aggregates: rebuilding')) {
          const at = new Date();
          written = source.db.collection<RatingDoc>('ratings').insertOne({
            _id: newStoreId(),
            targetKey: `title:${glory._id}`,
            titleId: String(glory._id),
            factId: null,
            voterId: 'voter-e-late',
            score: 3,
            comment: null,
            commented: false,
            hidden: null,
            createdAt: at,
            updatedAt: at,
          });
        }
      },
    });
    await written;
    expect(result.ok).toBe(false);
    const mismatched = result.comparison.filter((r) => !r.equal).map((r) => r.kind);
    expect(mismatched).toEqual(['ratings', 'aggregates']);
    expect(lines.join('\n')).toMatch(/^ratings\s+1\s+0\s+\w+\s+\w+\s+MISMATCH$/m);
    expect(lines.join('\n')).toContain(`ratings: title:${glory._id} voter-e-late: only in source`);
    expect(lines.at(-1)).toMatch(/^copy FAILED the check/);
    expect(fs.existsSync(path.join(target, MARKER_FILE))).toBe(true);
  });
});

/** Reads the child's stdout line by line; SIGKILLs it at the first line `when` accepts. */
async function killWhen(child: ChildProcess, when: (line: string) => boolean): Promise<number> {
  let buffered = '';
  let copied = -1;
  child.stdout!.on('data', (chunk: Buffer) => {
    buffered += chunk.toString();
    const lines = buffered.split('\n');
    buffered = lines.pop()!;
    for (const line of lines) {
      if (copied < 0 && when(line)) {
        copied = Number(/(\d+)\//.exec(line)![1]);
        child.kill('SIGKILL');
      }
    }
  });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  await exited(child);
  if (copied < 0) throw new Error(`the copy ended before it could be killed: ${stderr}`);
  return copied;
}
