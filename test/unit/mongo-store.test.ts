import { inspect } from 'node:util';
import pino from 'pino';
import { StoreUnavailableError } from '../../src/model';
import { MongoStore } from '../../src/store/mongo/mongo-store';

/** Nothing listens on port 1: every connection attempt is refused. */
const UNREACHABLE = 'mongodb://reel_user:secretpass@127.0.0.1:1/x';

function logger() {
  const lines: Array<{ level: string; obj: object; msg: string }> = [];
  const at = (level: string) => (obj: object, msg: string) => lines.push({ level, obj, msg });
  return { lines, info: at('info'), warn: at('warn'), error: at('error') };
}

/**
 * No unhandled rejection may come out of a store without a server. Jest
 * (circus) already fails the running test on one; a listener on `process`
 * here would never fire, since each test file sees a copy of `process`.
 */
describe('MongoStore without a server', () => {
  it('create() returns at once, without I/O, and resolves the database name', async () => {
    const log = logger();
    // Synchronous: a store, not a promise of one; connecting waits for the first call.
    const store = MongoStore.create({
      uri: UNREACHABLE,
      serverSelectionTimeoutMs: 300,
      logger: log,
    });
    expect(store).toBeInstanceOf(MongoStore);
    expect(log.lines).toEqual([]);
    expect(store.kind).toBe('mongo');
    expect(store.dbName).toBe('x');
    const other = MongoStore.create({
      uri: 'mongodb://127.0.0.1:1/?w=majority',
      dbName: 'from_env',
      serverSelectionTimeoutMs: 300,
    });
    expect(other.dbName).toBe('from_env');
    // The app's pino logger fits the logger option as it is.
    const withPino = MongoStore.create({
      uri: 'mongodb+srv://cluster0.example.net/',
      serverSelectionTimeoutMs: 300,
      logger: pino({ level: 'silent' }),
    });
    expect(withPino.dbName).toBe('reelcheck');
    await Promise.all([store.close(), other.close(), withPino.close()]);
  });

  it('lets a serverSelectionTimeoutMS in the URI win over the configured one', async () => {
    const store = MongoStore.create({
      uri: 'mongodb://127.0.0.1:1/x?serverSelectionTimeoutMS=200',
      serverSelectionTimeoutMs: 60_000,
    });
    // Had the configured minute applied, this would outlast the test's timeout.
    await expect(store.ping()).rejects.toBeInstanceOf(StoreUnavailableError);
    await store.close();
  });

  it('ping() rejects with StoreUnavailableError free of credentials, again and again', async () => {
    const log = logger();
    const store = MongoStore.create({
      uri: UNREACHABLE,
      serverSelectionTimeoutMs: 300,
      logger: log,
    });
    for (let attempt = 0; attempt < 2; attempt++) {
      const started = Date.now();
      const error = await store.ping().then(
        () => null,
        (e: unknown) => e,
      );
      const elapsed = Date.now() - started;
      expect(error).toBeInstanceOf(StoreUnavailableError);
      const { message } = error as StoreUnavailableError;
      expect(message).toMatch(/^MongoDB is unavailable \(MongoServerSelectionError/);
      expect(message).not.toMatch(/secretpass|reel_user|127\.0\.0\.1|mongodb:\/\//);
      // Not even the cause chain, as a logger would print it, carries the password.
      expect(inspect(error, { depth: 8 })).not.toContain('secretpass');
      expect(elapsed).toBeGreaterThanOrEqual(250); // it did try for serverSelectionTimeoutMs
    }
    // Every other operation fails the same way instead of hanging or crashing.
    await expect(store.titlesByIds(['a'])).rejects.toBeInstanceOf(StoreUnavailableError);
    await expect(
      store.upsertRating(
        {
          target: { kind: 'TITLE', titleId: 't' },
          voterId: 'v',
          score: 3,
          comment: null,
        },
        new Date(),
      ),
    ).rejects.toBeInstanceOf(StoreUnavailableError);
    expect(JSON.stringify(log.lines)).not.toContain('secretpass');

    await store.close();
    await store.close(); // idempotent
    await expect(store.ping()).rejects.toThrow(
      new StoreUnavailableError('The MongoDB store is closed'),
    );
  });

  it('validates caller values before any I/O', async () => {
    const store = MongoStore.create({ uri: UNREACHABLE, serverSelectionTimeoutMs: 300 });
    await expect(store.titlesByIds([{ $ne: null } as unknown as string])).rejects.toThrow(
      TypeError,
    );
    await expect(store.listTitles({ first: -1 })).rejects.toThrow(RangeError);
    await expect(store.titlesByIds([])).resolves.toEqual([]);
    await store.close();
  });

  it('rejects a malformed URI without echoing its credentials', () => {
    const attempt = () =>
      MongoStore.create({
        uri: 'mongodb://bad:user:secretpass@host/db',
        serverSelectionTimeoutMs: 300,
      });
    expect(attempt).toThrow(/^Invalid MongoDB connection string/);
    try {
      attempt();
    } catch (error) {
      expect(inspect(error)).not.toContain('secretpass');
    }
    expect(() => MongoStore.create({ uri: 'http://nope', serverSelectionTimeoutMs: 300 })).toThrow(
      /Invalid MongoDB connection string/,
    );
  });
});
