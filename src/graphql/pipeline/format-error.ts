import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import { unwrapResolverError } from '@apollo/server/errors';
import { ArgumentValidationError } from 'type-graphql';
import type { ValidationError } from 'class-validator';
import { ErrorCode, fromDomainError } from '../errors';
import { limitRefusal } from './limits';

/**
 * What a client sees of an error: Apollo's formatError and the code every
 * plugin (metrics, logging) reads. The codes and the mapping of domain errors
 * are in errors.ts; this is where every error becomes one of them.
 */

/**
 * Request errors Apollo Server 5 raises without a code (requestPipeline.ts),
 * which would otherwise read as INTERNAL_SERVER_ERROR; each already carries
 * HTTP 400. Matched by message, the only thing that tells them apart.
 */
const APOLLO_UNCODED_ERRORS: ReadonlyMap<string, string> = new Map([
  ['provided sha does not match query', ErrorCode.PERSISTED_QUERY_HASH_MISMATCH],
  ['Unsupported persisted query version', ErrorCode.BAD_REQUEST],
]);

/** Client strings quoted in messages (operation names, values, field names) are cut to this. */
const MAX_QUOTED_LENGTH = 80;
const MAX_MESSAGE_LENGTH = 1000;

/**
 * Flattens class-validator's nested errors into { field, messages } entries.
 * A field is named by its path inside the argument, the `input` object left
 * out: `text`, `sources[0].url` (README "Errors", docs/api.md "Field names in errors").
 */
function flattenValidationErrors(
  errors: ValidationError[],
  parent = '',
): Array<{ field: string; messages: string[] }> {
  return errors.flatMap((error) => {
    const field = !parent
      ? error.property
      : /^\d+$/.test(error.property)
        ? `${parent}[${error.property}]`
        : `${parent}.${error.property}`;
    const own = error.constraints ? [{ field, messages: Object.values(error.constraints) }] : [];
    return [...own, ...flattenValidationErrors(error.children ?? [], field)];
  });
}

/**
 * The code a client sees for `error` as Apollo hands it to formatError and to
 * plugins. INTERNAL_SERVER_ERROR means a bug: nothing else is logged as an error.
 */
export function errorCodeOf(error: unknown): string {
  const original = unwrapResolverError(error);
  if (original instanceof ArgumentValidationError) return ErrorCode.BAD_USER_INPUT;
  const domain = fromDomainError(original);
  if (domain) return String(domain.extensions.code);
  if (!(error instanceof GraphQLError)) return ErrorCode.INTERNAL_SERVER_ERROR;
  const code = error.extensions.code;
  if (typeof code === 'string') return code;
  return APOLLO_UNCODED_ERRORS.get(error.message) ?? ErrorCode.INTERNAL_SERVER_ERROR;
}

/**
 * Apollo's formatError: turns TypeGraphQL's generic "Argument Validation Error"
 * into a message that names each bad field, maps domain errors (store
 * outages, NOT_FOUND, ...) and Apollo's uncoded request errors to their codes, and
 * hides internals (message and stack) and schema suggestions in production.
 * `onError` sees the code of every error sent (metrics).
 */
export function createErrorFormatter(options: {
  production: boolean;
  onError?: (code: string) => void;
}) {
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    const result = formatForClient(formatted, error, options.production);
    options.onError?.(String(result.extensions?.code));
    return result;
  };
}

function formatForClient(
  formatted: GraphQLFormattedError,
  error: unknown,
  production: boolean,
): GraphQLFormattedError {
  const original = unwrapResolverError(error);
  if (original instanceof ArgumentValidationError) {
    const fields = flattenValidationErrors(
      original.extensions.validationErrors as ValidationError[],
    );
    return {
      message: `Invalid input: ${fields.map((f) => f.messages.join('; ')).join('; ')}`,
      locations: formatted.locations,
      path: formatted.path,
      extensions: { code: ErrorCode.BAD_USER_INPUT, fields },
    };
  }
  const domain = fromDomainError(original);
  if (domain) {
    return {
      message: domain.message,
      locations: formatted.locations,
      path: formatted.path,
      extensions: domain.extensions,
    };
  }
  const code = errorCodeOf(error);
  if (code === ErrorCode.INTERNAL_SERVER_ERROR && production) {
    return {
      message: 'Internal server error',
      locations: formatted.locations,
      path: formatted.path,
      extensions: { code },
    };
  }
  const refusal = limitRefusal(formatted);
  if (refusal) return refusal;
  // No stack trace to strip: app.ts sends none in production.
  const message = clientMessage(formatted.message, production);
  const field =
    code === ErrorCode.BAD_USER_INPUT && !formatted.extensions?.fields
      ? coercedVariableField(formatted.message)
      : null;
  return {
    ...formatted,
    message,
    extensions: {
      ...formatted.extensions,
      code,
      ...(field === null ? {} : { fields: [{ field, messages: [message] }] }),
    },
  };
}

/**
 * The field of a variable Apollo could not coerce to its type (BAD_USER_INPUT
 * before anything runs), named as the API names fields elsewhere: its path
 * inside the variable (`Variable "$input" ... at "input.score"` gives
 * `score`), with a field the message names as missing or unknown added; the
 * variable's own name when the variable itself is wrong (`id`). Null for
 * any other message.
 */
function coercedVariableField(message: string): string | null {
  const variable = /^Variable "\$([A-Za-z_]\w*)"/.exec(message)?.[1];
  if (!variable) return null;
  const at = / at "([\w.[\]]+)"; /.exec(message)?.[1] ?? variable;
  const named = /; Field "([A-Za-z_]\w*)" (?:of required type|is not defined)/.exec(message)?.[1];
  const path = named ? `${at}.${named}` : at;
  return path.startsWith(`${variable}.`) ? path.slice(variable.length + 1) : path;
}

/**
 * Messages quote client input (an operation name, a value, an unknown field):
 * each quoted string is cut, so a 99 KB operationName is not sent back. In
 * production, "Did you mean ...?" suggestions are dropped: they map the
 * schema for whoever probes it.
 */
function clientMessage(message: string, production: boolean): string {
  const withoutSuggestions = production ? message.replace(/\s*Did you mean [^?]*\?/g, '') : message;
  const bounded = withoutSuggestions.replace(
    new RegExp(`"([^"]{${MAX_QUOTED_LENGTH}})[^"]+"`, 'g'),
    '"$1…"',
  );
  return bounded.length > MAX_MESSAGE_LENGTH ? `${bounded.slice(0, MAX_MESSAGE_LENGTH)}…` : bounded;
}
