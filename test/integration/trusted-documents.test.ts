import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import * as parser from 'graphql/language/parser';
import * as validation from 'graphql/validation/validate';
import { PROJECT_TRUSTED_DOCUMENTS } from '../../src/config';
import { EXPLORER_DEFAULT_QUERY } from '../../src/graphql/engine/trusted-documents/title-page-query';
import { toGlobalId } from '../../src/graphql/schema/node/ids';
import { errorCode, postRaw } from '../helpers/graphql-client';
import { buildServer, ROOT } from '../helpers/server-process';
import { startTestApp, type TestApp } from '../helpers/test-app';
import { tempDir } from '../helpers/temp-dirs';

/**
 * Trusted documents (src/graphql/engine/trusted-documents/): the apps' operations,
 * registered at start, named by id in three ways; with
 * TRUSTED_DOCUMENTS_ONLY=true the only documents anonymous clients may run.
 */

const TOKEN = 'trusted-editor-token-0123456789abcdef';
const GLORY = toGlobalId('Title', 'the-glory');
const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');

const PAGE_ID = sha256(EXPLORER_DEFAULT_QUERY);
/** Registered by the test's own manifest, under a Relay-style id (no prefix). */
const RATE = `mutation Rate($input: RateAccuracyInput!) {
  rateAccuracy(input: $input) { accuracy { count } }
}`;
const RATE_ID = '9f86d081884c7d65';
const UNREGISTERED = '{ title(slug: "the-glory") { name } }';

function testManifest(): string {
  const file = path.join(tempDir(), 'relay.json');
  fs.writeFileSync(file, JSON.stringify({ [RATE_ID]: RATE }));
  return file;
}

async function get(url: string, search: string) {
  const response = await fetch(`${url}/graphql?${search}`);
  return { response, body: (await response.json()) as Record<string, unknown> };
}

async function ratingCount(url: string): Promise<number> {
  const page = await postRaw<{ title: { accuracy: { count: number } } }>(url, {
    query: '{ title(slug: "the-glory") { accuracy { count } } }',
  });
  return page.data!.title.accuracy.count;
}

