import { loadConfig } from '../../src/config';
import { createLogger } from '../../src/logger';

/** createLogger's scrubbing by value: a configured secret never reaches a line, however it gets there. */
describe('createLogger', () => {
  const ADMIN_TOKEN = 'a3f1c9e77d24b51e8b2c4d6f80a1b3c5';
  const MONGO_PASSWORD = 'p"w\\d/é'; // quote, backslash and a non-ASCII letter: JSON escapes some
  const config = loadConfig({
    NODE_ENV: 'test',
    LOG_LEVEL: 'info',
    ADMIN_TOKEN,
    MONGODB_URI: `mongodb://reel:${encodeURIComponent(MONGO_PASSWORD)}@db.example.net/reelcheck`,
  });
  const capture = (cfg = config) => {
    const lines: string[] = [];
    return { lines, logger: createLogger(cfg, { write: (line: string) => void lines.push(line) }) };
  };

  it('scrubs the bindings of child loggers, and of their children', () => {
    const { lines, logger } = capture();
    // What request-id.ts does with a client's x-request-id.
    const request = logger.child({ requestId: ADMIN_TOKEN });
    request.info('operation');
    request.child({ component: `tmdb ${MONGO_PASSWORD}` }).warn('nested');
    expect(lines).toHaveLength(2);
    for (const line of lines) {
      expect(line).not.toContain(ADMIN_TOKEN);
      expect(line).not.toContain(JSON.stringify(MONGO_PASSWORD).slice(1, -1));
      expect(JSON.parse(line).requestId).toBe('[REDACTED]'); // still JSON
    }
    expect(JSON.parse(lines[1]).component).toBe('tmdb [REDACTED]');
  });

  it('scrubs messages, objects at any depth and errors, and keeps the line valid JSON', () => {
    const { lines, logger } = capture();
    const deep = { a: { b: { c: { d: { e: { f: { g: { token: ADMIN_TOKEN } } } } } } } };
    logger.info(deep, `token ${ADMIN_TOKEN} in a message`);
    logger.error({ err: new Error(`failed with ${MONGO_PASSWORD}`) }, 'oops');
    expect(lines.join('')).not.toContain(ADMIN_TOKEN);
    expect(lines.join('')).not.toContain(JSON.stringify(MONGO_PASSWORD).slice(1, -1));
    expect(JSON.parse(lines[0]).msg).toBe('token [REDACTED] in a message');
    expect(JSON.parse(lines[1]).err).toMatchObject({
      type: 'Error',
      message: 'failed with [REDACTED]',
    });
  });

  it('leaves lines alone when no secret is configured (so the checks above can fail)', () => {
    const { lines, logger } = capture(loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'info' }));
    logger.child({ requestId: ADMIN_TOKEN }).info('operation');
    expect(lines[0]).toContain(ADMIN_TOKEN);
  });
});

/**
 * A failure logged at error level with its error: the first in full, its
 * repeats counted and reported in one line per interval. Driven by a clock the
 * test moves (the report is written by the next repeat once the interval is
 * over), and once by the timer with a short interval.
 */
