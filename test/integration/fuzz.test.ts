import fc from 'fast-check';
import {
  getNamedType,
  type GraphQLField,
  type GraphQLInputType,
  type GraphQLSchema,
  isCompositeType,
  isEnumType,
  isInputObjectType,
  isInterfaceType,
  isListType,
  isNonNullType,
  isObjectType,
} from 'graphql';
import { buildReelcheckSchema } from '../../src/graphql/schema/build';
import { toGlobalId } from '../../src/graphql/schema/node/ids';
import { targetKey } from '../../src/model';
import { startTestApp, type TestApp } from '../helpers/test-app';

/**
 * Property-based fuzzing over HTTP: random documents (drawn from the schema,
 * with wrong arguments, unknown fields, aliases, directives and fragments),
 * random variables and random rating inputs, against one app. For every case:
 * no 5xx, an answer in the GraphQL shape, no error-level log line, and a
 * request that did not rate wrote nothing.
 */
type Gen = fc.GeneratorValue;

/** Ids a client could send: real ones, ids of the wrong type, near misses and garbage. */
function idPool(facts: string[]): string[] {
  const glory = toGlobalId('Title', 'the-glory');
  return [
    glory,
    toGlobalId('Title', 'vincenzo'),
    toGlobalId('Title', 'no-such-title'),
    ...facts.slice(0, 4),
    `${glory}A`,
    glory.slice(0, -1),
    toGlobalId('Rating', 'x'),
    '',
    'not an id',
    '{"$gt":""}',
    'VGl0bGU6',
  ];
}

const INTERESTING_INTS = [0, 1, 3, 5, 6, -1, 20, 100, 101, 2 ** 31, -(2 ** 31) - 1];
const TEXT = fc.oneof(
  fc.string({ maxLength: 12 }),
  fc.string({ unit: 'binary', maxLength: 12 }),
  fc.constantFrom('the-glory', 'vincenzo', 'glory', 'x'.repeat(120), '%', '.*', '$where'),
);

/** A GraphQL literal for `type`, sometimes of the wrong kind. */
function literal(g: Gen, type: GraphQLInputType, ids: string[], depth = 0): string {
  if (g(fc.integer, { min: 0, max: 19 }) === 0) {
    return g(fc.constantFrom, 'null', '1.5', 'true', '"7"', '[]', '{}', 'NOPE');
  }
  if (isNonNullType(type)) return literal(g, type.ofType, ids, depth);
  if (isListType(type)) {
    const size = g(fc.integer, { min: 0, max: 3 });
    return `[${Array.from({ length: size }, () => literal(g, type.ofType, ids, depth + 1)).join(', ')}]`;
  }
  if (isEnumType(type)) {
    return g(fc.constantFrom, ...type.getValues().map((v) => v.name), 'NOT_A_VALUE');
  }
  if (isInputObjectType(type)) {
    const fields = Object.values(type.getFields()).filter(() => g(fc.boolean) || depth > 2);
    const entries = fields.map((f) => `${f.name}: ${literal(g, f.type, ids, depth + 1)}`);
    if (g(fc.integer, { min: 0, max: 9 }) === 0) entries.push('unknownField: 1');
    return `{ ${entries.join(', ')} }`;
  }
  switch (getNamedType(type).name) {
    case 'Int':
      return String(g(fc.constantFrom, ...INTERESTING_INTS));
    case 'ID':
      return JSON.stringify(g(fc.constantFrom, ...ids));
    case 'Boolean':
      return String(g(fc.boolean));
    default:
      return JSON.stringify(g(() => TEXT));
  }
}

/** A selection set on `type`: some of its fields, with arguments, aliases and directives. */
function selection(
  g: Gen,
  schema: GraphQLSchema,
  type: ReturnType<typeof getNamedType>,
  ids: string[],
  depth: number,
): string {
  if (!isObjectType(type) && !isInterfaceType(type)) return '';
  const fields = Object.values(type.getFields()) as Array<GraphQLField<unknown, unknown>>;
  const count = g(fc.integer, { min: 1, max: 3 });
  const parts: string[] = [];
  for (let i = 0; i < count; i++) {
    const roll = g(fc.integer, { min: 0, max: 29 });
    if (roll === 0) parts.push('nope');
    else if (roll === 1) parts.push('__typename');
    else if (roll === 2 && isInterfaceType(type)) {
      const possible = schema.getPossibleTypes(type);
      const target = possible[g(fc.integer, { min: 0, max: possible.length - 1 })];
      parts.push(
        `... on ${target.name} { ${selection(g, schema, target, ids, depth + 1) || 'id'} }`,
      );
    } else {
      parts.push(
        field(g, schema, fields[g(fc.integer, { min: 0, max: fields.length - 1 })], ids, depth),
      );
    }
  }
  return parts.join(' ');
}

