import { TmdbError } from './errors';
import { RetryAfterGate } from './retry-after-gate';

/** What one answered (or unanswered) call tells us about our credentials. */
export type CredentialsVerdict = 'accepted' | 'rejected' | 'unknown';

/** Whether a call may go out; a trial call is the one probe sent after a pause. */
export type CredentialsPass =
  { admitted: true; trial: boolean } | { admitted: false; waitMs: number };

/** A state change worth one log line: a pause started, or the credentials work again. */
export type CredentialsChange = 'paused' | 'restored' | null;

/**
 * A 401/403 says our credentials are refused for every id, so asking for
 * other ids only repeats it. After one, no call goes out for `pauseMs` (a
 * RetryAfterGate of fixed length); then a single trial call is let through
 * while the others are still refused. If TMDB accepts it, calls resume; if it
 * refuses it again, a new pause starts. One pause costs TMDB one request.
 */
export class CredentialsGate {
  private readonly pause: RetryAfterGate;
  /** From a 401/403 until a trial call gets an answer that shows the credentials passed. */
  private rejected = false;
  private trialInFlight = false;

  constructor(
    now: () => number,
    readonly pauseMs: number,
  ) {
    this.pause = new RetryAfterGate(now, pauseMs, pauseMs);
  }

  /** Admits every call while the credentials work; none during a pause; then one trial at a time. */
  admit(): CredentialsPass {
    if (!this.rejected) return { admitted: true, trial: false };
    const waitMs = this.pause.remainingMs();
    if (waitMs > 0 || this.trialInFlight) return { admitted: false, waitMs };
    this.trialInFlight = true;
    return { admitted: true, trial: true };
  }

  /**
   * Records what an admitted call showed. Only a trial can end a pause: a call
   * sent before the pause started and answered after it proves nothing new.
   */
  settle(
    pass: CredentialsPass & { admitted: true },
    verdict: CredentialsVerdict,
  ): CredentialsChange {
    if (pass.trial) this.trialInFlight = false;
    if (verdict === 'rejected') {
      // Calls already in flight when the first 401 came back neither log nor extend the pause.
      if (this.pause.isPaused) return null;
      this.rejected = true;
      this.pause.pause(undefined);
      return 'paused';
    }
    if (verdict === 'accepted' && pass.trial && this.rejected) {
      this.rejected = false;
      return 'restored';
    }
    return null;
  }
}

/**
 * The verdict of a failed call. TMDB checks credentials before it looks a
 * title up, so a 404 (or any 2xx) means they passed; 5xx, 429, timeouts and
 * network errors say nothing about them.
 */
export function credentialsVerdict(error: unknown): CredentialsVerdict {
  if (!(error instanceof TmdbError)) return 'unknown';
  if (error.credentialsRejected) return 'rejected';
  return error.permanentForId ? 'accepted' : 'unknown';
}
