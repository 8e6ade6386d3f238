import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import {
  ApolloClient,
  CombinedGraphQLErrors,
  gql,
  HttpLink,
  InMemoryCache,
  ServerError,
} from '@apollo/client';
import { PersistedQueryLink } from '@apollo/client/link/persisted-queries';
import { generatePersistedQueryIdsFromManifest } from '@apollo/persisted-query-lists';
import {
  cacheExchange,
  Client,
  fetchExchange,
  gql as urqlGql,
  type TypedDocumentNode,
} from '@urql/core';
import { persistedExchange } from '@urql/exchange-persisted';
import { SCHEMA_FILE } from '../../src/graphql/schema/build';
import { packageRoot } from '../../src/package-root';
import { startTestApp, type TestApp } from '../helpers/test-app';
import { tempDir } from '../helpers/temp-dirs';

/**
 * Trusted documents end to end, one client ecosystem at a time: in a temp
 * project, the ecosystem's own build tool writes its manifest from the app's
 * operations, the real server starts with that file and TRUSTED_DOCUMENTS_ONLY,
 * and the ecosystem's own runtime names the operations by the ids the tool
 * gave them. A document the server's manifest lacks is refused, and the
 * registered ones ran compiled (graphql-jit, counted at /metrics).
 */
const TOOLS = {
  apollo: require.resolve('@apollo/generate-persisted-query-manifest/cli.js'),
  codegen: path.join(path.dirname(require.resolve('@graphql-codegen/cli')), 'bin.js'),
  relay: require.resolve('relay-compiler/cli.js'),
};
const NODE_MODULES = path.join(packageRoot(__dirname), 'node_modules');
const SLUG = 'the-glory';
const EDITOR_TOKEN = 'trusted-documents-editor-token-5e1f0c7a93';
const ENFORCING = { TRUSTED_DOCUMENTS_ONLY: 'true', ADMIN_TOKEN: EDITOR_TOKEN };

const execFileAsync = promisify(execFile);

/** Runs a build tool in its project, as `npx <tool>` there would; fails with its output. */
async function runTool(cli: string, args: string[], cwd: string): Promise<string> {
  try {
    const { stdout, stderr } = await execFileAsync(process.execPath, [cli, ...args], {
      cwd,
      encoding: 'utf8',
      env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' },
    });
    return `${stdout}${stderr}`;
  } catch (error) {
    const { stdout = '', stderr = '' } = error as { stdout?: string; stderr?: string };
    throw new Error(`${cli} failed in ${cwd}:\n${stdout}${stderr}`, { cause: error });
  }
}

