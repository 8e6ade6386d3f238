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
