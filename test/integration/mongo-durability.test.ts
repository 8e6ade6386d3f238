import { RateAccuracyDocument } from '../generated/graphql';
import { execute } from '../helpers/graphql-client';
import {
  builtServersOnFreshDatabase,
  describeMongo,
  gloryIds,
  runRatingsRebuild,
  servedAndRecomputed,
  servedOnceAgreed,
} from '../helpers/mongo';
import { exited } from '../helpers/server-process';

/**
 * The built server on MongoDB, over HTTP: 300 concurrent ratings are held
 * exactly, and after `kill -9` a restart on the same database (which must get
 * ready again, collMod or not) still has every acknowledged rating and exact
 * aggregates. A kill in the middle of rating writes may leave an aggregate
 * short by the writes it cut (README: "Ratings without transactions"):
 * ratings:rebuild finds and repairs exactly that.
 */
describeMongo('server durability (kill -9)', (uri) => {
  const fixture = builtServersOnFreshDatabase(uri, { RATINGS_RATE_LIMIT_PER_MINUTE: '100000' });

  /** voterId -> score of every rating stored for the target keys. */
  const storedScores = async (keys: string[]) => {
    const ratings = await fixture.database.db
      .collection<{ voterId: string; score: number }>('ratings')
      .find({ targetKey: { $in: keys } })
      .toArray();
    return new Map(ratings.map((r) => [r.voterId, r.score]));
  };

  it('keeps 300 concurrent ratings exact and every acknowledged one after kill -9 and restart', async () => {
    const { database, servers } = fixture;
    let server = await servers.start();
    const { titleId, factIds } = await gloryIds(server.url);

    // 300 at once: the page and two facts, 100 voters each.
    const acknowledged = new Map<string, number>();
    const results = await Promise.all(
      Array.from({ length: 300 }, async (_, i) => {
        const voterId = `kill9-voter-${i}`;
        const score = 1 + (i % 5);
        const target = i % 3 === 0 ? {} : { factId: factIds[i % 3] };
        const res = await execute(server.url, RateAccuracyDocument, {
          input: { titleId, score, voterId, ...target },
        });
        if (!res.errors) acknowledged.set(voterId, score);
        return res;
      }),
    );
    expect(results.filter((res) => res.errors)).toEqual([]);
    const before = await servedAndRecomputed(server.url, database.db, 'the-glory');
    expect(before.served).toEqual(before.recomputed);
    expect(before.ratings).toBe(300);

    server.child.kill('SIGKILL');
    await exited(server.child);
    server = await servers.start(server.port); // same database: ready again
    const after = await servedAndRecomputed(server.url, database.db, 'the-glory');
    expect(after.served).toEqual(after.recomputed);
    expect(after.ratings).toBe(300);
    expect(await storedScores(after.targets)).toEqual(acknowledged);
  });

  it('after kill -9 in the middle of rating writes, keeps every acknowledged one; rebuild repairs the cut', async () => {
    const { database, servers } = fixture;
    let server = await servers.start();
    const { titleId, factIds } = await gloryIds(server.url);

    // 20 requests in flight at all times, on two facts, until the kill.
    const acknowledged = new Map<string, number>();
    let killed = false;
    const workers = Array.from({ length: 20 }, async (_, w) => {
      for (let i = w; !killed; i += 20) {
        const voterId = `cut-voter-${i}`;
        const score = 1 + (i % 5);
        try {
          const res = await execute(server.url, RateAccuracyDocument, {
            input: { titleId, factId: factIds[i % 2], score, voterId },
          });
          if (!res.errors) acknowledged.set(voterId, score);
        } catch {
          // cut by the kill: not acknowledged, may or may not be stored
        }
      }
    });
    while (acknowledged.size < 150) await new Promise((resolve) => setTimeout(resolve, 5));
    server.child.kill('SIGKILL');
    killed = true;
    await Promise.all(workers);
    await exited(server.child);

    server = await servers.start(server.port);
    const { targets } = await servedAndRecomputed(server.url, database.db, 'the-glory');
    const stored = await storedScores(targets);
    for (const [voterId, score] of acknowledged) expect(stored.get(voterId)).toBe(score);

    const repair = await runRatingsRebuild(database);
    expect(repair.code).toBe(0);
    console.log(
      `kill -9 after ${acknowledged.size} acknowledged ratings; rebuild: ${repair.stdout.split('\n').find((line) => / repaired$|^no drift/.test(line))}`,
    );
    const check = await runRatingsRebuild(database, ['--dry-run']);
    expect(check.code).toBe(0);
    expect(check.stdout).toContain('no drift: every aggregate matches its ratings');
    // The repair was written by another process: the server shows it within its caches' max age.
    const repaired = await servedOnceAgreed(server.url, database.db, 'the-glory');
    expect(repaired.served).toEqual(repaired.recomputed);
    expect(repaired.ratings).toBe(stored.size);
  });
});
