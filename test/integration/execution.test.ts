import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { getIntrospectionQuery, type OperationDefinitionNode, parse, print } from 'graphql';
import { PROJECT_TRUSTED_DOCUMENTS } from '../../src/config';
import { EXPLORER_DEFAULT_QUERY } from '../../src/graphql/engine/trusted-documents/title-page-query';
import type { Engine } from '../../src/graphql/engine/execution';
import { toGlobalId } from '../../src/graphql/schema/node/ids';
import { buildReelcheckSchema } from '../../src/graphql/schema/build';
import { sampleVariables } from '../../src/graphql/engine/trusted-documents/registry';
import {
  EditorPageDocument,
  PageIdsDocument,
  TitleListDeepDocument,
  TitleListDocument,
  TitlePageDocument,
  ViewerRatingsDocument,
} from '../generated/graphql';
import { execute, type GraphQLResponse, postRaw } from '../helpers/graphql-client';
import { startTestApp, type TestApp } from '../helpers/test-app';
import { tempDir } from '../helpers/temp-dirs';

/**
 * graphql-jit (src/graphql/engine/execution.ts) compiles registered documents only,
 * and must answer them exactly as graphql-js. Each case below is registered
 * (a manifest written for this test, beside the project's own), then sent
 * twice: by its id, which runs what was compiled at start, and as its text
 * with one more comment line, a document no manifest has, which runs on
 * graphql-js. The two answers (status and body) must be equal; the
 * executions metric shows which engine ran each time, so a case cannot pass
 * by running graphql-js twice. The cases cover what the schema does: the
 * page, listings, every Node type, fragments, null bubbling, every kind of
 * error, editors, introspection, federation and mutations; and each kind of
 * document graphql-jit would get wrong, which runs on graphql-js even when
 * registered. Every document of the project's manifest is run the same way.
 */

const TOKEN = 'parity-editor-token-0123456789abcdef';
const GLORY = toGlobalId('Title', 'the-glory');
/** Set on globalThis by the injection attempt if it ever runs (the app runs in this process). */
const INJECTED = '__reelcheckInjectedByJit';

interface Fixture {
  factId: string;
  accuracyId: string;
  recommendationId: string;
  ratingId: string;
}

interface Case {
  name: string;
  body: (ids: Fixture) => {
    query: string;
    variables?: Record<string, unknown>;
    operationName?: string;
  };
  editor?: boolean;
  /** What the case is about: an answer without errors, or errors with this code. */
  answer: 'data' | string;
  /** Where the registered run goes: compiled, graphql-js (never compiled, or variables graphql-jit refused), or nowhere (refused before execution). */
  registeredRun: Engine | 'none';
  /** false: a document that cannot be registered (it fails validation); both runs send its text. */
  registered?: false;
}

/**
 * graphql-jit 0.8.9 would set the left-out $tagline to null, which clears the
 * tagline: registered, it still runs on graphql-js.
 */
const LEFT_OUT_MUTATION = `mutation Keep($tagline: String, $revision: Int!) {
  updateTitle(id: "${GLORY}", input: { tagline: $tagline }, expectedRevision: $revision) { revision tagline }
}`;

const nodeSelection = `
  __typename
  id
  ... on Title { slug name year accuracy { count verdict } }
  ... on Fact { text category position accuracy { count average } }
  ... on Rating { score comment }
  ... on AccuracySummary { count average distribution verdict }
  ... on Recommendation { label reason title { slug } }
`;

