/**
 * The errors of the domain: why an operation was refused, as data. Every
 * layer below the API throws these (the model, the services, the store
 * adapters, the TMDB client); the GraphQL layer maps each to its
 * extensions.code in one place (src/graphql/errors.ts), scripts print the
 * message. None of them is ever thrown after something was written.
 */

/** The entity moved on since the caller read it: CONFLICT, with the current revision. */
export class RevisionConflictError extends Error {
  constructor(
    readonly entity: 'Title' | 'Fact',
    readonly entityId: string,
    readonly expectedRevision: number,
    readonly currentRevision: number,
  ) {
    super(
      `${entity} ${entityId} is at revision ${currentRevision}, not ${expectedRevision}: ` +
        'someone changed it since you read it. Reload it, reapply your edit and send the new revision.',
    );
    this.name = 'RevisionConflictError';
  }
}

/** Something an argument names does not exist: NOT_FOUND naming the argument. */
export class NotFoundError extends Error {
  constructor(
    message: string,
    readonly field: string,
  ) {
    super(message);
    this.name = 'NotFoundError';
  }
}

/**
 * Input that breaks a rule of the domain: BAD_USER_INPUT naming the field.
 * The message starts with the field's name ("position must be from 1 to 8"),
 * as every validation message does; nothing adds it again.
 */
export class InvalidInputError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
    this.name = 'InvalidInputError';
  }
}

/** A slug that already resolves to another title (now or formerly): stores throw it on write. */
export class SlugTakenError extends Error {
  constructor(readonly slug: string) {
    super(`The slug "${slug}" already belongs to another title`);
    this.name = 'SlugTakenError';
  }
}

/**
 * A TMDB identity (TMDB id and media type) that already belongs to another
 * title: stores throw it on write. One title per identity, so a federation
 * key `tmdbId mediaType` and a TMDB import each find exactly one title.
 */
export class TmdbIdentityTakenError extends Error {
  constructor(
    readonly tmdbId: number,
    readonly mediaType: string,
    /** The title that has it: its store id and slug. */
    readonly holder: { id: string; slug: string },
  ) {
    super(
      `tmdbId ${tmdbId} (${mediaType}) already belongs to the title "${holder.slug}": ` +
        'a TMDB identity names one title. Edit that title, or clear its tmdbId first',
    );
    this.name = 'TmdbIdentityTakenError';
  }
}

/** Too many of `what` (ratings, failed editor authentications) from one client: RATE_LIMITED. */
export class RateLimitedError extends Error {
  constructor(
    readonly retryAfterSeconds: number,
    what = 'ratings',
  ) {
    super(`Too many ${what} from this client; retry in ${retryAfterSeconds} s`);
    this.name = 'RateLimitedError';
  }
}

/**
 * The database cannot be reached (store adapters throw it; the rate limiter
 * too when its counters cannot be read): SERVICE_UNAVAILABLE, worth a retry.
 * Its message is for logs; clients get a fixed one.
 */
export class StoreUnavailableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StoreUnavailableError';
  }
}

/**
 * TMDB could not answer (down, throttled, not configured): UPSTREAM_UNAVAILABLE.
 * `reason` (a TmdbFailureKind, or TMDB_NOT_CONFIGURED) is sent to clients
 * when set, so they can tell "retry later" from "never on this server".
 */
export class UpstreamUnavailableError extends Error {
  constructor(
    message: string,
    readonly reason: string | null = null,
  ) {
    super(message);
    this.name = 'UpstreamUnavailableError';
  }
}
