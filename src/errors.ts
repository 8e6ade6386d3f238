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
  INTERNAL_SERVER_ERROR: 'INTERNAL_SERVER_ERROR',
} as const;

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
 * Apollo's formatError: turns TypeGraphQL's generic "Argument Validation Error"
 * into a message that names each bad field, maps store outages to
 * SERVICE_UNAVAILABLE, and hides internals (message and stack) in production.
 */
export function createErrorFormatter(options: {
  production: boolean;
  onInternalError: (e: unknown) => void;
}) {
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
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
    const code = formatted.extensions?.code;
    const known = typeof code === 'string' && code !== ErrorCode.INTERNAL_SERVER_ERROR;
    if (!known) {
      options.onInternalError(original);
      if (options.production) {
        return {
          message: 'Internal server error',
          locations: formatted.locations,
          path: formatted.path,
          extensions: { code: ErrorCode.INTERNAL_SERVER_ERROR },
        };
      }
    }
    if (options.production && formatted.extensions && 'stacktrace' in formatted.extensions) {
      const { stacktrace: _stacktrace, ...extensions } = formatted.extensions;
      return { ...formatted, extensions };
    }
    return formatted;
  };
}
