/**
 * The harness of the store contract suites (test/contract/<role>.contract.test.ts):
 * each role's cases run against every adapter of the port (src/store/port/):
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
import type { FactCategory, RatingTarget, RecommendationRecord } from '../../src/model';
import { FIXED_NOW, type FactPart, type TitlePart } from '../fixtures/catalog';
import {
  describeMongo,
  freshDatabaseName,
  MONGODB_SUITE,
  TEST_MONGODB_URI,
} from '../helpers/mongo';
import { tempDir } from '../helpers/temp-dirs';

export interface Harness {
  store: Store;
  /** Makes the stored aggregate of `key` wrong (creating it if needed), bypassing the port. */
  corruptAggregate(key: string): Promise<void>;
  dispose(): Promise<void>;
}

interface Adapter {
  name: 'sqlite' | 'mongo';
  /** The describe title of a role's suite; MongoDB's is counted by the MongoDB test reporter. */
  title(role: string): string;
  open(): Promise<Harness>;
}

const sqliteAdapter: Adapter = {
  name: 'sqlite',
  title: (role) => `Store contract (${role}): sqlite`,
  async open() {
    const dataDir = tempDir('reelcheck-contract-');
    const store = await SqliteStore.open({ dataDir });
    return {
      store,
      async corruptAggregate(key) {
        // SQLite-only test hook: the connection is private to the adapter.
        const { db } = (store as unknown as { gate: { db: Database.Database } }).gate;
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
  title: (role) => `${MONGODB_SUITE}store contract (${role})`,
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

/** What a role's cases see: the adapter's name and, in each test, its freshly opened store. */
export interface Contract {
  readonly name: Adapter['name'];
  /** The store opened for the current test (undefined if opening it failed). */
  readonly store: Store;
  /** The harness of the current test; throws with the adapter's name if it did not open. */
  opened(): Harness;
}

/**
 * Runs one role's contract cases against every adapter: SQLite always, MongoDB
 * with TEST_MONGODB_URI (else reported as skipped). Each test gets a fresh
 * store; the teardown cannot throw when the setup failed, so a failed setup
 * reports its own error.
 */
export function describeStoreContract(role: string, cases: (contract: Contract) => void): void {
  const adapters: Adapter[] = [sqliteAdapter];
  if (TEST_MONGODB_URI) adapters.push(mongoAdapter(TEST_MONGODB_URI));
  else describeMongo(`store contract (${role})`, () => undefined); // reported as skipped

  describe.each(adapters.map((adapter) => [adapter.title(role), adapter] as const))(
    '%s',
    (_title, adapter) => {
      const { name } = adapter;
      let harness: Harness | undefined;

      beforeEach(async () => {
        harness = await adapter.open();
      });

      afterEach(async () => {
        await harness?.dispose();
        harness = undefined;
      });

      cases({
        name,
        get store() {
          return harness?.store as Store;
        },
        opened() {
          if (!harness) throw new Error(`the ${name} store did not open`);
          return harness;
        },
      });
    },
  );
}

// ---- test data ---------------------------------------------------------------

export function title(id: string, overrides: Partial<TitlePart> = {}): TitlePart {
  return { id, ...overrides };
}

export function fact(
  id: string,
  titleId: string,
  category: FactCategory,
  position: number,
): FactPart {
  return { id, titleId, category, position, text: `Text of ${id}` };
}

export function recommendation(
  titleId: string,
  recommendedTitleId: string,
  position: number,
  label = 'More like this',
): RecommendationRecord {
  return { titleId, recommendedTitleId, position, label, reason: `${recommendedTitleId} because` };
}

/** The seed catalog as of FIXED_NOW, so two loads compare equal. */
export const seed = () => loadCatalog(FIXED_NOW);
export const seedTitle = (id: string) => seed().titles.find((t) => t.title.id === id)!;

/** Deterministic shuffle (mulberry32), so failures reproduce. */
export function shuffled<T>(items: readonly T[], seed = 42): T[] {
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

export const GLORY: RatingTarget = { kind: 'TITLE', titleId: 'the-glory' };
export const GLORY_FACT: RatingTarget = {
  kind: 'FACT',
  titleId: 'the-glory',
  factId: 'the-glory-bts-1',
};
export const STORE_ID = /^[A-Za-z0-9_-]{1,64}$/;
