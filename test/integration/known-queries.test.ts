import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { ApolloServer } from '@apollo/server';
import { PROJECT_TRUSTED_DOCUMENTS } from '../../src/config';
import { KnownQueries } from '../../src/graphql/engine/known-queries';
import { EXPLORER_DEFAULT_QUERY } from '../../src/graphql/engine/trusted-documents/title-page-query';
import { startTestApp, type TestApp } from '../helpers/test-app';
import { tempDir } from '../helpers/temp-dirs';

/**
 * Known queries answered without Apollo's pipeline
 * (src/graphql/engine/known-queries.ts): registered documents, and texts
 * Apollo has parsed and validated before. A plain success is answered there,
 * byte for byte as Apollo answers the same request; everything Apollo has
 * another rule for is left to Apollo.
 */

const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');
const PAGE_ID = `sha256:${sha256(EXPLORER_DEFAULT_QUERY)}`;
/** About 300 per title by the cost limit's estimate: 100 titles cost more than it allows. */
const LISTING = `query Listing($first: Int!) {
  titles(first: $first) {
    edges {
      node {
        name
        facts { text accuracy { count average } }
        recommendations { title { name facts { text accuracy { count } } } }
      }
    }
  }
}`;
const NODE = 'query Node($id: ID!) { node(id: $id) { id } }';
const RATE = `mutation Rate($input: RateAccuracyInput!) {
  rateAccuracy(input: $input) { accuracy { count } }
}`;

function testManifest(): string {
  const file = path.join(tempDir(), 'persisted-documents.json');
  fs.writeFileSync(
    file,
    JSON.stringify({ [sha256(LISTING)]: LISTING, [sha256(NODE)]: NODE, [sha256(RATE)]: RATE }),
  );
  return file;
}

interface Answer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** Apollo's request handler, watched: whether a request reached it. */
const apolloCalls = jest.spyOn(ApolloServer.prototype, 'executeHTTPGraphQLRequest');

