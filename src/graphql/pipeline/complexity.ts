import type { ApolloServerPlugin } from '@apollo/server';
import {
  type DocumentNode,
  getVariableValues,
  GraphQLError,
  type GraphQLSchema,
  getNamedType,
  isEnumType,
  isInputObjectType,
  isInterfaceType,
  isLeafType,
  isObjectType,
  isUnionType,
  Kind,
  type OperationDefinitionNode,
  TypeInfo,
  visit,
  visitWithTypeInfo,
} from 'graphql';
import {
  type ComplexityEstimator,
  fieldExtensionsEstimator,
  getComplexity,
  simpleEstimator,
} from 'graphql-query-complexity';
import { LRUCache } from 'lru-cache';
import stableStringify from 'safe-stable-stringify';
import { ErrorCode } from '../errors';
import { QUERY_LIMITS } from './limits';

/**
 * A cost bound on each operation, estimated before it runs. The depth limit
 * stops endless title -> facts -> title nesting; this stops breadth: list
 * fields multiply the cost of what is selected under them (titles by `first`,
 * facts and recommendations by a typical page's size, introspection lists by
 * the schema's own sizes). A 100-title listing with every page field costs
 * about 14,000; an abusive nested listing, hundreds of thousands.
 */
export const MAX_QUERY_COMPLEXITY = 20_000;
/**
 * Selections the estimator visits once fragments are expanded. Validation
 * already refuses more than QUERY_LIMITS.selections; should anything get past
 * it, the estimate stops here and the operation is refused, not run unmeasured.
 */
export const MAX_ESTIMATED_SELECTIONS = QUERY_LIMITS.selections;

/** List sizes the estimate assumes: the reference page has 8 + 8 facts and 2 recommendations. */
export const FACTS_PER_TITLE = 16;
export const RECOMMENDATIONS_PER_TITLE = 4;

/** `1 + perItem * childComplexity`: the cost of a list field whose length is `count(args)`. */
export function listComplexity(
  count: (args: Record<string, unknown>) => number,
): ComplexityEstimator {
  return ({ args, childComplexity }) => 1 + count(args) * childComplexity;
}

export interface CostRequest {
  document: DocumentNode;
  operationName?: string | null;
  variables?: Record<string, unknown> | null;
}

/**
 * The estimated cost of a request, or a QUERY_TOO_COMPLEX error when it cannot
 * be measured. A pure function of (schema, document, operationName,
 * variables), so an estimate can be cached per document and variables.
 * Variables must already coerce (see complexityLimit).
 */
export function createCostEstimator(schema: GraphQLSchema): (request: CostRequest) => number {
  const estimators = [
    fieldExtensionsEstimator(),
    introspectionEstimator(schema),
    simpleEstimator({ defaultComplexity: 1 }),
  ];
  return ({ document, operationName, variables }) => {
    try {
      return getComplexity({
        schema,
        query: document,
        operationName: operationName ?? undefined,
        variables: variables ?? {},
        estimators,
        // The estimator gives up when its count reaches maxQueryNodes.
        maxQueryNodes: MAX_ESTIMATED_SELECTIONS + 1,
      });
    } catch {
      // Fail closed: whatever stopped the estimate (too many selections once
      // fragments are expanded, an argument the estimator cannot read), an
      // operation we cannot measure does not run.
      throw unmeasurable();
    }
  };
}

/**
 * Refuses, before anything runs, an operation whose estimated cost exceeds
 * MAX_QUERY_COMPLEXITY or cannot be estimated (400, QUERY_TOO_COMPLEX).
 * The verdict is a pure function of the document, operation name and
 * variables, so `verdictOf` (cachedVerdicts, shared with registered queries
 * answered without Apollo) computes it once per (query hash, operation name,
 * the variables the estimate reads) and keeps it in an LRU: a page asked a
 * thousand times is estimated once (the estimate walked the whole document on
 * every request).
 */
export function complexityLimit(
  verdictOf: (request: ResolvedRequest) => CostVerdict,
): ApolloServerPlugin {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ request, document, operation, queryHash }) {
          // Nothing runs without a resolved operation (OPERATION_RESOLUTION_FAILURE).
          if (!operation) return;
          const verdict = verdictOf({
            queryHash,
            document,
            operation,
            operationName: request.operationName,
            variables: request.variables,
          });
          if (verdict === 'unmeasurable') throw unmeasurable();
          if (typeof verdict === 'number' && verdict > MAX_QUERY_COMPLEXITY) {
            throw queryTooComplex(
              `The operation is too costly (estimated ${verdict}, limit ${MAX_QUERY_COMPLEXITY}): ask for fewer titles or select less under them`,
              { limit: 'cost', complexity: verdict },
            );
          }
        },
      };
    },
  };
}

