import { GraphQLError } from 'graphql';
import {
  EntityNotFoundError,
  InvalidEditError,
  RevisionConflictError,
  SlugTakenError,
  TmdbIdentityTakenError,
} from './model';

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

/** Same shape as validation errors (see graphql/format-error.ts): clients read one `fields` list. */
export function badUserInput(message: string, field: string): GraphQLError {
  return new GraphQLError(message, {
    extensions: { code: ErrorCode.BAD_USER_INPUT, fields: [{ field, messages: [message] }] },
  });
}

export function notFound(message: string, field: string): GraphQLError {
  return new GraphQLError(message, { extensions: { code: ErrorCode.NOT_FOUND, field } });
}

/** Too many of `what` (ratings, failed editor authentications) from this client. */
export function rateLimited(retryAfterSeconds: number, what = 'ratings'): GraphQLError {
  return new GraphQLError(`Too many ${what} from this client; retry in ${retryAfterSeconds} s`, {
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
  if (error instanceof TmdbIdentityTakenError) {
    return new GraphQLError(error.message, {
      extensions: {
        code: ErrorCode.CONFLICT,
        field: 'tmdbId',
        tmdbId: error.tmdbId,
        mediaType: error.mediaType,
        heldBySlug: error.holder.slug,
      },
    });
  }
  if (error instanceof EntityNotFoundError) return notFound(error.message, error.field);
  if (error instanceof InvalidEditError) return badUserInput(error.message, error.field);
  return null;
}
