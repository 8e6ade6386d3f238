import { maxAliasesRule } from '@escape.tech/graphql-armor-max-aliases';
import { maxDepthRule } from '@escape.tech/graphql-armor-max-depth';
import { maxDirectivesRule } from '@escape.tech/graphql-armor-max-directives';
import {
  GraphQLError,
  type GraphQLFormattedError,
  type ParseOptions,
  type ValidationContext,
  type ValidationRule,
} from 'graphql';

/**
 * Size limits on a document, checked before anything runs (the cost limit is
 * in complexity.ts). The parser stops at the token limit, so an oversized
 * document is refused in microseconds and never reaches validation, whose
 * cost grows with the document; the validation rules below then bound what
 * a small document can still ask for. Selections are counted with fragments
 * expanded (by Apollo, memoized per fragment), so a fragment that spreads
 * another twice, 20 times over, is refused in linear time rather than
 * expanded a million times.
 *
 * The deepest page query needs 7 levels (titles.edges.node.recommendations.title.accuracy.count);
 * the README page query has 2 aliases and about 90 tokens; GraphiQL's
 * introspection query about 185 tokens (introspection under `__schema` is
 * not depth-limited: its cost is).
 */
export const QUERY_LIMITS = {
  tokens: 1000,
  selections: 1000,
  depth: 8,
  aliases: 30,
  directives: 20,
} as const;

export type QueryLimit = keyof typeof QUERY_LIMITS | 'cost' | 'nodes';

/** Apollo's parseOptions: graphql-js stops parsing past the token limit (GRAPHQL_PARSE_FAILED). */
export const QUERY_PARSE_OPTIONS: ParseOptions = { maxTokens: QUERY_LIMITS.tokens };

/** graphql-js's message when the parser stops at maxTokens ("more that" is its spelling). */
const TOKEN_LIMIT_MESSAGE = /^Syntax Error: Document contains more th[ae][nt] \d+ tokens/;
/** Apollo's marker on a refusal by maxRecursiveSelections. */
const SELECTIONS_LIMIT_CODE = 'MAX_RECURSIVE_SELECTIONS_EXCEEDED';

/**
 * The refusals that graphql-js (tokens) and Apollo (selections) word for
 * themselves, reworded with the limit and marked with `extensions.limit` like
 * the others; null for any other error.
 */
export function limitRefusal(formatted: GraphQLFormattedError): GraphQLFormattedError | null {
  if (TOKEN_LIMIT_MESSAGE.test(formatted.message)) {
    return refusal(
      formatted,
      `The document has more than ${QUERY_LIMITS.tokens} tokens (the limit): send a smaller document`,
      'tokens',
    );
  }
  if (formatted.extensions?.validationErrorCode === SELECTIONS_LIMIT_CODE) {
    return refusal(
      formatted,
      `The operation has more than ${QUERY_LIMITS.selections} selections once fragments are expanded (the limit): select less`,
      'selections',
    );
  }
  return null;
}

function refusal(
  formatted: GraphQLFormattedError,
  message: string,
  limit: QueryLimit,
): GraphQLFormattedError {
  return {
    message,
    locations: formatted.locations,
    extensions: { code: formatted.extensions?.code, limit },
  };
}

/**
 * Depth, aliases and directives per operation (fragments counted where they are
 * spread; fragment spreads add no depth of their own). Reported as validation
 * errors (400, GRAPHQL_VALIDATION_FAILED) with `extensions.limit` naming the limit.
 */
export function queryLimitRules(): ValidationRule[] {
  return [
    maxDepthRule({
      n: QUERY_LIMITS.depth,
      flattenFragments: true,
      propagateOnRejection: false,
      onReject: [reportLimit('depth')],
    }),
    maxAliasesRule({
      n: QUERY_LIMITS.aliases,
      allowList: [],
      propagateOnRejection: false,
      onReject: [reportLimit('aliases')],
    }),
    maxDirectivesRule({
      n: QUERY_LIMITS.directives,
      propagateOnRejection: false,
      onReject: [reportLimit('directives')],
    }),
  ];
}

/**
 * graphql-armor throws "Syntax Error: ..." by default, which would be a 500
 * and reads like a parse error; reported through the validation context it is
 * a validation error, without the misleading prefix.
 */
function reportLimit(limit: QueryLimit) {
  return (context: ValidationContext | null, error: GraphQLError) => {
    const message = error.message.replace(/^Syntax Error: /, '');
    context?.reportError(new GraphQLError(message, { extensions: { limit } }));
  };
}
