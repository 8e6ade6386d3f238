import { FULL_INTROSPECTION_QUERY } from '../fixtures/introspection';
import { MAX_QUERY_COMPLEXITY } from '../../src/graphql/pipeline/complexity';
import { QUERY_LIMITS } from '../../src/graphql/pipeline/limits';
import { TitleListDeepDocument, TitlePageDocument } from '../generated/graphql';
import { errorCode, execute, postRaw, type GraphQLResponse } from '../helpers/graphql-client';
import { startTestApp, type TestApp } from '../helpers/test-app';

/** Issue 9's first reproduction: 1,440 aliased lookups, each through a nested fragment (38 KB). */
function aliasedTitleLookups(count = 1440): string {
  const aliases = Array.from({ length: count }, (_, i) => `a${i}:title(slug:$s){...G}`).join(' ');
  return `query($s:String){ ${aliases} } fragment G on Title { facts { text title { facts { text } } } }`;
}

/** Issue 9's second: 3,000 aliases of a schema listing, just under the 100 kB body limit. */
function aliasedSchemaListings(count = 3000): string {
  const aliases = Array.from(
    { length: count },
    (_, i) => `_${i.toString(36)}:__schema{types{fields{name}}}`,
  );
  return `{${aliases.join('')}}`;
}

/** `count` root fields, each a fragment that spreads the next one twice: 2^depth selections. */
function fragmentBomb(depth: number): string {
  const fragments = Array.from({ length: depth }, (_, i) =>
    i === depth - 1
      ? `fragment F${i} on Query { ratingScale { score } }`
      : `fragment F${i} on Query { ...F${i + 1} ratingScale { label } ...F${i + 1} }`,
  );
  return `{ ...F0 } ${fragments.join(' ')}`;
}

function expectRefused(res: GraphQLResponse<unknown>, code: string, limit: string): void {
  expect(res.status).toBe(400);
  expect(errorCode(res)).toBe(code);
  expect(res.errors![0].extensions!.limit).toBe(limit);
  expect(res.data).toBeUndefined();
}

/** Every query limit fails closed: a coded 400 before anything runs, whatever the document. */
describe('query limits', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t?.stop());

  it("refuses both of issue 9's reproductions with a coded 400, and /healthz answers meanwhile", async () => {
    const lookups = aliasedTitleLookups();
    const listings = aliasedSchemaListings();
    expect(lookups.length).toBeGreaterThan(35_000);
    expect(Buffer.byteLength(JSON.stringify({ query: listings }))).toBeLessThan(100 * 1024);

    const abusive = Array.from({ length: 12 }, () => [
      postRaw(t.url, { query: lookups, variables: { s: 'the-glory' } }),
      postRaw(t.url, { query: listings }),
    ]).flat();
    const health = fetch(`${t.url}/healthz`).then((res) => res.status);
    const answers = await Promise.all(abusive);

    expect(await health).toBe(200);
    for (const res of answers) {
      expectRefused(res, 'GRAPHQL_PARSE_FAILED', 'tokens');
      expect(res.errors![0].message).toBe(
        `The document has more than ${QUERY_LIMITS.tokens} tokens (the limit): send a smaller document`,
      );
    }
  });

  it('refuses the same abuse in a document small enough to parse, by its aliases or its cost', async () => {
    const aliased = await postRaw(t.url, {
      query: aliasedTitleLookups(QUERY_LIMITS.aliases + 1),
      variables: { s: 'the-glory' },
    });
    expectRefused(aliased, 'GRAPHQL_VALIDATION_FAILED', 'aliases');
    expect(aliased.errors![0].message).toBe(
      `Aliases limit of ${QUERY_LIMITS.aliases} exceeded, found ${QUERY_LIMITS.aliases + 1}.`,
    );

    // Introspection costs like any other field: 30 nested schema listings are too many.
    const listing = '__schema { types { fields { type { fields { type { name } } } } } }';
    const listings = Array.from({ length: QUERY_LIMITS.aliases }, (_, i) => `s${i}: ${listing}`);
    const schemaListings = await postRaw(t.url, { query: `{ ${listings.join(' ')} }` });
    expectRefused(schemaListings, 'QUERY_TOO_COMPLEX', 'cost');
    expect(schemaListings.errors![0].extensions!.complexity).toBeGreaterThan(MAX_QUERY_COMPLEXITY);
    const one = await postRaw(t.url, { query: `{ ${listing} }` });
    expect(one.errors).toBeUndefined();
  });

  it('refuses fragments that expand to too many selections, without expanding them', async () => {
    const bomb = fragmentBomb(20); // about three million selections once expanded, 300 tokens
    const res = await postRaw(t.url, { query: bomb });
    expectRefused(res, 'GRAPHQL_VALIDATION_FAILED', 'selections');
    expect(res.errors![0].message).toBe(
      `The operation has more than ${QUERY_LIMITS.selections} selections once fragments are expanded (the limit): select less`,
    );
    // The same shape, small enough to measure, runs.
    const small = await postRaw(t.url, { query: fragmentBomb(4) });
    expect(small.errors).toBeUndefined();
  });

  it('refuses too many directives and reports depth as a validation error, not a syntax error', async () => {
    const directives = Array.from(
      { length: QUERY_LIMITS.directives + 1 },
      (_, i) => `r${i % 2}: ratingScale @include(if: true) { score }`,
    ).join(' ');
    expectRefused(
      await postRaw(t.url, { query: `{ ${directives} }` }),
      'GRAPHQL_VALIDATION_FAILED',
      'directives',
    );

    const nest = (levels: number): string =>
      levels === 0 ? 'name' : `facts { title { ${nest(levels - 1)} } }`;
    const deep = await postRaw(t.url, { query: `{ title(slug: "the-glory") { ${nest(4)} } }` });
    expectRefused(deep, 'GRAPHQL_VALIDATION_FAILED', 'depth');
    expect(deep.errors![0].message).toBe(
      `Query depth limit of ${QUERY_LIMITS.depth} exceeded, found 10.`,
    );
    // Fragments add no depth of their own.
    const viaFragments = await postRaw(t.url, {
      query: `{ title(slug: "the-glory") { ...A } } fragment A on Title { facts { ...B } } fragment B on Fact { title { name } }`,
    });
    expect(viaFragments.errors).toBeUndefined();
  });

  it('still answers the README page query, a 100-title listing and GraphiQL introspection', async () => {
    const page = await execute(t.url, TitlePageDocument, { slug: 'the-glory' });
    expect(page.errors).toBeUndefined();
    const listing = await execute(t.url, TitleListDeepDocument, { first: 100 });
    expect(listing.errors).toBeUndefined();
    const introspection = await postRaw<{ __schema: { types: unknown[] } }>(t.url, {
      query: FULL_INTROSPECTION_QUERY,
    });
    expect(introspection.errors).toBeUndefined();
    expect(introspection.data!.__schema.types.length).toBeGreaterThan(10);
  });
});
