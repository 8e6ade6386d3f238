import type { CircuitStatus } from './types';
import {
  type BulkheadPolicy,
  type CircuitBreakerPolicy,
  CircuitState,
  ConsecutiveBreaker,
  ExponentialBackoff,
  type IDisposable,
  type RetryPolicy,
  type TimeoutPolicy,
  TimeoutStrategy,
  bulkhead,
  circuitBreaker,
  handleWhen,
  BrokenCircuitError,
  BulkheadRejectedError,
  TaskCancelledError,
  retry,
  timeout,
} from 'cockatiel';
import type { Logger } from '../logger';
import {
  type CredentialsPass,
  type CredentialsVerdict,
  CredentialsGate,
  credentialsVerdict,
} from './credentials-gate';
import { TmdbError } from './errors';
import { RetryAfterGate } from './retry-after-gate';
import { NO_TMDB_METRICS, type TmdbMetrics } from './types';

/** Knobs of the call pipeline; tests shrink the timings, production keeps the defaults. */
export interface ResilienceSettings {
  /** Calls in flight towards TMDB at once; the rest wait in a queue. */
  maxConcurrency: number;
  /** Calls allowed to wait for a slot; beyond that they fail at once ("overloaded"). */
  maxQueued: number;
  /** Time budget of one HTTP attempt. */
  attemptTimeoutMs: number;
  /** Extra attempts after a transient failure (5xx, network error, timeout). */
  maxRetries: number;
  /** First backoff delay; later ones grow exponentially, with decorrelated jitter. */
  backoffBaseMs: number;
  backoffMaxMs: number;
  /** Consecutive transient failures that open the circuit. */
  breakerThreshold: number;
  /** How long an open circuit refuses calls before letting one trial call through. */
  breakerCooldownMs: number;
  /** Pause after a 429 that has no usable Retry-After. */
  defaultRetryAfterMs: number;
  /** Upper bound on a Retry-After pause, so one odd header cannot disable TMDB for days. */
  maxRetryAfterMs: number;
  /** Pause of every call after a 401/403 (credentials refused); then one trial call goes out. */
  credentialsPauseMs: number;
  /** How long a 404 or malformed answer keeps that one id from being asked for again. */
  negativeCacheTtlMs: number;
}

export const DEFAULT_RESILIENCE: Omit<ResilienceSettings, 'maxConcurrency' | 'attemptTimeoutMs'> = {
  maxQueued: 1000,
  maxRetries: 2,
  backoffBaseMs: 200,
  backoffMaxMs: 2000,
  breakerThreshold: 5,
  breakerCooldownMs: 30_000,
  defaultRetryAfterMs: 2000,
  maxRetryAfterMs: 10 * 60_000,
  credentialsPauseMs: 5 * 60_000,
  negativeCacheTtlMs: 10 * 60_000,
};

const isTransient = (error: unknown) => error instanceof TmdbError && error.transient;

// Errors are matched with instanceof: cockatiel 3.2.1's isTaskCancelledError()
// tests for the bulkhead's marker property and never matches a timeout.

/**
 * Every TMDB call goes through here, composed outermost first:
 *   retry (transient failures only, exponential backoff + jitter)
 *   -> circuit breaker (opens after N consecutive transient failures)
 *   -> bulkhead (maxConcurrency in flight, others queue)
 *   -> Retry-After gate (no call while a 429 pause lasts)
 *   -> credentials gate (no call while a 401/403 pause lasts, then one trial)
 *   -> attempt timeout (aborts the HTTP request).
 * The breaker sits inside the retry so each failed attempt counts, and a
 * retry stops as soon as the circuit opens. Backoff waits outside the
 * bulkhead, so a sleeping retry does not hold a connection slot.
 */
export class TmdbResilience {
  private readonly retryPolicy: RetryPolicy;
  private readonly breaker: CircuitBreakerPolicy;
  private readonly bulkhead: BulkheadPolicy;
  private readonly attemptTimeout: TimeoutPolicy;
  private readonly gate: RetryAfterGate;
  private readonly credentials: CredentialsGate;
  private readonly subscriptions: IDisposable[];

  constructor(
    private readonly settings: ResilienceSettings,
    private readonly logger: Logger,
    now: () => number,
    private readonly metrics: TmdbMetrics = NO_TMDB_METRICS,
  ) {
    this.retryPolicy = retry(handleWhen(isTransient), {
      maxAttempts: settings.maxRetries,
      backoff: new ExponentialBackoff({
        initialDelay: settings.backoffBaseMs,
        maxDelay: settings.backoffMaxMs,
      }),
    }).dangerouslyUnref();
    this.breaker = circuitBreaker(handleWhen(isTransient), {
      breaker: new ConsecutiveBreaker(settings.breakerThreshold),
      halfOpenAfter: settings.breakerCooldownMs,
    });
    this.bulkhead = bulkhead(settings.maxConcurrency, settings.maxQueued);
    this.attemptTimeout = timeout(
      settings.attemptTimeoutMs,
      TimeoutStrategy.Aggressive,
    ).dangerouslyUnref();
    this.gate = new RetryAfterGate(now, settings.defaultRetryAfterMs, settings.maxRetryAfterMs);
    this.credentials = new CredentialsGate(now, settings.credentialsPauseMs);
    this.subscriptions = this.observe();
  }

