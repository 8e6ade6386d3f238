import { errorCode, postRaw } from '../helpers/graphql-client';
import { startTestApp, type TestApp } from '../helpers/test-app';

interface LogLine {
  level: number;
  msg: string;
  requestId?: string;
  errors?: unknown[];
}

const logLines = (t: TestApp): LogLine[] => t.logs.map((line) => JSON.parse(line) as LogLine);
const errorLines = (t: TestApp) => logLines(t).filter((line) => line.level >= 50);

/**
 * Production error hygiene: Apollo's own request errors get specific codes
 * and 4xx, and are not logged as errors; no schema suggestions; client
 * strings quoted in messages are bounded.
 */
describe('request errors in production', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ env: { NODE_ENV: 'production' } });
  });
  afterAll(() => t?.stop());

  it.each([
    [
      'a persisted query whose hash does not match',
      { query: '{ __typename }', extensions: { persistedQuery: { version: 1, sha256Hash: 'ab' } } },
      'PERSISTED_QUERY_HASH_MISMATCH',
      'provided sha does not match query',
    ],
    [
      'persisted query version 2',
      { query: '{ __typename }', extensions: { persistedQuery: { version: 2, sha256Hash: 'ab' } } },
      'BAD_REQUEST',
      'Unsupported persisted query version',
    ],
    [
      'an operationName the document does not define',
      { query: 'query A { __typename }', operationName: 'B' },
      'OPERATION_RESOLUTION_FAILURE',
      'Unknown operation named "B".',
    ],
    [
      'a subscription',
      { query: 'subscription { ratingScale { score } }' },
      'OPERATION_NOT_SUPPORTED',
      'Subscriptions are not supported: send a query or a mutation',
    ],
  ])(
    'answers %s with 400 and its code, logged below error level',
    async (_c, body, code, message) => {
      const before = t.logs.length;
      const res = await postRaw(t.url, body);
      expect(res.status).toBe(400);
      expect(res.errors).toEqual([{ message, extensions: { code } }]);
      const lines = logLines(t).slice(before);
      expect(lines.filter((line) => line.level >= 50)).toEqual([]);
      expect(lines).toContainEqual(
        expect.objectContaining({ level: 30, msg: 'graphql operation answered', errors: [code] }),
      );
    },
  );

  it('answers a persisted query it does not know with 200 PERSISTED_QUERY_NOT_FOUND (the client then sends the query)', async () => {
    const res = await postRaw(t.url, {
      extensions: { persistedQuery: { version: 1, sha256Hash: 'ab'.repeat(32) } },
    });
    expect(res.status).toBe(200);
    expect(errorCode(res)).toBe('PERSISTED_QUERY_NOT_FOUND');
  });

  it('sends no "Did you mean" suggestions', async () => {
    const field = await postRaw(t.url, { query: '{ title(slug: "the-glory") { nam } }' });
    expect(field.errors![0].message).toBe('Cannot query field "nam" on type "Title".');
    const enumValue = await postRaw(t.url, {
      query: 'query($c: FactCategory) { title(slug: "the-glory") { facts(category: $c) { id } } }',
      variables: { c: 'DID_YOU' },
    });
    expect(errorCode(enumValue)).toBe('BAD_USER_INPUT');
    expect(enumValue.errors![0].message).not.toMatch(/did you mean|DID_YOU_KNOW/i);
  });

  it('bounds client strings quoted in messages', async () => {
    const operationName = 'x'.repeat(99_000);
    const unknownOperation = await postRaw(t.url, { query: '{ __typename }', operationName });
    expect(unknownOperation.status).toBe(400);
    expect(unknownOperation.errors![0].message).toBe(
      `Unknown operation named "${'x'.repeat(80)}…".`,
    );
    const unknownField = await postRaw(t.url, { query: `{ ${'y'.repeat(90_000)} }` });
    expect(unknownField.errors![0].message).toBe(
      `Cannot query field "${'y'.repeat(80)}…" on type "Query".`,
    );
    const value = await postRaw(t.url, {
      query: 'query($n: Int) { titles(first: $n) { totalCount } }',
      variables: { n: 'z'.repeat(90_000) },
    });
    expect(errorCode(value)).toBe('BAD_USER_INPUT');
    expect(value.errors![0].message).toContain(`"$n" got invalid value "${'z'.repeat(80)}…"`);
    expect(value.errors![0].message).not.toContain('z'.repeat(81));
  });

  it('logged none of these as errors', () => {
    expect(t.logs.length).toBeGreaterThan(0);
    expect(errorLines(t)).toEqual([]);
  });
});

describe('request errors in development', () => {
  it('keep their suggestions', async () => {
    const t = await startTestApp();
    try {
      const res = await postRaw(t.url, { query: '{ title(slug: "the-glory") { nam } }' });
      expect(res.errors![0].message).toBe(
        'Cannot query field "nam" on type "Title". Did you mean "name"?',
      );
    } finally {
      await t.stop();
    }
  });
});