describe('a registered document, named by id', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({
      env: { TRUSTED_DOCUMENTS: `${PROJECT_TRUSTED_DOCUMENTS},${testManifest()}` },
    });
  });
  afterAll(() => t?.stop());

  it('answers as its text does, by documentId, by GET and by persisted query hash', async () => {
    const byText = await postRaw(t.url, { query: EXPLORER_DEFAULT_QUERY });
    expect(byText.data).toMatchObject({ title: { name: 'The Glory' } });
    const byDocumentId = await postRaw(t.url, { documentId: `sha256:${PAGE_ID}` });
    const byHash = await postRaw(t.url, {
      extensions: { persistedQuery: { version: 1, sha256Hash: PAGE_ID } },
    });
    const { response, body } = await get(t.url, `documentId=sha256:${PAGE_ID}`);
    expect(byDocumentId).toEqual(byText);
    expect(byHash).toEqual(byText);
    expect({ status: response.status, ...body }).toEqual(byText);
    // A short URL a CDN can keep.
    expect(response.headers.get('cache-control')).toMatch(/^public, max-age=\d+$/);
  });

  it('runs a mutation under a manifest id that is no SHA-256, by documentId or as a hash', async () => {
    const before = await ratingCount(t.url);
    const input = (voterId: string) => ({ titleId: GLORY, score: 4, voterId });
    const byId = await postRaw(t.url, {
      documentId: RATE_ID,
      variables: { input: input('trusted-voter-1') },
    });
    const byHash = await postRaw(t.url, {
      extensions: { persistedQuery: { version: 1, sha256Hash: RATE_ID } },
      variables: { input: input('trusted-voter-2') },
    });
    expect(byId.data).toEqual({ rateAccuracy: { accuracy: { count: before + 1 } } });
    expect(byHash.data).toEqual({ rateAccuracy: { accuracy: { count: before + 2 } } });
    // Never by GET: a mutation is not a safe method.
    const { response } = await get(t.url, `documentId=${RATE_ID}`);
    expect(response.status).toBe(405);
    expect(await ratingCount(t.url)).toBe(before + 2);
  });

  it('hashes, parses and validates nothing per request', async () => {
    const hash = jest.spyOn(crypto, 'createHash');
    const parse = jest.spyOn(parser, 'parse');
    const validate = jest.spyOn(validation, 'validate');
    try {
      const answer = await postRaw(t.url, { documentId: `sha256:${PAGE_ID}` });
      expect(answer.data).toMatchObject({ title: { name: 'The Glory' } });
      await get(t.url, `documentId=sha256:${PAGE_ID}&variables=%7B%7D`);
      expect([hash.mock.calls.length, parse.mock.calls.length, validate.mock.calls.length]).toEqual(
        [0, 0, 0],
      );
      // The spies see what a document sent as text costs: the test can fail.
      await postRaw(t.url, { query: `${UNREGISTERED} # ${Date.now()}` });
      expect(hash).toHaveBeenCalled();
      expect(parse).toHaveBeenCalled();
      expect(validate).toHaveBeenCalled();
    } finally {
      jest.restoreAllMocks();
    }
  });

  it('refuses an unknown id with 404, naming it', async () => {
    const answer = await postRaw(t.url, { documentId: 'sha256:0000' });
    expect(answer.status).toBe(404);
    expect(answer.errors).toEqual([
      {
        message: expect.stringContaining('No trusted document has the id "sha256:0000"'),
        extensions: { code: 'PERSISTED_QUERY_NOT_FOUND', documentId: 'sha256:0000' },
      },
    ]);
    const { response, body } = await get(t.url, 'documentId=unknown-id');
    expect(response.status).toBe(404);
    expect(body).toMatchObject({ errors: [{ extensions: { documentId: 'unknown-id' } }] });
  });

  it('refuses a documentId with a query, or one that is not a string', async () => {
    for (const body of [
      { documentId: `sha256:${PAGE_ID}`, query: UNREGISTERED },
      { documentId: 42 },
      { documentId: '' },
    ]) {
      const answer = await postRaw(t.url, body);
      expect({ body, status: answer.status, code: errorCode(answer) }).toEqual({
        body,
        status: 400,
        code: 'BAD_REQUEST',
      });
    }
  });

  it("runs the text a client sends beside its manifest's id, or beside sha256:<hex>", async () => {
    // urql's persistedExchange sends GraphQL Code Generator's id with the text when the id is unknown.
    const query = `{ ratingScale { score } } # fallback ${Date.now()}`;
    for (const [text, sha256Hash, variables] of [
      [query, `sha256:${sha256(query)}`, {}],
      [RATE, RATE_ID, { input: { titleId: GLORY, score: 2, voterId: 'fallback-voter' } }],
    ] as const) {
      const answer = await postRaw(t.url, {
        query: text,
        variables,
        extensions: { persistedQuery: { version: 1, sha256Hash } },
      });
      expect({ sha256Hash, errors: answer.errors }).toEqual({ sha256Hash, errors: undefined });
    }
    // Any other id beside a text is not its hash.
    const sha1 = createHash('sha1').update(query).digest('hex');
    const mismatch = await postRaw(t.url, {
      query,
      extensions: { persistedQuery: { version: 1, sha256Hash: sha1 } },
    });
    expect([mismatch.status, errorCode(mismatch)]).toEqual([400, 'PERSISTED_QUERY_HASH_MISMATCH']);
  });

  it('still takes automatic persisted queries from any client while not enforcing', async () => {
    const query = `{ ratingScale { score } } # apq ${Date.now()}`;
    const extensions = { persistedQuery: { version: 1, sha256Hash: sha256(query) } };
    const first = await postRaw(t.url, { extensions });
    // The protocol's handshake: 200 and the code, so the client sends the text.
    expect([first.status, errorCode(first)]).toEqual([200, 'PERSISTED_QUERY_NOT_FOUND']);
    expect((await postRaw(t.url, { query, extensions })).errors).toBeUndefined();
    expect((await postRaw(t.url, { extensions })).data).toEqual({
      ratingScale: expect.any(Array),
    });
  });
});