  /**
   * Runs `attempt` (one HTTP call, honouring its abort signal) under all the
   * policies. Rejects only with TmdbError; rejects at once when `signal`
   * aborts, even if a backoff timer is still pending.
   */
  execute<T>(
    path: string,
    attempt: (signal: AbortSignal) => Promise<T>,
    signal: AbortSignal,
  ): Promise<T> {
    const pipeline = this.retryPolicy
      .execute(
        ({ signal: retrySignal }) =>
          this.breaker.execute(
            ({ signal: breakerSignal }) =>
              this.bulkhead.execute(
                ({ signal: slotSignal }) => this.attemptOnce(path, attempt, slotSignal),
                breakerSignal,
              ),
            retrySignal,
          ),
        signal,
      )
      .catch((error: unknown) => {
        throw toTmdbError(error, path, signal);
      });
    return raceAbort(pipeline, signal, path);
  }

  get circuitState(): CircuitStatus {
    switch (this.breaker.state) {
      case CircuitState.Open:
        return 'open';
      case CircuitState.HalfOpen:
        return 'half-open';
      case CircuitState.Isolated:
        return 'isolated';
      default:
        return 'closed';
    }
  }

  dispose(): void {
    for (const subscription of this.subscriptions) subscription.dispose();
  }

  /** One HTTP attempt inside a bulkhead slot: checks both pauses, then runs with a time budget. */
  private async attemptOnce<T>(
    path: string,
    attempt: (signal: AbortSignal) => Promise<T>,
    signal: AbortSignal,
  ): Promise<T> {
    if (signal.aborted) throw new TmdbError('cancelled', path);
    const pausedForMs = this.gate.remainingMs();
    if (pausedForMs > 0) throw new TmdbError('paused', path, { retryAfterMs: pausedForMs });
    // Checked after the 429 pause, so a throttled call never takes the trial slot.
    const pass = this.credentials.admit();
    if (!pass.admitted) {
      throw new TmdbError('paused', path, {
        code: 'CREDENTIALS_REJECTED',
        retryAfterMs: pass.waitMs,
      });
    }
    try {
      const result = await this.attemptWithinBudget(path, attempt, signal);
      this.metrics.request('ok');
      this.noteCredentials(pass, 'accepted');
      return result;
    } catch (error) {
      const status = error instanceof TmdbError ? error.status : undefined;
      this.metrics.request(error instanceof TmdbError ? error.kind : 'network');
      this.noteCredentials(pass, credentialsVerdict(error), status);
      throw error;
    }
  }

  /** Runs the HTTP call under the attempt timeout; a 429 starts the process-wide pause. */
  private async attemptWithinBudget<T>(
    path: string,
    attempt: (signal: AbortSignal) => Promise<T>,
    signal: AbortSignal,
  ): Promise<T> {
    try {
      return await this.attemptTimeout.execute(
        ({ signal: attemptSignal }) => attempt(attemptSignal),
        signal,
      );
    } catch (error) {
      if (error instanceof TaskCancelledError) {
        throw new TmdbError(signal.aborted ? 'cancelled' : 'timeout', path);
      }
      if (error instanceof TmdbError && error.kind === 'throttled') {
        const pauseMs = this.gate.pause(error.details.retryAfterMs);
        this.logger.warn({ path, pauseMs }, 'TMDB throttled us (429): pausing all TMDB calls');
      }
      throw error;
    }
  }

  /** Feeds the credentials gate and logs its changes: one error per pause, never the credentials. */
  private noteCredentials(
    pass: CredentialsPass & { admitted: true },
    verdict: CredentialsVerdict,
    status?: number,
  ): void {
    const change = this.credentials.settle(pass, verdict);
    if (change === 'paused') {
      this.logger.error(
        { status, pauseMs: this.credentials.pauseMs },
        'TMDB credentials were rejected: pausing all TMDB calls; check TMDB_API_TOKEN / TMDB_API_KEY',
      );
    } else if (change === 'restored') {
      this.logger.info('TMDB accepted the credentials again: resuming TMDB calls');
    }
  }

  /** Logs state changes of the pipeline: these are what an operator needs to see. */
  private observe(): IDisposable[] {
    return [
      this.retryPolicy.onRetry((event) => {
        const reason =
          'error' in event && event.error instanceof TmdbError ? event.error.toLog() : {};
        this.logger.debug(
          { ...reason, attempt: event.attempt, delayMs: Math.round(event.delay) },
          'Retrying TMDB call',
        );
      }),
      this.breaker.onBreak(() =>
        this.logger.warn(
          { cooldownMs: this.settings.breakerCooldownMs },
          'TMDB circuit opened after repeated failures: not calling TMDB during the cool-down',
        ),
      ),
      this.breaker.onHalfOpen(() =>
        this.logger.info('TMDB circuit half-open: sending a trial call'),
      ),
      this.breaker.onReset(() => this.logger.info('TMDB circuit closed: TMDB is answering again')),
    ];
  }
}

/** Normalises what the policies throw into TmdbError, keeping TmdbErrors as they are. */
function toTmdbError(error: unknown, path: string, signal: AbortSignal): TmdbError {
  if (error instanceof TmdbError) return error;
  if (error instanceof BrokenCircuitError) return new TmdbError('circuit-open', path);
  if (error instanceof BulkheadRejectedError) return new TmdbError('overloaded', path);
  if (error instanceof TaskCancelledError)
    return new TmdbError(signal.aborted ? 'cancelled' : 'timeout', path);
  // Not expected: keep only the class name, the message could be anything.
  const name = error instanceof Error ? error.name : typeof error;
  return new TmdbError('network', path, { code: `UNEXPECTED_${name.toUpperCase()}` });
}

/** Settles with "cancelled" as soon as `signal` aborts, whatever the pipeline is waiting on. */
function raceAbort<T>(work: Promise<T>, signal: AbortSignal, path: string): Promise<T> {
  if (signal.aborted) {
    work.catch(() => undefined);
    return Promise.reject(new TmdbError('cancelled', path));
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(new TmdbError('cancelled', path));
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}