const cases: Case[] = [
  {
    name: "the README's title page",
    answer: 'data',
    body: () => ({ query: EXPLORER_DEFAULT_QUERY }),
    registeredRun: 'graphql-jit',
  },
  {
    name: 'the title page with variables',
    answer: 'data',
    body: () => ({ query: print(TitlePageDocument), variables: { slug: 'the-glory' } }),
    registeredRun: 'graphql-jit',
  },
  {
    name: 'a search',
    answer: 'data',
    body: () => ({ query: print(TitleListDocument), variables: { search: 'glory', first: 2 } }),
    registeredRun: 'graphql-jit',
  },
  {
    name: 'a deep listing of every join',
    answer: 'data',
    body: () => ({ query: print(TitleListDeepDocument), variables: { first: 3 } }),
    registeredRun: 'graphql-jit',
  },
  {
    name: 'every kind of Node by id, an unknown id as null',
    answer: 'data',
    body: (ids) => ({
      query: `query Nodes($ids: [ID!]!) { nodes(ids: $ids) { ${nodeSelection} } }`,
      variables: {
        ids: [
          GLORY,
          ids.factId,
          ids.accuracyId,
          ids.recommendationId,
          ids.ratingId,
          toGlobalId('Fact', 'missing'),
        ],
      },
    }),
    registeredRun: 'graphql-jit',
  },
  {
    name: 'a malformed node id: BAD_USER_INPUT',
    answer: 'BAD_USER_INPUT',
    body: () => ({ query: `{ node(id: "not-an-id") { ${nodeSelection} } }` }),
    registeredRun: 'graphql-jit',
  },
  {
    name: 'a slug class-validator refuses: BAD_USER_INPUT',
    answer: 'BAD_USER_INPUT',
    body: () => ({ query: '{ title(slug: "Not A Slug") { name } }' }),
    registeredRun: 'graphql-jit',
  },
  {
    name: 'a page size out of range: BAD_USER_INPUT',
    answer: 'BAD_USER_INPUT',
    body: () => ({ query: '{ titles(first: 1000) { totalCount } }' }),
    registeredRun: 'graphql-jit',
  },
  {
    name: 'a variable of the wrong type: 400, worded by graphql-js',
    answer: 'BAD_USER_INPUT',
    body: () => ({ query: print(TitleListDocument), variables: { first: 'ten' } }),
    registeredRun: 'graphql-js',
  },
  {
    name: 'a document that fails validation: 400, nothing runs',
    answer: 'GRAPHQL_VALIDATION_FAILED',
    body: () => ({ query: '{ title(slug: "the-glory") { nope } }' }),
    registered: false,
    registeredRun: 'none',
  },
  {
    name: 'aliases, fragments, __typename, a title that is not there',
    answer: 'data',
    body: () => ({
      query: `query Shapes {
        glory: title(slug: "the-glory") {
          __typename name ...Header
          facts(category: DID_YOU_KNOW) { text position }
          again: accuracy { verdict }
        }
        missing: title(slug: "no-such-title") { name }
        ratingScale { score label }
      }
      fragment Header on Title { year mediaType tagline tmdbScore { voteAverage stale } }`,
    }),
    registeredRun: 'graphql-jit',
  },
  {
    name: '@skip and @include: never compiled',
    answer: 'data',
    body: () => ({
      query: `query Shapes($withFacts: Boolean!, $noRecs: Boolean!) {
        title(slug: "the-glory") {
          name
          facts(category: DID_YOU_KNOW) @include(if: $withFacts) { text position }
          recommendations @skip(if: $noRecs) { label }
        }
      }`,
      variables: { withFacts: true, noRecs: true },
    }),
    registeredRun: 'graphql-js',
  },
  {
    // graphql-jit records conditions on the fragment's shared nodes: b would lose its name.
    name: 'one fragment spread twice, once under @include(if: false): never compiled',
    answer: 'data',
    body: () => ({
      query: `query Shared($x: Boolean!) {
        a: title(slug: "the-glory") { ...Name @include(if: $x) }
        b: title(slug: "the-glory") { ...Name }
      }
      fragment Name on Title { name }`,
      variables: { x: false },
    }),
    registeredRun: 'graphql-js',
  },
  {
    // graphql-jit loses variables inside a custom scalar's literal.
    name: 'a variable inside an _entities representation: never compiled',
    answer: 'data',
    body: () => ({
      query: `query Ref($id: String) {
        _entities(representations: [{ __typename: "Title", id: $id }]) { ... on Title { slug } }
      }`,
      variables: { id: GLORY },
    }),
    registeredRun: 'graphql-js',
  },
  {
    // In graphql-jit's generated object literals, "__proto__" would set the prototype.
    name: 'an alias __proto__: never compiled',
    answer: 'data',
    body: () => ({
      query: '{ __proto__: __typename title(slug: "the-glory") { __proto__: name id } }',
    }),
    registeredRun: 'graphql-js',
  },
  {
    name: 'a representation with a key __proto__: never compiled',
    answer: 'BAD_USER_INPUT',
    body: () => ({
      query: `{ _entities(representations: [{ __proto__: { __typename: "Title" }, id: "${GLORY}" }]) { ... on Title { slug } } }`,
    }),
    registeredRun: 'graphql-js',
  },
  {
    name: 'a variable default with a key __proto__: never compiled',
    answer: 'BAD_USER_INPUT',
    body: () => ({
      query: `query Defaulted($r: [_Any!]! = [{ __proto__: { __typename: "Title" }, id: "${GLORY}" }]) {
        _entities(representations: $r) { ... on Title { slug } }
      }`,
    }),
    registeredRun: 'graphql-js',
  },
  {
    name: 'an operation name that names no operation: never compiled',
    answer: 'OPERATION_RESOLUTION_FAILURE',
    body: () => ({ query: 'query Scale { ratingScale { score } }', operationName: 'Nope' }),
    registeredRun: 'graphql-js',
  },
  {
    name: "the viewer's own rating",
    answer: 'data',
    body: () => ({
      query: print(ViewerRatingsDocument),
      variables: { slug: 'the-glory', voterId: 'parity-voter' },
    }),
    registeredRun: 'graphql-jit',
  },
  {
    name: 'an editors-only field asked anonymously: its error bubbles null up to the title',
    answer: 'UNAUTHENTICATED',
    body: () => ({
      query: '{ title(slug: "the-glory") { name changes(first: 1) { edges { node { id } } } } }',
    }),
    registeredRun: 'graphql-jit',
  },
  {
    name: "an editor's page",
    answer: 'data',
    body: () => ({ query: print(EditorPageDocument), variables: { slug: 'the-glory' } }),
    editor: true,
    registeredRun: 'graphql-jit',
  },
  {
    name: 'introspection',
    answer: 'data',
    body: () => ({ query: getIntrospectionQuery({ descriptions: true, specifiedByUrl: true }) }),
    registeredRun: 'graphql-jit',
  },
  {
    name: "the subgraph's _service and _entities, a bad key as null",
    answer: 'data',
    body: (ids) => ({
      query: `query Entities($representations: [_Any!]!) {
        _service { sdl }
        _entities(representations: $representations) {
          __typename
          ... on Title { slug name }
          ... on Fact { text }
        }
      }`,
      variables: {
        representations: [
          { __typename: 'Title', id: GLORY },
          { __typename: 'Title', tmdbId: 136283, mediaType: 'TV' },
          { __typename: 'Fact', id: ids.factId },
          { __typename: 'Title', id: 'not-an-id' },
        ],
      },
    }),
    registeredRun: 'graphql-jit',
  },
  {
    name: 'two operations, one chosen by name',
    answer: 'data',
    body: () => ({
      query:
        'query Scale { ratingScale { score } } query Count { titles(first: 1) { totalCount } }',
      operationName: 'Count',
    }),
    registeredRun: 'graphql-jit',
  },
  {
    name: 'a rating, sent again by the same voter',
    answer: 'data',
    body: () => ({
      query: `mutation Rate($input: RateAccuracyInput!) {
        rateAccuracy(input: $input) {
          rating { id score comment }
          accuracy { count average distribution verdict }
        }
      }`,
      variables: { input: { titleId: GLORY, score: 4, voterId: 'parity-voter', comment: 'Close' } },
    }),
    registeredRun: 'graphql-jit',
  },
  {
    name: 'a rating refused by class-validator: BAD_USER_INPUT naming the field',
    answer: 'BAD_USER_INPUT',
    body: () => ({
      query: `mutation { rateAccuracy(input: { titleId: "${GLORY}", score: 4, voterId: "${'v'.repeat(300)}" }) { rating { id } } }`,
    }),
    registeredRun: 'graphql-jit',
  },
  {
    name: 'a rating of a title that is not there: NOT_FOUND',
    answer: 'NOT_FOUND',
    body: () => ({
      query: `mutation { rateAccuracy(input: { titleId: "${toGlobalId('Title', 'missing')}", score: 2, voterId: "parity-voter" }) { rating { id } } }`,
    }),
    registeredRun: 'graphql-jit',
  },
];