async function send(
  url: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<Answer & { throughApollo: boolean }> {
  apolloCalls.mockClear();
  const response = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  const answer = {
    status: response.status,
    headers: Object.fromEntries(
      [...response.headers].filter(([name]) => name !== 'x-request-id' && name !== 'date'),
    ),
    body: await response.text(),
  };
  return { ...answer, throughApollo: apolloCalls.mock.calls.length > 0 };
}

/** The same request as Apollo's pipeline answers it. */
async function sendThroughApollo(
  url: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<Answer & { throughApollo: boolean }> {
  const declined = jest.spyOn(KnownQueries.prototype, 'answer').mockResolvedValue(null);
  try {
    return await send(url, body, headers);
  } finally {
    declined.mockRestore();
  }
}

describe('known queries', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({
      env: {
        TRUSTED_DOCUMENTS: `${PROJECT_TRUSTED_DOCUMENTS},${testManifest()}`,
        // Each request below is sent twice (both paths): neither may be answered from memory.
        RESPONSE_CACHE: 'false',
      },
    });
  });
  afterAll(() => t?.stop());

  const plain: Array<[string, unknown, Record<string, string>]> = [
    ['by documentId', { documentId: PAGE_ID }, {}],
    [
      'by persisted query hash, with its operation name',
      {
        operationName: 'TitlePage',
        extensions: { persistedQuery: { version: 1, sha256Hash: PAGE_ID.slice(7) } },
      },
      {},
    ],
    ['by its text', { query: EXPLORER_DEFAULT_QUERY }, {}],
    ['with variables', { documentId: sha256(LISTING), variables: { first: 2 } }, {}],
    ['accepting application/json', { documentId: PAGE_ID }, { accept: 'application/json' }],
    [
      'accepting GraphQL over HTTP',
      { documentId: PAGE_ID },
      { accept: 'application/graphql-response+json, application/json;q=0.9' },
    ],
    ['accepting anything', { documentId: PAGE_ID }, { accept: '*/*' }],
  ];

  it.each(plain)(
    'answers a plain success %s without Apollo, as Apollo answers it',
    async (_name, body, headers) => {
      const fast = await send(t.url, body, headers);
      expect(fast.throughApollo).toBe(false);
      expect(fast.status).toBe(200);
      expect(JSON.parse(fast.body).errors).toBeUndefined();
      const { throughApollo, ...apollo } = await sendThroughApollo(t.url, body, headers);
      expect(throughApollo).toBe(true);
      expect({ ...fast, throughApollo: true }).toEqual({ ...apollo, throughApollo });
    },
  );

  const leftToApollo: Array<[string, unknown, Record<string, string>, number]> = [
    ['a mutation', { documentId: sha256(RATE), variables: { input: {} } }, {}, 400],
    [
      'variables that do not coerce',
      { documentId: sha256(LISTING), variables: { first: 'x' } },
      {},
      400,
    ],
    ['variables that are no object', { documentId: PAGE_ID, variables: [1] }, {}, 400],
    [
      'an operation name the document lacks',
      { documentId: PAGE_ID, operationName: 'Other' },
      {},
      400,
    ],
    ['a cost over the limit', { documentId: sha256(LISTING), variables: { first: 100 } }, {}, 400],
    ['a result with errors', { documentId: sha256(NODE), variables: { id: 'nope' } }, {}, 200],
    [
      'an Accept header no JSON type satisfies',
      { documentId: PAGE_ID },
      { accept: 'text/html' },
      406,
    ],
    [
      'a hash sent with a text (an automatic persisted query)',
      {
        query: EXPLORER_DEFAULT_QUERY,
        extensions: { persistedQuery: { version: 1, sha256Hash: PAGE_ID.slice(7) } },
      },
      {},
      200,
    ],
  ];

  it.each(leftToApollo)('leaves %s to Apollo', async (_name, body, headers, status) => {
    const answer = await send(t.url, body, headers);
    expect(answer.throughApollo).toBe(true);
    expect(answer.status).toBe(status);
    // Apollo's own answer, whatever this path tried first.
    const { throughApollo: _, ...apollo } = await sendThroughApollo(t.url, body, headers);
    const { throughApollo: __, ...first } = answer;
    expect(first).toEqual(apollo);
  });

  it('answers a text Apollo has validated without Apollo from the second time on', async () => {
    const body = { query: '{ title(slug: "vincenzo") { name year } }' };
    const first = await send(t.url, body);
    expect(first.throughApollo).toBe(true);
    const second = await send(t.url, body);
    expect(second.throughApollo).toBe(false);
    expect(second).toEqual({ ...first, throughApollo: false });
    // A text Apollo refused is never known: each time, Apollo refuses it.
    const invalid = { query: '{ title(slug: "vincenzo") { nope } }' };
    for (let i = 0; i < 2; i++) {
      const refused = await send(t.url, invalid);
      expect(refused).toMatchObject({ status: 400, throughApollo: true });
    }
  });

  it('leaves a GET to Apollo', async () => {
    apolloCalls.mockClear();
    const response = await fetch(`${t.url}/graphql?documentId=${PAGE_ID}`);
    expect(response.status).toBe(200);
    expect(apolloCalls).toHaveBeenCalledTimes(1);
  });

  it('logs and counts what it answers as the pipeline does', async () => {
    const metric = async () => {
      const text = await (await fetch(`${t.url}/metrics`)).text();
      const line = text
        .split('\n')
        .find(
          (one) =>
            one.startsWith('reelcheck_graphql_operation_duration_seconds_count{') &&
            one.includes('name="TitlePage"'),
        );
      return line ? Number(line.split(' ').pop()) : 0;
    };
    const before = await metric();
    const logged = t.logs.length;
    const fast = await send(t.url, { documentId: PAGE_ID });
    expect(fast.throughApollo).toBe(false);
    expect(await metric()).toBe(before + 1);
    const lines = t.logs.slice(logged).map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(lines).toContainEqual(
      expect.objectContaining({
        msg: 'graphql operation answered',
        operation: { type: 'query', name: 'TitlePage' },
        status: 200,
      }),
    );
  });
});

describe('known queries and the response cache', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t?.stop());

  it('keeps a plain success as it keeps Apollo’s answers', async () => {
    const first = await send(t.url, { documentId: PAGE_ID });
    expect(first.throughApollo).toBe(false);
    expect(first.headers['cache-control']).toBe('no-store'); // a POST: kept here, not downstream
    const again = await send(t.url, { documentId: PAGE_ID });
    expect(again.throughApollo).toBe(false);
    expect(again.headers.age).toBeDefined(); // from the response cache
    expect(again.body).toBe(first.body);
  });
});
