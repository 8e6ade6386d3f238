import fs from 'node:fs';
import { AccuracyDocument, RateAccuracyDocument } from '../generated/graphql';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store';
import { aggregateOf } from '../../src/model';
import { execute } from '../helpers/graphql-client';
import { buildServer, exited, freePort, startServer } from '../helpers/server-process';
import { tempDataDir } from '../helpers/test-app';

/**
 * A rating that got a successful response survives `kill -9`. This runs the
 * built server (dist/, as `npm start` does) in a child process and kills it
 * with SIGKILL while ratings are still being submitted.
 */
const serverEnv = (dataDir: string) => ({
  DATA_DIR: dataDir,
  RATINGS_RATE_LIMIT_PER_MINUTE: '100000',
});

describe('durability of acknowledged ratings', () => {
  beforeAll(buildServer);

  it('keeps every acknowledged rating after kill -9 and restart', async () => {
    const dataDir = tempDataDir('reelcheck-kill9-');
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    let server = await startServer(port, serverEnv(dataDir));
    const page = await execute(url, AccuracyDocument, { slug: 'the-glory' });
    const titleId = page.data!.title!.id;
    const factIds = page.data!.title!.facts.map((f) => f.id);

    const acknowledged = new Map<string, number>(); // voterId -> score
    let sent = 0;
    const submit = async (i: number) => {
      const voterId = `durable-voter-${i}`;
      const score = 1 + (i % 5);
      sent++;
      try {
        const res = await execute(url, RateAccuracyDocument, {
          input: { titleId, factId: factIds[i % 2], score, voterId },
        });
        if (!res.errors) acknowledged.set(voterId, score);
      } catch {
        // connection cut by the kill: not acknowledged, may or may not be stored
      }
    };
    // Keep 20 requests in flight until the kill, which comes once 150 were acknowledged.
    let killed = false;
    const workers = Array.from({ length: 20 }, async (_, w) => {
      for (let i = w; !killed; i += 20) await submit(i);
    });
    while (acknowledged.size < 150) await new Promise((resolve) => setTimeout(resolve, 5));
    server.kill('SIGKILL');
    killed = true;
    await Promise.all(workers);
    await exited(server);
    console.log(`kill -9 after ${acknowledged.size} acknowledged ratings (${sent} sent)`);

    // Restart on the same DATA_DIR: the kernel released the dead process's lock on the file.
    server = await startServer(port, serverEnv(dataDir));
    const after = await execute(url, AccuracyDocument, { slug: 'the-glory' });
    const served = after.data!.title!.facts.slice(0, 2).reduce((n, f) => n + f.accuracy.count, 0);
    expect(served).toBeGreaterThanOrEqual(acknowledged.size);
    // SIGTERM: graceful shutdown closes the store (WAL checkpointed and removed), exit 0.
    server.kill('SIGTERM');
    await exited(server);
    expect(server.exitCode).toBe(0);
    expect(fs.readdirSync(dataDir).sort()).toEqual(['reelcheck.sqlite', 'store-id.json']);

    // Every acknowledged rating is stored with its score; aggregates match the ratings.
    const store = await SqliteStore.open({ dataDir });
    try {
      const stored = new Map<string, number>();
      for (const factId of factIds.slice(0, 2)) {
        const key = `fact:${Buffer.from(factId, 'base64url').toString().split(':')[1]}`;
        const ratings = await store.ratingsByTarget(key);
        for (const r of ratings) stored.set(r.voterId, r.score);
        const [aggregate] = await store.aggregatesByTargets([key]);
        expect(aggregate).toEqual(
          aggregateOf(
            key,
            ratings.map((r) => r.score),
          ),
        );
      }
      for (const [voterId, score] of acknowledged) expect(stored.get(voterId)).toBe(score);
    } finally {
      await store.close();
    }
  });
});