/** Operations run per engine so far, from GET /metrics. */
async function executions(url: string): Promise<Record<Engine, number>> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const count = (engine: Engine) => {
    const line = text
      .split('\n')
      .find((l) => l.startsWith(`reelcheck_graphql_executions_total{engine="${engine}"}`));
    return line ? Number(line.split(' ').pop()) : 0;
  };
  return { 'graphql-js': count('graphql-js'), 'graphql-jit': count('graphql-jit') };
}

/** What an engine ran between two readings. */
function ran(before: Record<Engine, number>, after: Record<Engine, number>): Engine | 'none' {
  const js = after['graphql-js'] - before['graphql-js'];
  const jit = after['graphql-jit'] - before['graphql-jit'];
  if (js + jit === 0) return 'none';
  if (js + jit > 1) throw new Error(`one request ran ${js + jit} operations`);
  return js ? 'graphql-js' : 'graphql-jit';
}

/** Stack traces (NODE_ENV=test) name the engine's frames; everything else must match. */
function withoutStacks(response: GraphQLResponse<unknown>): GraphQLResponse<unknown> {
  if (!response.errors) return response;
  return {
    ...response,
    errors: response.errors.map(({ extensions, ...error }) => {
      if (!extensions) return error;
      const { stacktrace: _stacktrace, ...rest } = extensions;
      return { ...error, extensions: rest };
    }),
  };
}