/**
 * What the estimate says about one request: its cost; 'unmeasurable' (refused);
 * or 'uncoercible': its variables do not coerce, so graphql-js refuses it with
 * BAD_USER_INPUT before anything runs and there is nothing to measure.
 */
export type CostVerdict = number | 'unmeasurable' | 'uncoercible';

/** Verdicts kept, and their keys' total length (a key holds the variables, up to the body limit). */
const CACHED_VERDICTS = 5000;
const CACHED_KEY_CHARS = 8 * 1024 * 1024;

/** One request as the cost limit sees it, once Apollo has resolved its operation. */
export interface ResolvedRequest {
  /** Apollo's hash of the query text: one document per hash. */
  queryHash: string;
  document: DocumentNode;
  operation: OperationDefinitionNode;
  operationName?: string | null;
  variables?: Record<string, unknown>;
}

/**
 * The verdict per request, memoised by (query hash, operation name, the
 * canonical values of the variables that can change the estimate): the same
 * answer as estimating again, without walking the document (a test compares
 * both). Only the variables costVariables names are in the key, so a
 * mutation whose input differs on every request (a rating: a new voter) is
 * estimated once, not once per request; the others' values must still
 * coerce, which is checked on every request whose verdict was kept.
 */
export function cachedVerdicts(schema: GraphQLSchema): (request: ResolvedRequest) => CostVerdict {
  const estimate = createCostEstimator(schema);
  const verdicts = new LRUCache<string, CostVerdict>({
    max: CACHED_VERDICTS,
    maxSize: CACHED_KEY_CHARS,
    sizeCalculation: (_verdict, key) => key.length,
  });
  const costVariablesOf = new LRUCache<string, ReadonlySet<string>>({ max: CACHED_VERDICTS });
  return (request) => {
    const { queryHash, operationName, variables = {} } = request;
    const operationKey = `${queryHash}\u0000${operationName ?? ''}`;
    let costly = costVariablesOf.get(operationKey);
    if (costly === undefined) {
      costly = costVariables(schema, request.document, request.operation);
      costVariablesOf.set(operationKey, costly);
    }
    const names = Object.keys(variables);
    const partial = names.some((name) => !costly.has(name));
    const keyed = partial
      ? Object.fromEntries(names.filter((name) => costly.has(name)).map((n) => [n, variables[n]]))
      : variables;
    const key = `${operationKey}\u0000${stableStringify(keyed)}`;
    let verdict = verdicts.get(key);
    if (verdict === undefined) {
      verdict = verdictOf(schema, estimate, request);
      // Variables that do not coerce say nothing of other values sharing the key.
      if (verdict !== 'uncoercible' || !partial) verdicts.set(key, verdict);
      return verdict;
    }
    return partial && !coerces(schema, request.operation, variables) ? 'uncoercible' : verdict;
  };
}

/**
 * The operation's variables whose values can change its estimate: those used
 * in a directive (@skip, @include), or in the arguments of a field whose
 * complexity is a function of its arguments (a list's `first`, a category),
 * or of a field the schema does not know; and every nullable one (a null can
 * make a field's arguments unreadable, which the estimate reports as
 * unmeasurable). The rest (a rating's `input`) are read by no estimator:
 * fieldExtensionsEstimator reads a field's arguments only through a
 * complexity function, and the introspection and simple estimators never.
 * Fragments of the whole document are visited, so a variable one operation
 * uses in such a place counts for all.
 */
function costVariables(
  schema: GraphQLSchema,
  document: DocumentNode,
  operation: OperationDefinitionNode,
): ReadonlySet<string> {
  const costly = new Set<string>();
  for (const definition of operation.variableDefinitions ?? []) {
    if (definition.type.kind !== Kind.NON_NULL_TYPE) costly.add(definition.variable.name.value);
  }
  const typeInfo = new TypeInfo(schema);
  // Per field or directive entered: whether an estimator reads its arguments.
  const readsArguments: boolean[] = [];
  visit(
    document,
    visitWithTypeInfo(typeInfo, {
      Field: {
        enter() {
          const field = typeInfo.getFieldDef();
          readsArguments.push(!field || typeof field.extensions?.complexity === 'function');
        },
        leave() {
          readsArguments.pop();
        },
      },
      Directive: {
        enter() {
          readsArguments.push(true);
        },
        leave() {
          readsArguments.pop();
        },
      },
      Variable(node) {
        if (readsArguments.at(-1)) costly.add(node.name.value);
      },
    }),
  );
  return costly;
}

