import { TitleByIdDocument } from '../generated/graphql';
import { errorCode, execute } from '../helpers/graphql-client';
import { startTestApp, type TestApp } from '../helpers/test-app';

/**
 * MongoDB unreachable at start: the process stays up, /healthz answers,
 * /readyz is 503 (and keeps retrying), and GraphQL requests get
 * SERVICE_UNAVAILABLE (HTTP 503) without driver details or credentials, and
 * no error line each.
 */
describe('MongoDB unreachable', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({
      env: {
        // Port 1 on loopback: connection refused, like a database that is down.
        MONGODB_URI: 'mongodb://reelcheck:hunter2secret@127.0.0.1:1/reelcheck',
        MONGODB_SERVER_SELECTION_TIMEOUT_MS: '300',
      },
      waitUntilReady: false,
    });
  });
  afterAll(() => t?.stop());

  it('keeps serving health, reports not ready, and answers SERVICE_UNAVAILABLE', async () => {
    expect(t.store.kind).toBe('mongo');
    expect((await fetch(`${t.url}/healthz`)).status).toBe(200);
    const ready = await fetch(`${t.url}/readyz`);
    expect(ready.status).toBe(503);

    for (let i = 0; i < 20; i++) {
      const res = await execute(t.url, TitleByIdDocument, { slug: 'the-glory' });
      expect(res.status).toBe(503);
      expect(res.data).toBeUndefined();
      expect(errorCode(res)).toBe('SERVICE_UNAVAILABLE');
      expect(res.errors![0].message).not.toMatch(/127\.0\.0\.1|hunter2|Mongo/);
    }
    // One access line per request, at info; no error line (a down store is no bug).
    expect(t.logs.filter((line) => JSON.parse(line).level >= 50)).toEqual([]);

    // Still retrying in the background, and still not ready.
    await new Promise((resolve) => setTimeout(resolve, 700));
    expect(t.app.bootstrap.ready).toBe(false);
    expect((await fetch(`${t.url}/readyz`)).status).toBe(503);
    expect(t.logs.some((line) => line.includes('store not ready yet'))).toBe(true);
    expect(t.logs.join('\n')).not.toContain('hunter2secret');
  });
});