describe('TRUSTED_DOCUMENTS_ONLY=true', () => {
  let t: TestApp;
  const editor = { authorization: `Bearer ${TOKEN}` };
  beforeAll(async () => {
    t = await startTestApp({
      env: {
        ADMIN_TOKEN: TOKEN,
        TRUSTED_DOCUMENTS: `${PROJECT_TRUSTED_DOCUMENTS},${testManifest()}`,
        TRUSTED_DOCUMENTS_ONLY: 'true',
      },
    });
  });
  afterAll(() => t?.stop());

  it('refuses any other document from an anonymous client with 403, running nothing', async () => {
    // Counted by an editor: an anonymous client's text is refused.
    const count = async () =>
      (
        await postRaw<{ title: { accuracy: { count: number } } }>(
          t.url,
          { query: '{ title(slug: "the-glory") { accuracy { count } } }' },
          editor,
        )
      ).data!.title.accuracy.count;
    const ratings = await count();
    const refused = await postRaw(t.url, {
      query: `mutation { rateAccuracy(input: { titleId: "${GLORY}", score: 1, voterId: "anon" }) { accuracy { count } } }`,
    });
    expect(refused.status).toBe(403);
    expect(errorCode(refused)).toBe('TRUSTED_DOCUMENTS_ONLY');
    expect(refused.data).toBeUndefined();
    const { response, body } = await get(t.url, `query=${encodeURIComponent(UNREGISTERED)}`);
    expect([response.status, (body.errors as [{ extensions: unknown }])[0].extensions]).toEqual([
      403,
      expect.objectContaining({ code: 'TRUSTED_DOCUMENTS_ONLY' }),
    ]);
    expect(await count()).toBe(ratings);
  });

  it('refuses before parsing or validating, so a refusal says nothing about the schema', async () => {
    const parse = jest.spyOn(parser, 'parse');
    const validate = jest.spyOn(validation, 'validate');
    try {
      for (const query of [
        '{ ratingScale { score } }',
        '{ ratingScale { scor } }', // not in the schema: refused alike
        '{ title(slug: ', // not GraphQL
      ]) {
        const answer = await postRaw(t.url, { query });
        expect({ query, status: answer.status, code: errorCode(answer) }).toEqual({
          query,
          status: 403,
          code: 'TRUSTED_DOCUMENTS_ONLY',
        });
      }
      expect([parse.mock.calls.length, validate.mock.calls.length]).toEqual([0, 0]);
    } finally {
      jest.restoreAllMocks();
    }
  });

  it('runs registered documents by id, and by their exact text', async () => {
    const byId = await postRaw(t.url, { documentId: `sha256:${PAGE_ID}` });
    expect(byId.data).toMatchObject({ title: { name: 'The Glory' } });
    expect(await postRaw(t.url, { query: EXPLORER_DEFAULT_QUERY })).toEqual(byId);
    const rated = await postRaw(t.url, {
      documentId: RATE_ID,
      variables: { input: { titleId: GLORY, score: 5, voterId: 'trusted-only-1' } },
    });
    expect(rated.errors).toBeUndefined();
  });

  it('lets automatic persisted queries register nothing', async () => {
    const query = `{ ratingScale { score } } # apq ${Date.now()}`;
    const extensions = { persistedQuery: { version: 1, sha256Hash: sha256(query) } };
    const register = await postRaw(t.url, { query, extensions });
    expect([register.status, errorCode(register)]).toEqual([403, 'TRUSTED_DOCUMENTS_ONLY']);
    // Not even an editor's: what is registered would be there for anyone.
    expect((await postRaw(t.url, { query, extensions }, editor)).errors).toBeUndefined();
    const byHash = await postRaw(t.url, { extensions });
    expect([byHash.status, errorCode(byHash)]).toEqual([404, 'PERSISTED_QUERY_NOT_FOUND']);
  });

  it('lets an editor send any document, and no one a wrong token', async () => {
    const answer = await postRaw(t.url, { query: UNREGISTERED }, editor);
    expect(answer.data).toEqual({ title: { name: 'The Glory' } });
    const wrong = await postRaw(
      t.url,
      { query: UNREGISTERED },
      { authorization: 'Bearer wrong-token-0123456789abcdef0123456789' },
    );
    expect(wrong.status).toBe(403);
    expect(errorCode(wrong)).toBe('TRUSTED_DOCUMENTS_ONLY');
  });
});

describe('a manifest with a bad document', () => {
  it('stops the server from starting, naming the file and the operation', () => {
    buildServer();
    const file = path.join(tempDir(), 'app.json');
    fs.writeFileSync(
      file,
      JSON.stringify({ ok: EXPLORER_DEFAULT_QUERY, 'bad-op': '{ title(slug: "x") { nope } }' }),
    );
    const started = spawnSync(process.execPath, [path.join(ROOT, 'dist/src/main.js')], {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH,
        PORT: '0',
        HOST: '127.0.0.1',
        LOG_LEVEL: 'warn',
        DATA_DIR: tempDir(),
        TRUSTED_DOCUMENTS: file,
      },
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(started.status).toBe(1);
    expect(started.stderr).toContain(
      `Trusted documents: ${file}, operation bad-op cannot be registered: Cannot query field "nope"`,
    );
  });
});
