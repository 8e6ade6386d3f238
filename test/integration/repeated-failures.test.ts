import type Database from 'better-sqlite3';
import { AccuracyDocument, RateAccuracyDocument, TitlePageDocument } from '../generated/graphql';
import type { Store } from '../../src/store/port';
import { errorCode, execute } from '../helpers/graphql-client';
import { startTestApp, type TestApp } from '../helpers/test-app';

/**
 * Quiet under faults: the same failure on every request is logged once in
 * full, then one line per interval with its count; what clients get does not
 * change. The app's logger (createLogger, as startTestApp builds it) measures
 * intervals by a clock this test moves.
 */
const mockClock = { now: 0 };
const INTERVAL_MS = 60_000;
jest.mock('../../src/logger', () => {
  const actual = jest.requireActual<typeof import('../../src/logger')>('../../src/logger');
  return {
    ...actual,
    createLogger: (...[config, destination]: Parameters<typeof actual.createLogger>) =>
      actual.createLogger(config, destination, {
        intervalMs: INTERVAL_MS,
        now: () => mockClock.now,
      }),
  };
});

interface Line {
  level: number;
  msg: string;
  repeated?: number;
  seconds?: number;
  err?: { type: string; message: string; stack?: string };
}
const linesOf = (t: TestApp): Line[] => t.logs.map((line) => JSON.parse(line) as Line);
const errorLines = (t: TestApp) => linesOf(t).filter((line) => line.level >= 50);

describe('embedded store: a full disk, write after write', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ env: { RATINGS_RATE_LIMIT_PER_MINUTE: '100000' } });
  });
  afterAll(() => t?.stop());

  it('logs the refused write once in full, and the count of the rest once writes work again; answers unchanged', async () => {
    const db = (t.adapter as unknown as { gate: { db: Database.Database } }).gate.db; // SQLite-only test hook
    const page = await execute(t.url, AccuracyDocument, { slug: 'the-glory' });
    const titleId = page.data!.title!.id;
    const rate = (voterId: string) =>
      execute(t.url, RateAccuracyDocument, {
        input: { titleId, voterId, score: 3, comment: 'x'.repeat(500) },
      });
    db.pragma('incremental_vacuum');
    db.pragma(`max_page_count = ${db.pragma('page_count', { simple: true })}`);
    let refused = 0;
    for (let i = 0; i < 100 && refused === 0; i++) {
      if ((await rate(`filler-voter-${i}`)).errors) refused = 1;
    }
    expect(refused).toBe(1); // the file did fill up

    const answers = new Set<string>();
    for (let i = 0; i < 40; i++) {
      const res = await rate(`refused-voter-${i}`);
      expect(errorCode(res)).toBe('SERVICE_UNAVAILABLE');
      answers.add(res.errors![0].message);
      refused += 1;
    }
    expect([...answers]).toEqual(['The database is temporarily unavailable; retry shortly']);
    // 41 refused writes: one error line, with the stack.
    expect(errorLines(t)).toEqual([
      expect.objectContaining({ msg: 'embedded store operation failed; nothing was written' }),
    ]);
    expect(errorLines(t)[0].err?.stack).toContain('SqliteError: database or disk is full');
    // Each refused request is still its access line, at info, with its code.
    const answered = linesOf(t).filter((line) => line.msg === 'graphql operation answered');
    expect(answered.length).toBeGreaterThanOrEqual(refused);

    // Room again: the next write succeeds, and the count of the rest is written.
    db.pragma('max_page_count = 1073741823');
    expect((await rate('retrying-voter')).errors).toBeUndefined();
    const lines = errorLines(t);
    expect(lines).toHaveLength(2);
    expect(lines[1].err?.stack).toBeUndefined();
    // Every refusal is accounted for: the one in full and the ones counted.
    expect(1 + (lines[1].repeated ?? 0)).toBe(refused);
  });
});

describe('an internal error on every request', () => {
  let t: TestApp;
  let broken = false;
  beforeAll(async () => {
    const breaking = (store: Store): Store =>
      new Proxy(store, {
        get(target, property, receiver) {
          const value = Reflect.get(target, property, receiver);
          if (property !== 'titlesBySlugs' || typeof value !== 'function') return value;
          return (...args: unknown[]) => {
            if (broken) throw new TypeError("Cannot read properties of undefined (reading 'slug')");
            return value.apply(target, args);
          };
        },
      });
    t = await startTestApp({
      env: { RECORD_CACHE: 'false', RESPONSE_CACHE: 'false' },
      wrapStore: breaking,
    });
  });
  afterAll(() => t?.stop());

  it('logs its stack once, then one line counting the rest; answers unchanged', async () => {
    broken = true;
    for (let i = 0; i < 25; i++) {
      const res = await execute(t.url, TitlePageDocument, { slug: 'the-glory' });
      expect(errorCode(res)).toBe('INTERNAL_SERVER_ERROR');
      expect(res.data?.title).toBeNull();
    }
    const resolving = () =>
      errorLines(t).filter((line) => line.msg.endsWith('unexpected error while resolving'));
    expect(errorLines(t)).toHaveLength(1);
    expect(resolving()[0].err?.stack).toContain("reading 'slug'");

    mockClock.now += INTERVAL_MS;
    await execute(t.url, TitlePageDocument, { slug: 'the-glory' });
    expect(resolving()).toHaveLength(2);
    expect(resolving()[1]).toMatchObject({
      repeated: 24, // the first was logged; the one that brought the report counts in the next interval
      msg: '24 more like this in the last 60s: unexpected error while resolving',
    });
    broken = false;
    expect((await execute(t.url, TitlePageDocument, { slug: 'the-glory' })).errors).toBeUndefined();
  });
});
