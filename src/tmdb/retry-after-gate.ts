/**
 * Remembers a 429's Retry-After for the whole process: TMDB's rate limit is per
 * credential, not per title, so after a 429 no id may be requested until the
 * given time. Uses the service clock so tests can move past a pause. With a
 * fixed length it is also the pause after TMDB rejects our credentials
 * (CredentialsGate).
 */
export class RetryAfterGate {
  private pausedUntilMs = 0;

  constructor(
    private readonly now: () => number,
    private readonly defaultPauseMs: number,
    private readonly maxPauseMs: number,
  ) {}

  /** Starts (or extends) a pause; a missing Retry-After gets the default, a huge one is capped. */
  pause(retryAfterMs: number | undefined): number {
    const pauseMs = Math.min(retryAfterMs ?? this.defaultPauseMs, this.maxPauseMs);
    this.pausedUntilMs = Math.max(this.pausedUntilMs, this.now() + pauseMs);
    return pauseMs;
  }

  /** Milliseconds left in the current pause; 0 when calls may go out. */
  remainingMs(): number {
    return Math.max(0, this.pausedUntilMs - this.now());
  }

  get isPaused(): boolean {
    return this.remainingMs() > 0;
  }
}
