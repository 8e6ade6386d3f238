/**
 * Why a domain rule refused an edit. The GraphQL layer maps each to its
 * error code (src/errors.ts); scripts print the message. None of them is ever
 * thrown after something was written.
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
export class EntityNotFoundError extends Error {
  constructor(
    message: string,
    readonly field: string,
  ) {
    super(message);
    this.name = 'EntityNotFoundError';
  }
}

/**
 * An edit that breaks a rule of the domain: BAD_USER_INPUT naming the field.
 * The message starts with the field's name ("position must be from 1 to 8"),
 * as every validation message does; nothing adds it again.
 */
export class InvalidEditError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
    this.name = 'InvalidEditError';
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
