import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import { unwrapResolverError } from '@apollo/server/errors';
import { ArgumentValidationError } from 'type-graphql';
import type { ValidationError } from 'class-validator';
import {
  EntityNotFoundError,
  InvalidEditError,
  RevisionConflictError,
  SlugTakenError,
} from './model';
import { limitRefusal } from './graphql/limits';
import { StoreUnavailableError } from './store/port';

/**
 * Error codes clients can branch on (extensions.code). Every error the API
 * raises on purpose is a GraphQLError with one of these; anything else is a bug
 * and is reported as INTERNAL_SERVER_ERROR without its message in production.
 */
export const ErrorCode = {
  BAD_USER_INPUT: 'BAD_USER_INPUT',
  NOT_FOUND: 'NOT_FOUND',
  RATE_LIMITED: 'RATE_LIMITED',
  UPSTREAM_UNAVAILABLE: 'UPSTREAM_UNAVAILABLE',
  SERVICE_UNAVAILABLE: 'SERVICE_UNAVAILABLE',
  UNAUTHENTICATED: 'UNAUTHENTICATED',
  FORBIDDEN: 'FORBIDDEN',
  CONFLICT: 'CONFLICT',
  QUERY_TOO_COMPLEX: 'QUERY_TOO_COMPLEX',
  OPERATION_NOT_SUPPORTED: 'OPERATION_NOT_SUPPORTED',
  PERSISTED_QUERY_HASH_MISMATCH: 'PERSISTED_QUERY_HASH_MISMATCH',
  BAD_REQUEST: 'BAD_REQUEST',
  INTERNAL_SERVER_ERROR: 'INTERNAL_SERVER_ERROR',
} as const;

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

/** Same shape as validation errors (see createErrorFormatter): clients read one `fields` list. */
export function badUserInput(message: string, field: string): GraphQLError {
  return new GraphQLError(message, {
    extensions: { code: ErrorCode.BAD_USER_INPUT, fields: [{ field, messages: [message] }] },
  });
}

export function notFound(message: string, field: string): GraphQLError {
  return new GraphQLError(message, { extensions: { code: ErrorCode.NOT_FOUND, field } });
}

export function rateLimited(retryAfterSeconds: number): GraphQLError {
  return new GraphQLError(`Too many ratings from this client; retry in ${retryAfterSeconds} s`, {
    extensions: { code: ErrorCode.RATE_LIMITED, retryAfterSeconds },
  });
}

export function upstreamUnavailable(
  message: string,
  extensions: Record<string, unknown> = {},
): GraphQLError {
  return new GraphQLError(message, {
    extensions: { code: ErrorCode.UPSTREAM_UNAVAILABLE, ...extensions },
  });
}

/** An editor operation without a valid editor token (HTTP 401). */
export function unauthenticated(message: string): GraphQLError {
  return new GraphQLError(message, {
    extensions: { code: ErrorCode.UNAUTHENTICATED, http: { status: 401 } },
  });
}

/** An operation this server does not allow at all (editor operations without ADMIN_TOKEN). */
export function forbidden(message: string): GraphQLError {
  return new GraphQLError(message, {
    extensions: { code: ErrorCode.FORBIDDEN, http: { status: 403 } },
  });
}

/**
 * The GraphQL error for a domain rule that refused an edit (src/model/errors.ts),
 * or null for anything else. CONFLICT carries what a client needs to retry.
 */
export function domainError(error: unknown): GraphQLError | null {
  if (error instanceof RevisionConflictError) {
    return new GraphQLError(error.message, {
      extensions: {
        code: ErrorCode.CONFLICT,
        entity: error.entity,
        expectedRevision: error.expectedRevision,
        currentRevision: error.currentRevision,
      },
    });
  }
  if (error instanceof SlugTakenError) {
    return new GraphQLError(`${error.message}; retry, another slug will be chosen`, {
      extensions: { code: ErrorCode.CONFLICT, slug: error.slug },
    });
  }
  if (error instanceof EntityNotFoundError) return notFound(error.message, error.field);
  if (error instanceof InvalidEditError) {
    return badUserInput(`${error.field}: ${error.message}`, error.field);
  }
  return null;
}

/** Flattens class-validator's nested errors into "field.path: constraint" entries. */
function flattenValidationErrors(
  errors: ValidationError[],
  parent = '',
): Array<{ field: string; messages: string[] }> {
  return errors.flatMap((error) => {
    const field = parent ? `${parent}.${error.property}` : error.property;
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
  if (original instanceof StoreUnavailableError) return ErrorCode.SERVICE_UNAVAILABLE;
  const domain = domainError(original);
  if (domain) return String(domain.extensions.code);
  if (!(error instanceof GraphQLError)) return ErrorCode.INTERNAL_SERVER_ERROR;
  const code = error.extensions.code;
  if (typeof code === 'string') return code;
  return APOLLO_UNCODED_ERRORS.get(error.message) ?? ErrorCode.INTERNAL_SERVER_ERROR;
}

/**
 * Apollo's formatError: turns TypeGraphQL's generic "Argument Validation Error"
 * into a message that names each bad field, maps store outages to
 * SERVICE_UNAVAILABLE and Apollo's uncoded request errors to their codes, and
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
  if (original instanceof StoreUnavailableError) {
    return {
      message: 'The database is temporarily unavailable; retry shortly',
      locations: formatted.locations,
      path: formatted.path,
      extensions: { code: ErrorCode.SERVICE_UNAVAILABLE },
    };
  }
  const domain = domainError(original);
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
  return {
    ...formatted,
    message: clientMessage(formatted.message, production),
    extensions: { ...formatted.extensions, code },
  };
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