function field(
  g: Gen,
  schema: GraphQLSchema,
  f: GraphQLField<unknown, unknown>,
  ids: string[],
  depth: number,
): string {
  const alias = g(fc.integer, { min: 0, max: 4 }) === 0 ? `a${g(fc.nat, 99)}: ` : '';
  const args = f.args
    .filter(() => g(fc.boolean))
    .map((a) => `${a.name}: ${literal(g, a.type, ids)}`);
  const directive =
    g(fc.integer, { min: 0, max: 9 }) === 0
      ? ` @${g(fc.constantFrom, 'include', 'skip')}(if: ${g(fc.boolean)})`
      : '';
  const named = getNamedType(f.type);
  const sub =
    isCompositeType(named) && depth < 10
      ? ` { ${selection(g, schema, named, ids, depth + 1) || '__typename'} }`
      : isCompositeType(named)
        ? ' { __typename }'
        : '';
  return `${alias}${f.name}${args.length ? `(${args.join(', ')})` : ''}${directive}${sub}`;
}

/** A whole document: mostly queries, some mutations, rare subscriptions and plain garbage. */
function document(g: Gen, schema: GraphQLSchema, ids: string[]): string {
  const roll = g(fc.integer, { min: 0, max: 19 });
  if (roll === 0) return g(fc.string, { maxLength: 60 });
  if (roll === 1) return `subscription { ${selection(g, schema, schema.getQueryType()!, ids, 1)} }`;
  const mutation = roll < 6;
  const root = mutation ? schema.getMutationType()! : schema.getQueryType()!;
  const body = selection(g, schema, root, ids, 1);
  const text = `${mutation ? 'mutation' : 'query'} { ${body} }`;
  // Now and then a near miss: one character dropped.
  if (g(fc.integer, { min: 0, max: 9 }) === 0 && text.length > 2) {
    const at = g(fc.integer, { min: 0, max: text.length - 1 });
    return text.slice(0, at) + text.slice(at + 1);
  }
  return text;
}

const RATE = `mutation Rate($input: RateAccuracyInput!) { rateAccuracy(input: $input) { rating { id score comment } accuracy { count } } }`;
const WITH_VARIABLES = [
  'query Page($slug: String!, $first: Int, $search: String, $after: String) { title(slug: $slug) { name } titles(first: $first, search: $search, after: $after) { totalCount edges { cursor } } }',
  'query ById($id: ID!, $c: FactCategory, $voter: String!) { title(id: $id) { facts(category: $c) { id viewerRating(voterId: $voter) { score } } } node(id: $id) { id } }',
  'query Many($ids: [ID!]!) { nodes(ids: $ids) { id } }',
  RATE,
];

interface Answer {
  status: number;
  body: { data?: Record<string, unknown> | null; errors?: unknown[] };
}

