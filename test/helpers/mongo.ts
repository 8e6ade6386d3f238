import { isDeepStrictEqual } from 'node:util';
import { type ChildProcess, execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { type Db, MongoClient } from 'mongodb';
import { parseGlobalId } from '../../src/graphql/schema/node/ids';
import { type AccuracyAggregate, aggregateOf, summarize } from '../../src/model';
import { AccuracyDocument } from '../generated/graphql';
import { execute } from './graphql-client';
import { buildServer, freePort, ROOT, startServer, stopChild } from './server-process';

/**
 * MongoDB in tests. TEST_MONGODB_URI names a server (MongoDB 4.4+, or the
 * protocol test double in ../shared/mongo-test-server); without it, every
 * MongoDB block is reported as skipped, and `npm test` needs nothing more.
 *
 * Tests that run against it live in describeMongo blocks: their titles start
 * with MONGODB_SUITE, which test/reporters/mongodb-reporter.js counts to print
 * how many tests ran against MongoDB (and, in CI, to fail when none did).
 */
export const MONGODB_SUITE = 'MongoDB: '; // keep in step with test/reporters/mongodb-reporter.js

export const TEST_MONGODB_URI = process.env.TEST_MONGODB_URI?.trim() || undefined;

const SKIPPED = 'TEST_MONGODB_URI is not set; no MongoDB server on this machine';

/** A describe block that runs only with TEST_MONGODB_URI, and is reported as skipped otherwise. */
export function describeMongo(title: string, body: (uri: string) => void): void {
  const uri = TEST_MONGODB_URI;
  describe(`${MONGODB_SUITE}${title}`, () => {
    if (uri) body(uri);
    else it.skip(`skipped: ${SKIPPED}`, () => undefined);
  });
}

/** A fresh database for one test: `reelcheck_test_<random>`, so tests never see each other's data. */
export function freshDatabaseName(): string {
  return `reelcheck_test_${randomBytes(6).toString('hex')}`;
}

/**
 * The URI with `dbName` as its path, as MONGODB_URI names a database in
 * production. The path is also the default authSource, so a URI with
 * credentials keeps authenticating where it did (its old path, else admin).
 */
export function uriWithDatabase(uri: string, dbName: string): string {
  const parts = /^(?<base>mongodb(?:\+srv)?:\/\/[^/?]*)(?<path>\/[^?]*)?(?:\?(?<query>.*))?$/.exec(
    uri.trim(),
  )?.groups;
  if (!parts) throw new Error('TEST_MONGODB_URI must be a mongodb:// or mongodb+srv:// URI');
  const params = new URLSearchParams(parts.query ?? '');
  if (parts.base.includes('@') && !params.has('authSource')) {
    params.set('authSource', decodeURIComponent(parts.path?.slice(1) ?? '') || 'admin');
  }
  const query = params.toString();
  return `${parts.base}/${dbName}${query ? `?${query}` : ''}`;
}

export interface TestDatabase {
  name: string;
  /** MONGODB_URI for a server (or app) that should use this database. */
  uri: string;
  /** The database through a client of its own, outside the app: to read and plant documents. */
  db: Db;
  /** Drops the database and closes the client. */
  drop(): Promise<void>;
}

/** Opens a fresh database on the server `uri` names; drop() it after the test. */
export function openTestDatabase(uri: string): TestDatabase {
  const name = freshDatabaseName();
  const client = new MongoClient(uri, { serverSelectionTimeoutMS: 5000 });
  return {
    name,
    uri: uriWithDatabase(uri, name),
    db: client.db(name),
    async drop() {
      try {
        await client.db(name).dropDatabase();
      } finally {
        await client.close();
      }
    },
  };
}

/** A target's aggregate recomputed from the raw ratings in the database, the truth to compare with. */
export async function recomputedAggregate(db: Db, key: string): Promise<AccuracyAggregate> {
  const ratings = await db
    .collection<{ score: number }>('ratings')
    .find({ targetKey: key })
    .toArray();
  return aggregateOf(
    key,
    ratings.map((rating) => rating.score),
  );
}

/**
 * Every target of a title page (the page and each fact) as one server serves
 * it, next to a recomputation from the raw ratings in the database: equal
 * when the maintained aggregates are exact.
 */
export async function servedAndRecomputed(
  url: string,
  db: Db,
  slug: string,
): Promise<{ targets: string[]; served: unknown[]; recomputed: unknown[]; ratings: number }> {
  const page = await execute(url, AccuracyDocument, { slug });
  const title = page.data?.title;
  if (!title) throw new Error(`${slug} was not served: ${JSON.stringify(page.errors)}`);
  const targets = [
    { key: `title:${parseGlobalId('Title', title.id)}`, accuracy: title.accuracy },
    ...title.facts.map((fact) => ({
      key: `fact:${parseGlobalId('Fact', fact.id)}`,
      accuracy: fact.accuracy,
    })),
  ];
  const recomputed = await Promise.all(
    targets.map(async ({ key }) => {
      const { count, average, distribution, verdict } = summarize(
        await recomputedAggregate(db, key),
      );
      return { count, average, distribution, verdict };
    }),
  );
  return {
    targets: targets.map((target) => target.key),
    served: targets.map((target) => target.accuracy),
    recomputed,
    ratings: recomputed.reduce((n, summary) => n + summary.count, 0),
  };
}

/**
 * servedAndRecomputed, asked again until the two agree or `withinMs` passes:
 * for writes by another process (a server, a script), which a server's
 * caches show within their max age (2 s by default).
 */
export async function servedOnceAgreed(
  url: string,
  db: Db,
  slug: string,
  withinMs = 5000,
): ReturnType<typeof servedAndRecomputed> {
  const deadline = Date.now() + withinMs;
  let answer = await servedAndRecomputed(url, db, slug);
  while (!isDeepStrictEqual(answer.served, answer.recomputed) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    answer = await servedAndRecomputed(url, db, slug);
  }
  return answer;
}

/** The Glory's ids as a server gives them out: its title id and its facts' ids, in page order. */
export async function gloryIds(url: string): Promise<{ titleId: string; factIds: string[] }> {
  const page = await execute(url, AccuracyDocument, { slug: 'the-glory' });
  const title = page.data?.title;
  if (!title) throw new Error(`the-glory was not served: ${JSON.stringify(page.errors)}`);
  return { titleId: title.id, factIds: title.facts.map((fact) => fact.id) };
}

export interface ServerOnDatabase {
  url: string;
  port: number;
  child: ChildProcess;
}

/**
 * The built server (dist/, as `npm start` runs it) as child processes on one
 * test database: several at once, or killed with -9 and restarted. stopAll()
 * ends those still running (in afterEach).
 */
export function serversOn(database: TestDatabase, env: Record<string, string> = {}) {
  const started: ServerOnDatabase[] = [];
  return {
    /** Starts one more (on `port`, e.g. a dead one's, else a free one); resolves once /readyz is 200. */
    async start(port?: number): Promise<ServerOnDatabase> {
      const listenOn = port ?? (await freePort());
      const child = await startServer(listenOn, { MONGODB_URI: database.uri, ...env });
      const server = { url: `http://127.0.0.1:${listenOn}`, port: listenOn, child };
      started.push(server);
      return server;
    },
    async stopAll(): Promise<void> {
      await Promise.all(started.splice(0).map(({ child }) => stopChild(child)));
    },
  };
}

export type ServersOn = ReturnType<typeof serversOn>;

/**
 * For each test of the enclosing describe block: a fresh database and built
 * servers on it (`env` on top of MONGODB_URI); after it, the servers are
 * stopped and the database dropped. Read the fields inside tests.
 */
export function builtServersOnFreshDatabase(
  uri: string,
  env: Record<string, string> = {},
): { database: TestDatabase; servers: ServersOn } {
  const current = {} as { database: TestDatabase; servers: ServersOn };
  beforeAll(buildServer, 120_000);
  beforeEach(() => {
    current.database = openTestDatabase(uri);
    current.servers = serversOn(current.database, env);
  });
  // Optional: a failed beforeEach must report its own error, not this one's.
  afterEach(async () => {
    await current.servers?.stopAll();
    await current.database?.drop();
  });
  return current;
}

/**
 * Runs the built `ratings:rebuild` script (dist/, as `npm run ratings:rebuild`
 * does after its build) on the test database; resolves to its exit code and output.
 */
export function runRatingsRebuild(
  database: TestDatabase,
  args: string[] = [],
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [path.join(ROOT, 'dist/scripts/ratings-rebuild.js'), ...args],
      { cwd: ROOT, env: { PATH: process.env.PATH, MONGODB_URI: database.uri } },
      (error, stdout, stderr) => {
        resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr });
      },
    );
  });
}