/** A case's own document: a comment makes its text, and so its registered id, this case's own. */
function ownText(name: string, query: string): string {
  return `# ${name}\n${query}`;
}

function sha256(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/** Variables for the project manifest's operations: the seeded data where a name says what it is. */
const KNOWN_VARIABLES: Record<string, unknown> = {
  slug: 'the-glory',
  id: GLORY,
  ids: [GLORY, toGlobalId('Fact', 'missing')],
  voterId: 'parity-voter',
  first: 2,
};

describe('graphql-jit answers registered documents as graphql-js does', () => {
  let t: TestApp;
  let ids: Fixture;
  const headers = (editor?: boolean): Record<string, string> =>
    editor ? { authorization: `Bearer ${TOKEN}` } : {};
  const placeholder: Fixture = { factId: '', accuracyId: '', recommendationId: '', ratingId: '' };

  beforeAll(async () => {
    // The cases' texts do not depend on the fixture's ids (only their variables do).
    const manifest = Object.fromEntries(
      cases
        .filter((c) => c.registered !== false)
        .map((c) => {
          const text = ownText(c.name, c.body(placeholder).query);
          return [`sha256:${sha256(text)}`, text];
        }),
    );
    manifest['x-parity:left-out'] = LEFT_OUT_MUTATION;
    const casesFile = path.join(tempDir(), 'parity-manifest.json');
    fs.writeFileSync(casesFile, JSON.stringify(manifest));
    t = await startTestApp({
      env: {
        ADMIN_TOKEN: TOKEN,
        RESPONSE_CACHE: 'false',
        TRUSTED_DOCUMENTS: `${PROJECT_TRUSTED_DOCUMENTS},${casesFile}`,
      },
    });
    const rated = await postRaw<{ rateAccuracy: { rating: { id: string } } }>(t.url, {
      query: `mutation { rateAccuracy(input: { titleId: "${GLORY}", score: 3, voterId: "parity-fixture", comment: "Mostly" }) { rating { id } } }`,
    });
    const page = await execute(t.url, PageIdsDocument, { slug: 'the-glory' });
    const title = page.data!.title!;
    ids = {
      factId: title.facts[0].id,
      accuracyId: title.facts[0].accuracy.id,
      recommendationId: title.recommendations[0].id,
      ratingId: rated.data!.rateAccuracy.rating.id,
    };
  });
  afterAll(() => t?.stop());

  /** Sends a document by id (the registered, compiled run) and as unregistered text; returns both answers and engines. */
  async function bothEngines(
    text: string,
    request: { variables?: Record<string, unknown>; operationName?: string },
    registered: boolean,
    editor?: boolean,
  ) {
    const before = await executions(t.url);
    const byId = registered
      ? await postRaw(t.url, { documentId: `sha256:${sha256(text)}`, ...request }, headers(editor))
      : await postRaw(t.url, { query: text, ...request }, headers(editor));
    const between = await executions(t.url);
    const unregistered = `${text}\n# sent as text`;
    const byText = await postRaw(t.url, { query: unregistered, ...request }, headers(editor));
    const after = await executions(t.url);
    return {
      registered: { answer: byId, engine: ran(before, between) },
      text: { answer: byText, engine: ran(between, after) },
    };
  }

  it.each(cases)('$name', async ({ name, body, editor, answer, registeredRun, registered }) => {
    const { query, ...request } = body(ids);
    const runs = await bothEngines(ownText(name, query), request, registered !== false, editor);

    // The case is about what it says (a typo in its query would be equal on both engines too).
    const first = runs.text.answer;
    if (answer === 'data') expect(first.errors).toBeUndefined();
    else expect(first.errors?.map((error) => error.extensions?.code)).toContain(answer);
    expect(runs.registered.engine).toBe(registeredRun);
    expect(runs.text.engine).toBe(registeredRun === 'none' ? 'none' : 'graphql-js');
    expect(withoutStacks(runs.registered.answer)).toEqual(withoutStacks(runs.text.answer));
  });

  it("runs every document of the project's manifest compiled, answering as graphql-js does", async () => {
    const schema = await buildReelcheckSchema();
    const { operations } = JSON.parse(fs.readFileSync(PROJECT_TRUSTED_DOCUMENTS, 'utf8')) as {
      operations: Array<{ name: string; body: string }>;
    };
    expect(operations.length).toBeGreaterThan(20);
    for (const { name, body } of operations) {
      const operation = parse(body).definitions[0] as OperationDefinitionNode;
      // Anonymous: editors' mutations are refused alike, and nothing is written.
      const variables: Record<string, unknown> = { ...sampleVariables(schema, operation) };
      for (const definition of operation.variableDefinitions ?? []) {
        const variable = definition.variable.name.value;
        if (variable in KNOWN_VARIABLES) variables[variable] = KNOWN_VARIABLES[variable];
      }
      const runs = await bothEngines(body, { variables }, true);
      expect({ name, engine: runs.registered.engine }).toEqual({ name, engine: 'graphql-jit' });
      expect({ name, engine: runs.text.engine }).toEqual({ name, engine: 'graphql-js' });
      expect({ name, answer: withoutStacks(runs.registered.answer) }).toEqual({
        name,
        answer: withoutStacks(runs.text.answer),
      });
    }
  });

  it('never compiles a document a client sends, whatever it contains', async () => {
    // graphql-jit 0.8.9 turns this argument into `new Date(0), injected: (<code>)`
    // inside its generated function: it must never see a client's text.
    const marker = '__MAGIC_DATE__33a9e76d_02e0_4128_8e92_3530ad3da74d';
    const run = `globalThis.${INJECTED} = true`;
    const escaped = `\\u005F\\u005FMAGIC_DATE__33a9e76d_02e0_4128_8e92_3530ad3da74d0), injected: (${run}`;
    const documents = [
      `# plain\n{ title(slug: "${marker}0), injected: (${run}") { name } }`,
      `# escaped\n{ title(slug: "${escaped}") { name } }`,
      `# nested\nquery { _entities(representations: [{ __typename: "Title", id: "${marker}0), injected: (${run}" }]) { __typename } }`,
      `# enum\n{ _entities(representations: [${marker}noSuchIdentifier]) { __typename } }`,
      // Harmless ones too: sent again and again, a client's document stays on graphql-js.
      '{ ratingScale { score } }',
      `${EXPLORER_DEFAULT_QUERY}\n# not the registered text`,
    ];
    for (const query of documents) {
      const before = await executions(t.url);
      for (let run = 0; run < 12; run += 1) await postRaw(t.url, { query });
      const after = await executions(t.url);
      expect({ query, js: after['graphql-js'] - before['graphql-js'] }).toEqual({ query, js: 12 });
      expect({ query, jit: after['graphql-jit'] - before['graphql-jit'] }).toEqual({
        query,
        jit: 0,
      });
    }
    expect((globalThis as Record<string, unknown>)[INJECTED]).toBeUndefined();
  });

  it('never compiles a registered input whose field is a variable: a left-out variable leaves the field as it is', async () => {
    const read = async () =>
      (
        await postRaw<{ title: { revision: number; tagline: string } }>(t.url, {
          query: '{ title(slug: "the-glory") { revision tagline } }',
        })
      ).data!.title;
    const before = await read();
    expect(before.tagline).toEqual(expect.any(String));
    const counted = await executions(t.url);
    for (let run = 0; run < 2; run += 1) {
      const answer = await postRaw(
        t.url,
        { documentId: 'x-parity:left-out', variables: { revision: before.revision } },
        headers(true),
      );
      expect(answer.data).toEqual({ updateTitle: before });
    }
    const after = await executions(t.url);
    expect(after['graphql-js'] - counted['graphql-js']).toBe(2);
    expect(after['graphql-jit'] - counted['graphql-jit']).toBe(0);
    expect(await read()).toEqual(before);
  });
});
