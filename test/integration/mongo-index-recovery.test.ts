import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { CreateTitleDocument, RateAccuracyDocument } from '../generated/graphql';
import { errorCode, execute } from '../helpers/graphql-client';
import { describeMongo, openTestDatabase, serversOn, type TestDatabase } from '../helpers/mongo';
import { buildServer, freePort, ROOT } from '../helpers/server-process';
import { SCHEMA } from '../../src/store/mongo/schema';

/**
 * MongoDB comes back without its indexes while the API runs (a restore, a
 * recreated or new empty server): here the protocol test server is stopped
 * and started again on its port, which brings it back empty, under
 * concurrent createTitle and rating load on two API processes. The store
 * confirms its unique indexes when the connection comes back, before
 * accepting another write, and rebuilds them: afterwards there is one title
 * per slug and one rating per voter and target, and both processes are ready.
 *
 * It needs a server it may restart, so it starts its own test server (on a
 * free port) with ../shared/mongo-test-server; without that script (say,
 * TEST_MONGODB_URI names a real MongoDB) it is skipped.
 */
const SERVER_SCRIPTS = path.resolve(ROOT, '../shared/mongo-test-server');
const TOKEN = 'editor-token-index-recovery-5d1e';
const EDITOR = { authorization: `Bearer ${TOKEN}` };

describeMongo('indexes lost while the API runs (test server restarted empty)', () => {
  if (!existsSync(path.join(SERVER_SCRIPTS, 'start'))) {
    it.skip('skipped: needs ../shared/mongo-test-server to restart a server', () => undefined);
    return;
  }
  let port = 0;
  let database: TestDatabase;
  const restart = () => {
    execFileSync(path.join(SERVER_SCRIPTS, 'stop'), [String(port)], { stdio: 'ignore' });
    execFileSync(path.join(SERVER_SCRIPTS, 'start'), [String(port)], { stdio: 'ignore' });
  };

  beforeAll(async () => {
    buildServer();
    port = await freePort();
    execFileSync(path.join(SERVER_SCRIPTS, 'start'), [String(port)], { stdio: 'ignore' });
    database = openTestDatabase(`mongodb://127.0.0.1:${port}`);
  }, 180_000);
  afterAll(async () => {
    await database?.drop().catch(() => undefined);
    if (port) execFileSync(path.join(SERVER_SCRIPTS, 'stop'), [String(port)], { stdio: 'ignore' });
  });

  it('rebuilds the unique indexes before accepting writes: one title per slug, one rating per voter', async () => {
    const servers = serversOn(database, {
      ADMIN_TOKEN: TOKEN,
      RATINGS_RATE_LIMIT_PER_MINUTE: '100000',
      MONGODB_SERVER_SELECTION_TIMEOUT_MS: '2000',
    });
    try {
      const [a, b] = [await servers.start(), await servers.start()];
      let stop = false;
      let restarted = false;
      let createdAfterRestart = 0;
      let ratedAfterRestart = 0;
      let titleId: string | null = null;
      const codes = new Map<string, number>();
      const count = (code: unknown) => codes.set(String(code), (codes.get(String(code)) ?? 0) + 1);

      // 8 concurrent createTitle "Dup Test" (4 per process) and 8 raters (4 per process) that
      // rate the latest created title with 6 voters, so one voter rates on both at once.
      const creator = async (w: number) => {
        const server = w % 2 === 0 ? a : b;
        while (!stop) {
          const res = await execute(
            server.url,
            CreateTitleDocument,
            { input: { name: 'Dup Test', mediaType: 'MOVIE' } },
            EDITOR,
          ).catch(() => null);
          if (!res) continue;
          if (res.errors) {
            count(errorCode(res));
            await new Promise((resolve) => setTimeout(resolve, 20));
          } else {
            titleId = res.data!.createTitle.id;
            if (restarted) createdAfterRestart++;
          }
        }
      };
      const rater = async (w: number) => {
        const server = w % 2 === 0 ? a : b;
        for (let i = w; !stop; i++) {
          if (!titleId) {
            await new Promise((resolve) => setTimeout(resolve, 20));
            continue;
          }
          const input = { titleId, voterId: `idx-voter-${i % 6}`, score: 1 + (i % 5) };
          const res = await execute(server.url, RateAccuracyDocument, { input }).catch(() => null);
          if (!res) continue;
          if (res.errors) {
            count(errorCode(res));
            await new Promise((resolve) => setTimeout(resolve, 20));
          } else if (restarted) ratedAfterRestart++;
        }
      };
      const load = [
        ...Array.from({ length: 8 }, (_, w) => creator(w)),
        ...Array.from({ length: 8 }, (_, w) => rater(w)),
      ];
      while (titleId === null) await new Promise((resolve) => setTimeout(resolve, 20));
      await new Promise((resolve) => setTimeout(resolve, 300));

      restart(); // comes back empty: no collections, no indexes
      titleId = null; // the titles are gone with it
      restarted = true;
      const deadline = Date.now() + 60_000;
      while ((createdAfterRestart < 40 || ratedAfterRestart < 40) && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      stop = true;
      await Promise.all(load);
      console.log(
        `after the restart: ${createdAfterRestart} titles created, ${ratedAfterRestart} ratings; ` +
          `errors by code: ${JSON.stringify(Object.fromEntries(codes))}`,
      );

      const titles = await database.db
        .collection<{ slug: string; slugs: string[] }>('titles')
        .find()
        .toArray();
      const slugs = titles.flatMap((title) => title.slugs);
      expect(slugs.length).toBeGreaterThanOrEqual(40);
      expect(new Set(slugs).size).toBe(slugs.length);
      expect(new Set(titles.map((title) => title.slug)).size).toBe(titles.length);
      const ratings = await database.db
        .collection<{ targetKey: string; voterId: string }>('ratings')
        .find()
        .toArray();
      const pairs = ratings.map((rating) => `${rating.targetKey} ${rating.voterId}`);
      expect(pairs.length).toBeGreaterThan(0);
      expect(new Set(pairs).size).toBe(pairs.length);
      // Whatever failed meanwhile failed as unavailable, on a title that was gone, or on a slug
      // another create took (the unique index at work): no bug.
      for (const code of codes.keys()) {
        expect(['SERVICE_UNAVAILABLE', 'NOT_FOUND', 'CONFLICT', 'BAD_USER_INPUT']).toContain(code);
      }
      // The required indexes are back, and both processes are ready.
      for (const spec of SCHEMA) {
        const names = (await database.db.collection(spec.name).listIndexes().toArray()).map(
          (index) => index.name as string,
        );
        for (const index of spec.indexes.filter((ix) => ix.required)) {
          expect(names).toContain(index.name);
        }
      }
      for (const server of [a, b]) {
        expect((await fetch(`${server.url}/readyz`)).status).toBe(200);
      }
    } finally {
      await servers.stopAll();
    }
  }, 180_000);
});