describe('createLogger: repeated failures', () => {
  const config = loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'info' });
  const INTERVAL_MS = 60_000;
  type Line = {
    level: number;
    msg: string;
    repeated?: number;
    seconds?: number;
    err?: { type: string; message: string; stack?: string };
    requestId?: string;
  };
  const capture = (options: { intervalMs?: number; now?: () => number } = {}) => {
    const lines: Line[] = [];
    const clock = { now: 1_000_000 };
    const logger = createLogger(
      config,
      { write: (line: string) => void lines.push(JSON.parse(line) as Line) },
      { intervalMs: INTERVAL_MS, now: () => clock.now, ...options },
    );
    return { lines, logger, clock };
  };
  /** The same failure each time, as the embedded store logs a full disk (a new error each time). */
  const diskFull = () =>
    Object.assign(new Error('database or disk is full'), { code: 'SQLITE_FULL' });
  const STORE_MSG = 'embedded store operation failed; nothing was written';

  it('logs the first in full, counts the repeats, and reports their number once the interval is over', () => {
    const { lines, logger, clock } = capture();
    for (let i = 0; i < 50; i++) {
      // Each request has its own child logger: the repeats are counted across them.
      logger.child({ requestId: `request-${i}` }).error({ err: diskFull() }, STORE_MSG);
      clock.now += 100;
    }
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ level: 50, msg: STORE_MSG, requestId: 'request-0' });
    expect(lines[0].err?.stack).toContain('database or disk is full');

    clock.now += INTERVAL_MS; // the next repeat, after the interval: the report, then counted again
    logger.error({ err: diskFull() }, STORE_MSG);
    expect(lines).toHaveLength(2);
    expect(lines[1]).toMatchObject({
      level: 50,
      repeated: 49,
      seconds: 65,
      msg: `49 more like this in the last 65s: ${STORE_MSG}`,
      err: { type: 'Error', message: 'database or disk is full' },
    });
    expect(lines[1].err?.stack).toBeUndefined();
    expect(lines[1].requestId).toBeUndefined();

    for (let i = 0; i < 9; i++) logger.error({ err: diskFull() }, STORE_MSG);
    clock.now += INTERVAL_MS;
    logger.error(diskFull(), STORE_MSG); // (err, msg): the same failure
    expect(lines).toHaveLength(3);
    expect(lines[2]).toMatchObject({ repeated: 10, seconds: 60 });
  });

  it('logs a failure in full again after an interval without repeats', () => {
    const { lines, logger, clock } = capture();
    logger.error({ err: diskFull() }, STORE_MSG);
    clock.now += INTERVAL_MS + 1;
    logger.error({ err: diskFull() }, STORE_MSG);
    expect(lines.map((line) => [line.msg, line.err?.stack !== undefined])).toEqual([
      [STORE_MSG, true],
      [STORE_MSG, true],
    ]);
  });

  it('tells kinds apart by message, error name, code and place; numbers in the message do not', () => {
    const { lines, logger } = capture();
    const thrownHere = (message: string) => new Error(message);
    const thrownThere = (message: string) => new Error(message);
    logger.error(
      { err: thrownHere('timed out after 2003 ms') },
      'unexpected error while resolving',
    );
    logger.error(
      { err: thrownHere('timed out after 1999 ms') },
      'unexpected error while resolving',
    ); // repeat
    logger.error(
      { err: thrownThere('timed out after 2003 ms') },
      'unexpected error while resolving',
    ); // elsewhere
    logger.error(
      { err: new TypeError('timed out after 2003 ms') },
      'unexpected error while resolving',
    );
    logger.error({ err: diskFull() }, STORE_MSG);
    logger.error({ err: Object.assign(diskFull(), { code: 'SQLITE_IOERR' }) }, STORE_MSG);
    logger.error({ err: diskFull() }, 'another message');
    expect(lines).toHaveLength(6);
  });

  it('writes lines without an error, and other levels, as they are', () => {
    const { lines, logger } = capture();
    for (let i = 0; i < 3; i++) {
      logger.error({ status: 401 }, 'TMDB credentials were rejected'); // no error: already once per pause
      logger.warn({ err: diskFull() }, 'store not ready yet');
      logger.info('graphql operation answered');
    }
    expect(lines).toHaveLength(9);
  });

  it('reports by a timer when the failures stop', async () => {
    const { lines, logger } = capture({ intervalMs: 50, now: Date.now });
    for (let i = 0; i < 5; i++) logger.error({ err: diskFull() }, STORE_MSG);
    expect(lines).toHaveLength(1);
    while (lines.length < 2) await new Promise((resolve) => setTimeout(resolve, 10)); // bounded by jest's timeout
    expect(lines[1]).toMatchObject({
      repeated: 4,
      msg: expect.stringMatching(/^4 more like this in the last \ds: /),
    });
  });

  it('scrubs secrets from the report as from any line', () => {
    const secret = 'a3f1c9e77d24b51e8b2c4d6f80a1b3c5';
    const lines: string[] = [];
    const clock = { now: 0 };
    const logger = createLogger(
      loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'info', ADMIN_TOKEN: secret }),
      { write: (line: string) => void lines.push(line) },
      { intervalMs: INTERVAL_MS, now: () => clock.now },
    );
    const refuse = () =>
      logger.error({ err: new Error(`bad token ${secret}`) }, `refused ${secret}`);
    for (let i = 0; i < 3; i++) refuse();
    clock.now += INTERVAL_MS;
    refuse();
    expect(lines).toHaveLength(2);
    expect(JSON.parse(lines[1])).toMatchObject({ repeated: 2 });
    expect(lines.join('')).not.toContain(secret);
  });
});
