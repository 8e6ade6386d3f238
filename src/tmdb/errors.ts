/**
 * Why a TMDB call failed, as data we can log and branch on. It deliberately
 * carries no axios error, URL query or headers: those hold the credentials.
 */
export type TmdbFailureKind =
  | 'http' // TMDB answered with a non-2xx status other than 429
  | 'throttled' // 429 Too Many Requests
  | 'network' // no HTTP answer: connection refused/reset, DNS, ...
  | 'timeout' // an attempt took longer than its time budget
  | 'malformed' // 2xx with a body that is not the shape we expect
  | 'circuit-open' // the circuit breaker refused the call
  | 'paused' // we are honouring an earlier Retry-After
  | 'overloaded' // too many calls already queued towards TMDB
  | 'cancelled'; // the service is shutting down

export class TmdbError extends Error {
  override readonly name = 'TmdbError';

  constructor(
    readonly kind: TmdbFailureKind,
    /** Path relative to the base URL, without query (e.g. /tv/1399). */
    readonly path: string | null,
    readonly details: { status?: number; code?: string; retryAfterMs?: number } = {},
  ) {
    super(describe(kind, path, details));
  }

  get status(): number | undefined {
    return this.details.status;
  }

  /** Failures that say "TMDB is unwell right now": worth a retry and counted by the breaker. */
  get transient(): boolean {
    if (this.kind === 'network' || this.kind === 'timeout') return true;
    return this.kind === 'http' && this.status !== undefined && this.status >= 500;
  }

  /** 401/403: TMDB refuses our credentials, so every id would fail the same way. */
  get credentialsRejected(): boolean {
    return this.kind === 'http' && (this.status === 401 || this.status === 403);
  }

  /**
   * TMDB answered about this id alone, in a way a repeat will not change soon (404 for a wrong id,
   * another non-5xx status, a body we cannot read): worth remembering per id instead of re-asking.
   */
  get permanentForId(): boolean {
    if (this.kind === 'malformed') return true;
    return this.kind === 'http' && !this.transient && !this.credentialsRejected;
  }

  /** Safe fields for a log record (never the raw error, which may hold credentials). */
  toLog(): Record<string, unknown> {
    return { kind: this.kind, path: this.path, ...this.details };
  }
}

/** Builds the message from safe fields only, so the message itself can be logged. */
function describe(
  kind: TmdbFailureKind,
  path: string | null,
  details: { status?: number; code?: string },
): string {
  const what = path ? `TMDB GET ${path}` : 'TMDB call';
  const detail = details.status !== undefined ? `HTTP ${details.status}` : details.code;
  return `${what} failed: ${kind}${detail ? ` (${detail})` : ''}`;
}