function writeFiles(dir: string, files: Record<string, string>): void {
  for (const [name, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    fs.writeFileSync(path.join(dir, name), text);
  }
}

function readJson<T>(file: string): T {
  return JSON.parse(fs.readFileSync(file, 'utf8')) as T;
}

/** A module of the temp project (TypeScript, compiled as the tests are). */
async function load<T>(file: string): Promise<T> {
  return (await import(file)) as T;
}

interface Sent {
  method: string;
  url: URL;
  /** A POST's JSON body. */
  body?: Record<string, unknown>;
  status: number;
}

/** The real fetch, keeping what each request sent and the status it got. */
function recordingFetch(): { fetch: typeof fetch; sent: Sent[] } {
  const sent: Sent[] = [];
  return {
    sent,
    fetch: async (input, init) => {
      const response = await fetch(input, init);
      sent.push({
        method: init?.method ?? 'GET',
        url: new URL(String(input)),
        body: typeof init?.body === 'string' ? JSON.parse(init.body) : undefined,
        status: response.status,
      });
      return response;
    },
  };
}

/** Operations graphql-jit has run since start (GET /metrics). */
async function compiledRuns(t: TestApp): Promise<number> {
  const text = await (await fetch(`${t.url}/metrics`)).text();
  const line = text
    .split('\n')
    .find((l) => l.startsWith('reelcheck_graphql_executions_total{engine="graphql-jit"}'));
  return line ? Number(line.split(' ').pop()) : 0;
}

interface Page {
  title: { id: string; name: string; accuracy: { count: number; verdict: string } };
}
interface Rated {
  rateAccuracy: {
    rating: { score: number };
    title: { id: string; accuracy: { count: number; verdict: string } };
  };
}

describe('Apollo Client: generate-persisted-query-manifest and the persisted query link', () => {
  const PROJECT = {
    'persisted-query-manifest.config.json': `${JSON.stringify(
      { documents: ['src/**/*.graphql'], output: 'persisted-query-manifest.json' },
      null,
      2,
    )}\n`,
    'src/title-page.graphql': `query TitlePage($slug: String!) {
  title(slug: $slug) {
    id
    name
    accuracy {
      id
      count
      verdict
    }
  }
}
`,
    'src/rate.graphql': `mutation Rate($input: RateAccuracyInput!) {
  rateAccuracy(input: $input) {
    rating {
      id
      score
    }
    title {
      id
      accuracy {
        id
        count
        verdict
      }
    }
  }
}
`,
  };
  /** Added to the app after the server took its manifest. */
  const TITLE_NAME = `query TitleName($slug: String!) {
  title(slug: $slug) {
    id
    name
  }
}
`;
  interface Manifest {
    format: string;
    version: number;
    operations: Array<{ id: string; name: string; type: string; body: string }>;
  }

  let dir: string;
  let manifestFile: string;
  let t: TestApp;
  beforeAll(async () => {
    dir = tempDir('reelcheck-apollo-pq-');
    writeFiles(dir, PROJECT);
    await runTool(TOOLS.apollo, [], dir);
    manifestFile = path.join(dir, 'persisted-query-manifest.json');
    t = await startTestApp({ env: { TRUSTED_DOCUMENTS: manifestFile, ...ENFORCING } });
  });
  afterAll(() => t?.stop());

  /** Apollo's documented trusted-documents link, ids from the manifest the app was built with. */
  function client(manifest: string, headers: Record<string, string> = {}) {
    const recording = recordingFetch();
    const persistedQueries = new PersistedQueryLink(
      generatePersistedQueryIdsFromManifest({ loadManifest: () => readJson<Manifest>(manifest) }),
    );
    const apollo = new ApolloClient({
      cache: new InMemoryCache(),
      link: persistedQueries.concat(
        new HttpLink({ uri: `${t.url}/graphql`, fetch: recording.fetch, headers }),
      ),
    });
    return { apollo, sent: recording.sent };
  }

  it('runs the query and the mutation by the ids in the manifest the tool wrote, compiled', async () => {
    const manifest = readJson<Manifest>(manifestFile);
    expect(manifest).toMatchObject({ format: 'apollo-persisted-query-manifest', version: 1 });
    const byName = new Map(manifest.operations.map((operation) => [operation.name, operation]));
    expect([...byName.keys()].sort()).toEqual(['Rate', 'TitlePage']);
    expect(byName.get('TitlePage')!.body).toContain('__typename'); // the cache's own transform

    const before = await compiledRuns(t);
    const { apollo, sent } = client(manifestFile);
    const page = await apollo.query<Page>({
      query: gql(PROJECT['src/title-page.graphql']),
      variables: { slug: SLUG },
    });
    expect(page.data!.title).toMatchObject({ name: 'The Glory', accuracy: { count: 0 } });
    const rated = await apollo.mutate<Rated>({
      mutation: gql(PROJECT['src/rate.graphql']),
      variables: { input: { titleId: page.data!.title.id, score: 4, voterId: 'apollo-pq-1' } },
    });
    expect(rated.data!.rateAccuracy.rating.score).toBe(4);
    expect(rated.data!.rateAccuracy.title.accuracy.count).toBe(1);

    // Each named by its manifest id, without its text.
    expect(sent.map(({ method, status, body }) => ({ method, status, body }))).toEqual(
      ['TitlePage', 'Rate'].map((name) => ({
        method: 'POST',
        status: 200,
        body: expect.objectContaining({
          operationName: name,
          extensions: expect.objectContaining({
            persistedQuery: { version: 1, sha256Hash: byName.get(name)!.id },
          }),
        }),
      })),
    );
    for (const { body } of sent) expect(body).not.toHaveProperty('query');
    expect((await compiledRuns(t)) - before).toBe(2);
  });

  it("refuses an operation the server's manifest lacks: its id is not found, its text not trusted", async () => {
    // The app gains an operation and is rebuilt; the running server still has the first manifest.
    writeFiles(dir, { 'src/title-name.graphql': TITLE_NAME });
    await runTool(TOOLS.apollo, [], dir);
    const added = readJson<Manifest>(manifestFile).operations.find((o) => o.name === 'TitleName')!;
    expect(added).toBeDefined();

    const before = await compiledRuns(t);
    const { apollo, sent } = client(manifestFile);
    const error = await apollo.query({ query: gql(TITLE_NAME), variables: { slug: SLUG } }).then(
      () => undefined,
      (e: unknown) => e,
    );
    // The link sends the id; on PERSISTED_QUERY_NOT_FOUND it retries with the text, refused.
    expect(sent.map(({ status }) => status)).toEqual([404, 403]);
    expect(sent[0].body).not.toHaveProperty('query');
    expect(sent[0].body!.extensions).toMatchObject({
      persistedQuery: { sha256Hash: added.id },
    });
    expect(sent[1].body!.query).toBe(added.body); // exactly the text the tool wrote
    expect(errorCodes(error)).toEqual(['TRUSTED_DOCUMENTS_ONLY']);
    expect((await compiledRuns(t)) - before).toBe(0);

    // An editor's token lets the same client's retry run it.
    const editor = client(manifestFile, { authorization: `Bearer ${EDITOR_TOKEN}` });
    const page = await editor.apollo.query<Page>({
      query: gql(TITLE_NAME),
      variables: { slug: SLUG },
    });
    expect(page.data!.title.name).toBe('The Glory');
    expect(editor.sent.map(({ status }) => status)).toEqual([404, 200]);
  });

  /** The codes of an Apollo Client 4 error: GraphQL errors, or those in a non-2xx body. */
  function errorCodes(error: unknown): unknown[] {
    if (CombinedGraphQLErrors.is(error)) return error.errors.map((e) => e.extensions?.code);
    if (ServerError.is(error)) {
      const body = JSON.parse(error.bodyText) as {
        errors: Array<{ extensions: { code: string } }>;
      };
      return body.errors.map((e) => e.extensions.code);
    }
    return [String(error)];
  }
});

/*
 * Two projects, one per hash option. @urql/core keeps one document per text
 * for the whole process (the first one it saw, with that project's hash), so
 * each project's operations select a field of their own.
 */
describe.each([
  ['persistedDocuments: true (ids "sha256:<hex>")', 'true', /^sha256:[0-9a-f]{64}$/, 'year'],
  [
    "hashAlgorithm: 'sha1' (ids that are not SHA-256)",
    "{ hashAlgorithm: 'sha1' }",
    /^[0-9a-f]{40}$/,
    'mediaType',
  ],
])(
  'urql and GraphQL Code Generator client preset, %s',
  (_label, persistedDocuments, idForm, field) => {
    const PROJECT = {
      'codegen.ts': `import type { CodegenConfig } from '@graphql-codegen/cli';
import { addTypenameSelectionDocumentTransform } from '@graphql-codegen/client-preset';

const config: CodegenConfig = {
  schema: './schema.graphql',
  documents: ['src/**/*.ts', '!src/gql/**/*'],
  generates: {
    './src/gql/': {
      preset: 'client',
      presetConfig: { persistedDocuments: ${persistedDocuments} },
      // urql's document cache invalidates by the __typename in results
      documentTransforms: [addTypenameSelectionDocumentTransform],
    },
  },
};

export default config;
`,
      'src/operations.ts': `import { graphql } from './gql';

export const TitlePageQuery = graphql(\`
  query TitlePage($slug: String!) {
    title(slug: $slug) {
      id
      name
      ${field}
      accuracy {
        id
        count
        verdict
      }
    }
  }
\`);

export const RateMutation = graphql(\`
  mutation Rate($input: RateAccuracyInput!) {
    rateAccuracy(input: $input) {
      rating {
        id
        score
      }
      title {
        id
        ${field}
        accuracy {
          id
          count
          verdict
        }
      }
    }
  }
\`);
`,
    };
    type Hashed<Data, Variables extends Record<string, unknown>> = TypedDocumentNode<
      Data,
      Variables
    > & { __meta__: { hash: string } };
    interface Operations {
      TitlePageQuery: Hashed<Page, { slug: string }>;
      RateMutation: Hashed<Rated, { input: Record<string, unknown> }>;
    }

    let manifestFile: string;
    let operations: Operations;
    let t: TestApp;
    beforeAll(async () => {
      const dir = tempDir('reelcheck-codegen-pq-');
      writeFiles(dir, PROJECT);
      fs.copyFileSync(SCHEMA_FILE, path.join(dir, 'schema.graphql'));
      // The project's packages: codegen finds its preset and plugins from the project.
      fs.symlinkSync(NODE_MODULES, path.join(dir, 'node_modules'), 'dir');
      await runTool(TOOLS.codegen, ['--config', 'codegen.ts'], dir);
      manifestFile = path.join(dir, 'src', 'gql', 'persisted-documents.json');
      operations = await load<Operations>(path.join(dir, 'src', 'operations.ts'));
      t = await startTestApp({ env: { TRUSTED_DOCUMENTS: manifestFile, ...ENFORCING } });
    });
    afterAll(() => t?.stop());

    /** urql's documented set-up for codegen's persisted documents: the hash codegen embedded. */
    function client() {
      const recording = recordingFetch();
      const urql = new Client({
        url: `${t.url}/graphql`,
        fetch: recording.fetch,
        exchanges: [
          cacheExchange,
          persistedExchange({
            enforcePersistedQueries: true,
            enableForMutation: true,
            generateHash: (_query, document) =>
              Promise.resolve((document as { __meta__?: { hash?: string } }).__meta__?.hash),
          }),
          fetchExchange,
        ],
      });
      return { urql, sent: recording.sent };
    }

    it('runs the query and the mutation by the hashes codegen wrote, compiled', async () => {
      const manifest = readJson<Record<string, string>>(manifestFile);
      const { TitlePageQuery, RateMutation } = operations;
      const hashes = [TitlePageQuery.__meta__.hash, RateMutation.__meta__.hash];
      expect(Object.keys(manifest).sort()).toEqual([...hashes].sort());
      for (const hash of hashes) expect(hash).toMatch(idForm);
      expect(manifest[TitlePageQuery.__meta__.hash]).toContain('__typename');

      const before = await compiledRuns(t);
      const { urql, sent } = client();
      const page = await urql.query(TitlePageQuery, { slug: SLUG }).toPromise();
      expect(page.error).toBeUndefined();
      expect(page.data!.title).toMatchObject({ name: 'The Glory', accuracy: { count: 0 } });
      const rated = await urql
        .mutation(RateMutation, {
          input: { titleId: page.data!.title.id, score: 5, voterId: 'urql-codegen-1' },
        })
        .toPromise();
      expect(rated.error).toBeUndefined();
      expect(rated.data!.rateAccuracy.rating.score).toBe(5);
      // The mutation's Title invalidated the cached page: read again, it shows the rating.
      const again = await urql.query(TitlePageQuery, { slug: SLUG }).toPromise();
      expect(again.data!.title.accuracy.count).toBe(1);

      // Queries as GET, the mutation as POST, each with the hash and without the text.
      expect(sent.map(({ method, status }) => `${method} ${status}`)).toEqual([
        'GET 200',
        'POST 200',
        'GET 200',
      ]);
      const named = sent.map(({ url, body }) =>
        body ? body.extensions : JSON.parse(url.searchParams.get('extensions')!),
      );
      expect(named).toEqual(
        [TitlePageQuery, RateMutation, TitlePageQuery].map((document) => ({
          persistedQuery: { version: 1, sha256Hash: document.__meta__.hash },
        })),
      );
      expect(sent.filter(({ url, body }) => url.searchParams.has('query') || body?.query)).toEqual(
        [],
      );
      expect((await compiledRuns(t)) - before).toBe(3);
    });

    it('refuses a document codegen did not make: it goes with its text, which is not trusted', async () => {
      const before = await compiledRuns(t);
      const { urql, sent } = client();
      const result = await urql
        .query<Page>(urqlGql('query TitleName($slug: String!) { title(slug: $slug) { name } }'), {
          slug: SLUG,
        })
        .toPromise();
      expect(result.data).toBeUndefined();
      expect(result.error?.graphQLErrors.map((e) => e.extensions.code)).toEqual([
        'TRUSTED_DOCUMENTS_ONLY',
      ]);
      expect(sent.map(({ method, status }) => `${method} ${status}`)).toEqual(['GET 403']);
      expect(sent[0].url.searchParams.get('query')).toContain('TitleName');
      expect((await compiledRuns(t)) - before).toBe(0);
    });
  },
);

describe('Relay: relay-compiler persistConfig and a network layer sending documentId', () => {
  const PROJECT = {
    'relay.config.js': `module.exports = {
  src: './src',
  schema: './schema.graphql',
  language: 'typescript',
  persistConfig: { file: './persisted_queries.json' },
};
`,
    // relay-compiler adds to this file, and refuses to start without it.
    'persisted_queries.json': '{}\n',
    'src/TitlePage.ts': `import { graphql } from 'react-relay';

export const titlePageQuery = graphql\`
  query TitlePageQuery($slug: String!) {
    title(slug: $slug) {
      name
      accuracy {
        count
        verdict
      }
    }
  }
\`;

export const rateMutation = graphql\`
  mutation TitlePageRateMutation($input: RateAccuracyInput!) {
    rateAccuracy(input: $input) {
      rating {
        score
      }
      title {
        accuracy {
          count
          verdict
        }
      }
    }
  }
\`;
`,
  };
  /** Added to the app after the server took its manifest. */
  const TITLE_NAME = `import { graphql } from 'react-relay';

export const titleNameQuery = graphql\`
  query TitleNameQuery($slug: String!) {
    title(slug: $slug) {
      name
    }
  }
\`;
`;
  /** What Relay hands a network layer's fetch function (relay-runtime's RequestParameters). */
  interface RequestParameters {
    id: string | null;
    text: string | null;
    name: string;
    operationKind: string;
  }
  interface Response {
    status: number;
    body: { data?: Record<string, unknown>; errors?: Array<{ extensions: { code: string } }> };
  }

  let dir: string;
  let manifestFile: string;
  let t: TestApp;
  beforeAll(async () => {
    dir = tempDir('reelcheck-relay-pq-');
    writeFiles(dir, PROJECT);
    fs.copyFileSync(SCHEMA_FILE, path.join(dir, 'schema.graphql'));
    await runTool(TOOLS.relay, [], dir);
    manifestFile = path.join(dir, 'persisted_queries.json');
    t = await startTestApp({ env: { TRUSTED_DOCUMENTS: manifestFile, ...ENFORCING } });
  });
  afterAll(() => t?.stop());

  async function artifact(name: string): Promise<RequestParameters> {
    const file = path.join(dir, 'src', '__generated__', `${name}.graphql.ts`);
    return (await load<{ default: { params: RequestParameters } }>(file)).default.params;
  }

  /**
   * A Relay network layer's fetch function for persisted queries: the
   * artifact's id as `documentId` (its text is null), else its text.
   */
  async function fetchRelay(
    params: Pick<RequestParameters, 'id' | 'text'>,
    variables: Record<string, unknown>,
  ): Promise<Response> {
    const response = await fetch(`${t.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(
        params.id ? { documentId: params.id, variables } : { query: params.text, variables },
      ),
    });
    return { status: response.status, body: (await response.json()) as Response['body'] };
  }

  it('runs the query and the mutation by the ids relay-compiler wrote, compiled', async () => {
    const query = await artifact('TitlePageQuery');
    const mutation = await artifact('TitlePageRateMutation');
    expect(query).toMatchObject({ text: null, id: expect.stringMatching(/^[0-9a-f]{32}$/) });
    expect(mutation).toMatchObject({ text: null, operationKind: 'mutation' });
    const manifest = readJson<Record<string, string>>(manifestFile);
    expect(Object.keys(manifest).sort()).toEqual([query.id, mutation.id].sort());

    const before = await compiledRuns(t);
    const page = await fetchRelay(query, { slug: SLUG });
    expect(page).toMatchObject({
      status: 200,
      body: { data: { title: { name: 'The Glory', accuracy: { count: 0 } } } },
    });
    expect(page.body.errors).toBeUndefined();
    const titleId = (page.body.data as { title: { id: string } }).title.id; // Relay added id
    const rated = await fetchRelay(mutation, {
      input: { titleId, score: 2, voterId: 'relay-persisted-1' },
    });
    expect(rated).toMatchObject({
      status: 200,
      body: {
        data: { rateAccuracy: { rating: { score: 2 }, title: { accuracy: { count: 1 } } } },
      },
    });
    // The same id in a GET's query string, as a CDN-cacheable URL.
    const search = new URLSearchParams({
      documentId: query.id!,
      variables: JSON.stringify({ slug: SLUG }),
    });
    const get = await fetch(`${t.url}/graphql?${search}`);
    expect(get.status).toBe(200);
    expect(await get.json()).toMatchObject({ data: { title: { accuracy: { count: 1 } } } });
    expect((await compiledRuns(t)) - before).toBe(3);
  });

  it('runs a registered text as sent, compiled; refuses a new query the server does not have', async () => {
    const query = await artifact('TitlePageQuery');
    const registered = readJson<Record<string, string>>(manifestFile);
    const before = await compiledRuns(t);
    // The exact text of a registered document is that document.
    const byText = await fetchRelay({ id: null, text: registered[query.id!] }, { slug: SLUG });
    expect(byText).toMatchObject({ status: 200, body: { data: { title: { name: 'The Glory' } } } });
    expect((await compiledRuns(t)) - before).toBe(1);

    // The app gains a query and is rebuilt; the running server still has the first manifest.
    writeFiles(dir, { 'src/TitleName.ts': TITLE_NAME });
    await runTool(TOOLS.relay, [], dir);
    const added = await artifact('TitleNameQuery');
    const text = readJson<Record<string, string>>(manifestFile)[added.id!];
    expect(text).toContain('query TitleNameQuery');

    const byId = await fetchRelay(added, { slug: SLUG });
    expect(byId).toEqual({
      status: 404,
      body: {
        errors: [
          {
            message: expect.any(String),
            extensions: { code: 'PERSISTED_QUERY_NOT_FOUND', documentId: added.id },
          },
        ],
      },
    });
    const asText = await fetchRelay({ id: null, text }, { slug: SLUG });
    expect(asText.status).toBe(403);
    expect(asText.body.data).toBeUndefined();
    expect(asText.body.errors!.map((e) => e.extensions.code)).toEqual(['TRUSTED_DOCUMENTS_ONLY']);
    expect((await compiledRuns(t)) - before).toBe(1);
  });
});
