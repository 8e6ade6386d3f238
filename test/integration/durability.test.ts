import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { AccuracyDocument, RateAccuracyDocument } from '../generated/graphql';
import { NedbStore } from '../../src/store/nedb/nedb-store';
import { aggregateOf } from '../../src/model';
import { execute } from '../helpers/graphql-client';
import { tempDataDir } from '../helpers/test-app';

/**
 * A rating that got a successful response survives `kill -9`. This runs the
 * built server (dist/, as `npm start` does) in a child process and kills it
 * with SIGKILL while ratings are still being submitted.
 */
const ROOT = path.resolve(__dirname, '../..');

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

async function startServer(dataDir: string, port: number): Promise<ChildProcess> {
  const child = spawn(process.execPath, [path.join(ROOT, 'dist/src/main.js')], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH,
      PORT: String(port),
      HOST: '127.0.0.1',
      DATA_DIR: dataDir,
      LOG_LEVEL: 'warn',
      RATINGS_RATE_LIMIT_PER_MINUTE: '100000',
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    try {
      if ((await fetch(`http://127.0.0.1:${port}/readyz`)).ok) return child;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  child.kill('SIGKILL');
  throw new Error('server did not become ready within 15 s');
}

function exited(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once('exit', () => resolve());
  });
}

describe('durability of acknowledged ratings', () => {
  beforeAll(() => {
    // The same build `npm start` runs (tsc keeps decorator metadata); incremental, so cheap when current.
    execFileSync(
      process.execPath,
      [require.resolve('typescript/bin/tsc'), '-p', 'tsconfig.build.json'],
      {
        cwd: ROOT,
        stdio: 'inherit',
      },
    );
  }, 120_000);

  it('keeps every acknowledged rating after kill -9 and restart', async () => {
    const dataDir = tempDataDir('reelcheck-kill9-');
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    let server = await startServer(dataDir, port);
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

    // Restart on the same DATA_DIR: the server takes over the dead process's claim.
    server = await startServer(dataDir, port);
    const after = await execute(url, AccuracyDocument, { slug: 'the-glory' });
    const served = after.data!.title!.facts.slice(0, 2).reduce((n, f) => n + f.accuracy.count, 0);
    expect(served).toBeGreaterThanOrEqual(acknowledged.size);
    // SIGTERM: graceful shutdown closes the store (its claim on DATA_DIR is released), exit 0.
    server.kill('SIGTERM');
    await exited(server);
    expect(server.exitCode).toBe(0);
    expect(fs.existsSync(path.join(dataDir, 'reelcheck.pid'))).toBe(false);

    // Every acknowledged rating is stored with its score; aggregates match the ratings.
    const store = await NedbStore.open({ dataDir });
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
  }, 60_000);
});
