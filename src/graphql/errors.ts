import { GraphQLError } from 'graphql';
import {
  InvalidInputError,
  NotFoundError,
  RateLimitedError,
  RevisionConflictError,
  SlugTakenError,
  StoreUnavailableError,
  TmdbIdentityTakenError,
  UpstreamUnavailableError,
} from '../model';

/**
 * The API's errors as clients see them: the codes (extensions.code) and the
 * one mapping from domain errors (src/model/errors.ts) to GraphQL errors.
 * Every error the API raises on purpose ends up with one of these codes;
 * anything else is a bug and is reported as INTERNAL_SERVER_ERROR without
 * its message in production (format-error.ts).
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

/** What clients read for any store outage; the adapter's own message stays in the logs. */
const STORE_UNAVAILABLE_MESSAGE = 'The database is temporarily unavailable; retry shortly';

/**
 * A GraphQL argument the schema's types let through but the API refuses (a
 * global id of another type, a foreign cursor). Same shape as validation
 * errors (format-error.ts): clients read one `fields` list.
 */
export function badUserInput(message: string, field: string): GraphQLError {
  return new GraphQLError(message, {
    extensions: { code: ErrorCode.BAD_USER_INPUT, fields: [{ field, messages: [message] }] },
  });
}

/**
 * An editor operation without a valid editor token (HTTP 401). A GraphQLError
 * from the start, not a domain error: Apollo takes the HTTP status from the
 * error as thrown, before formatError runs.
 */
export function unauthenticated(message: string): GraphQLError {
  return new GraphQLError(message, {
    extensions: { code: ErrorCode.UNAUTHENTICATED, http: { status: 401 } },
  });
}

/** An operation this server does not allow at all (editor operations without ADMIN_TOKEN; HTTP 403). */
export function forbidden(message: string): GraphQLError {
  return new GraphQLError(message, {
    extensions: { code: ErrorCode.FORBIDDEN, http: { status: 403 } },
  });
}

/**
 * The GraphQL error a client sees for a domain error, or null for anything
 * else (a GraphQLError already, or a bug). CONFLICT carries what a client
 * needs to retry; NOT_FOUND and BAD_USER_INPUT name the field.
 */
export function fromDomainError(error: unknown): GraphQLError | null {
  if (error instanceof InvalidInputError) return badUserInput(error.message, error.field);
  if (error instanceof NotFoundError) {
    return new GraphQLError(error.message, {
      extensions: { code: ErrorCode.NOT_FOUND, field: error.field },
    });
  }
  if (error instanceof RateLimitedError) {
    return new GraphQLError(error.message, {
      extensions: { code: ErrorCode.RATE_LIMITED, retryAfterSeconds: error.retryAfterSeconds },
    });
  }
  if (error instanceof StoreUnavailableError) {
    return new GraphQLError(STORE_UNAVAILABLE_MESSAGE, {
      extensions: { code: ErrorCode.SERVICE_UNAVAILABLE },
    });
  }
  if (error instanceof UpstreamUnavailableError) {
    return new GraphQLError(error.message, {
      extensions: {
        code: ErrorCode.UPSTREAM_UNAVAILABLE,
        ...(error.reason === null ? {} : { reason: error.reason }),
      },
    });
  }
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
  return null;
}