/** Whether the request's variables coerce to the operation's variable types. */
function coerces(
  schema: GraphQLSchema,
  operation: OperationDefinitionNode,
  variables: Record<string, unknown>,
): boolean {
  const definitions = operation.variableDefinitions ?? [];
  return !getVariableValues(schema, definitions, variables, { maxErrors: 1 }).errors;
}

/** The verdict, computed: variables that do not coerce first, then the estimate. */
function verdictOf(
  schema: GraphQLSchema,
  estimate: (request: CostRequest) => number,
  { document, operation, operationName, variables }: ResolvedRequest,
): CostVerdict {
  if (!coerces(schema, operation, variables ?? {})) return 'uncoercible';
  try {
    return estimate({ document, operationName, variables });
  } catch {
    return 'unmeasurable';
  }
}

function unmeasurable(): GraphQLError {
  return queryTooComplex(
    `The operation's cost cannot be estimated: it has more than ${MAX_ESTIMATED_SELECTIONS} selections once fragments are expanded, or arguments that cannot be read; select less`,
    { limit: 'nodes' },
  );
}

function queryTooComplex(message: string, extensions: Record<string, unknown>): GraphQLError {
  return new GraphQLError(message, {
    extensions: {
      code: ErrorCode.QUERY_TOO_COMPLEX,
      maxComplexity: MAX_QUERY_COMPLEXITY,
      ...extensions,
      http: { status: 400 },
    },
  });
}

/**
 * Introspection's list fields multiply what is selected under them by sizes
 * taken from this schema. Per-type lists use the mean over all types, so
 * `__schema { types { fields { name } } }` costs about as many fields as the
 * schema has, and each nesting of the type -> field -> type cycle multiplies
 * the cost again. Its scalar fields (name, kind, description...) are property
 * reads: they cost nothing beyond their entry's 1. Counted at 1 each, the
 * standard introspection query (a type reference 8 levels deep for every
 * field and argument) cost as much as a 100-title page and was refused once
 * the schema grew past ~20,000.
 */
function introspectionEstimator(schema: GraphQLSchema): ComplexityEstimator {
  const sizes = introspectionListSizes(schema);
  return ({ type, field, childComplexity }) => {
    const size = sizes.get(`${type.name}.${field.name}`);
    if (size !== undefined) return 1 + size * Math.max(1, childComplexity);
    if (type.name.startsWith('__') && isLeafType(getNamedType(field.type))) return 0;
    return undefined;
  };
}

function introspectionListSizes(schema: GraphQLSchema): Map<string, number> {
  const types = Object.values(schema.getTypeMap());
  const directives = schema.getDirectives();
  const fields = types.flatMap((type) =>
    isObjectType(type) || isInterfaceType(type) ? Object.values(type.getFields()) : [],
  );
  const sum = (counts: number[]) => counts.reduce((total, count) => total + count, 0);
  const mean = (total: number, over: number) => Math.max(1, Math.ceil(total / Math.max(over, 1)));
  const perType = (count: (type: (typeof types)[number]) => number) =>
    mean(sum(types.map(count)), types.length);
  return new Map([
    ['__Schema.types', types.length],
    ['__Schema.directives', directives.length],
    ['__Type.fields', mean(fields.length, types.length)],
    [
      '__Type.inputFields',
      perType((t) => (isInputObjectType(t) ? Object.keys(t.getFields()).length : 0)),
    ],
    ['__Type.enumValues', perType((t) => (isEnumType(t) ? t.getValues().length : 0))],
    [
      '__Type.interfaces',
      perType((t) => (isObjectType(t) || isInterfaceType(t) ? t.getInterfaces().length : 0)),
    ],
    [
      '__Type.possibleTypes',
      perType((t) =>
        isUnionType(t) || isInterfaceType(t) ? schema.getPossibleTypes(t).length : 0,
      ),
    ],
    ['__Field.args', mean(sum(fields.map((f) => f.args.length)), fields.length)],
    ['__Directive.args', mean(sum(directives.map((d) => d.args.length)), directives.length)],
  ]);
}