describe('fuzzing over HTTP', () => {
  let t: TestApp;
  let schema: GraphQLSchema;
  let ids: string[];
  let gloryFacts: string[];
  let keys: string[];
  let cases = 0;

  beforeAll(async () => {
    // A small rate limit, so that some well-formed ratings are refused too.
    t = await startTestApp({
      env: { RATINGS_RATE_LIMIT_PER_MINUTE: '150', NODE_ENV: 'production' },
    });
    schema = await buildReelcheckSchema();
    const titles = (await t.store.listTitles({ first: 100 })).titles;
    const facts = (await t.store.factsByTitleIds(titles.map((title) => title.id))).flat();
    ids = idPool(facts.map((fact) => toGlobalId('Fact', fact.id)));
    gloryFacts = facts
      .filter((fact) => fact.titleId === 'the-glory')
      .map((fact) => toGlobalId('Fact', fact.id));
    keys = [
      ...titles.map((title) => targetKey({ kind: 'TITLE', titleId: title.id })),
      ...facts.map((fact) => targetKey({ kind: 'FACT', titleId: fact.titleId, factId: fact.id })),
    ];
  });
  afterAll(() => t?.stop());

  /** Every rating in the store, per target: what a refused request must leave as it was. */
  const ratings = async () =>
    JSON.stringify(await Promise.all(keys.map((key) => t.store.ratingsByTarget(key))));

  async function send(payload: Record<string, unknown>): Promise<Answer> {
    const res = await fetch(`${t.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(payload),
    });
    return { status: res.status, body: (await res.json()) as Answer['body'] };
  }

  /** Sends one case and checks what must hold for every case. */
  async function check(payload: Record<string, unknown>): Promise<void> {
    cases++;
    const query = typeof payload.query === 'string' ? payload.query : '';
    const writes = query.includes('mutation');
    const before = writes ? await ratings() : '';
    const logged = t.logs.length;

    const { status, body } = await send(payload);

    expect(status).toBeLessThan(500);
    expect(body.data !== undefined || (body.errors?.length ?? 0) > 0).toBe(true);
    const errorLines = t.logs
      .slice(logged)
      .filter((line) => (JSON.parse(line) as { level: number }).level >= 50);
    expect(errorLines).toEqual([]);
    const rated = Object.values(body.data ?? {}).some(
      (value) => value !== null && typeof value === 'object',
    );
    if (writes && !rated) expect(await ratings()).toBe(before);
  }

  it('answers random documents without a 5xx, an error log or a stray write', async () => {
    await fc.assert(
      fc.asyncProperty(fc.gen(), async (g) => {
        await check({ query: document(g, schema, ids) });
      }),
      { numRuns: 900 },
    );
  });

  it('answers random variables the same way', async () => {
    const value = fc.oneof(
      fc.jsonValue({ maxDepth: 2 }),
      fc.constantFrom(...INTERESTING_INTS),
      fc.constantFrom('the-glory', 'DID_YOU_KNOW', 'x'.repeat(300)),
    );
    const variables = fc.dictionary(
      fc.constantFrom(
        'slug',
        'first',
        'search',
        'after',
        'id',
        'c',
        'voter',
        'ids',
        'input',
        'extra',
      ),
      value,
    );
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...WITH_VARIABLES), variables, async (query, vars) => {
        await check({ query, variables: vars });
      }),
      { numRuns: 500 },
    );
  });

  it('answers random rating inputs, writing only what it accepts', async () => {
    // Each field is valid more often than not, so that many inputs are written
    // and the rate limit is reached; the rest are refused for one reason or several.
    const glory = toGlobalId('Title', 'the-glory');
    const field = <T>(valid: fc.Arbitrary<T>, ...others: Array<fc.Arbitrary<unknown>>) =>
      fc.oneof({ arbitrary: valid, weight: 3 * others.length }, ...others);
    const input = fc
      .tuple(
        fc.record({
          titleId: field(fc.constant(glory), fc.constantFrom(...ids), fc.string({ maxLength: 30 })),
          factId: field(
            fc.oneof(fc.constant(null), fc.constantFrom(...gloryFacts)),
            fc.constantFrom(...ids),
            fc.string({ maxLength: 30 }),
          ),
          score: field(
            fc.integer({ min: 1, max: 5 }),
            fc.integer({ min: -2, max: 8 }),
            fc.double(),
            fc.string({ maxLength: 3 }),
          ),
          voterId: field(
            fc.stringMatching(/^[A-Za-z0-9_-]{8,64}$/),
            fc.string({ maxLength: 70 }),
            fc.constantFrom('{"$gt":""}', 'v'.repeat(65), 'short'),
          ),
          comment: field(
            fc.oneof(fc.constant(null), fc.string({ maxLength: 40 })),
            fc.string({ maxLength: 520 }),
            fc.constant('c'.repeat(501)),
          ),
        }),
        field(fc.constant({}), fc.record({ unknownField: fc.jsonValue({ maxDepth: 1 }) })),
      )
      .map(([known, unknown]) => ({ ...known, ...(unknown as object) }));
    await fc.assert(
      fc.asyncProperty(input, async (value) => {
        await check({ query: RATE, variables: { input: value }, operationName: 'Rate' });
      }),
      { numRuns: 700 },
    );
  });

  it('ran at least 2,000 cases', () => {
    expect(cases).toBeGreaterThanOrEqual(2000);
  });
});
