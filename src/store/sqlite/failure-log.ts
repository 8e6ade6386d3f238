import type { Logger } from '../../logger';

/** How often a failure that keeps repeating is logged again (as a count). */
export const DEFAULT_FAILURE_LOG_INTERVAL_MS = 60_000;

/**
 * Logs the store's failures without flooding, whatever logger it is given:
 * the first failure of a kind (SQLite code) is logged in full, with its
 * stack; the same failure again within the interval is only counted, and the
 * count is logged (a line without a stack) with the next one after the
 * interval, or as soon as an operation succeeds again. A full disk refusing a
 * thousand writes a second is a handful of lines, not thousands of stacks;
 * each client still gets its own SERVICE_UNAVAILABLE. (The app's logger
 * also counts repeated error lines, src/logger.ts; the count lines written
 * here carry no error, so it writes them as they are.)
 */
export class RepeatedFailureLog {
  private current: {
    kind: string;
    since: number;
    loggedAt: number;
    unlogged: number;
    total: number;
  } | null = null;

  constructor(
    private readonly logger: Pick<Logger, 'error' | 'info'>,
    private readonly intervalMs = DEFAULT_FAILURE_LOG_INTERVAL_MS,
    private readonly now: () => number = Date.now,
  ) {}

  failed(kind: string, error: unknown, fields: Record<string, unknown>, msg: string): void {
    const at = this.now();
    const current = this.current;
    if (!current || current.kind !== kind) {
      this.flush();
      this.current = { kind, since: at, loggedAt: at, unlogged: 0, total: 1 };
      this.logger.error({ ...fields, err: error }, msg);
      return;
    }
    current.total += 1;
    current.unlogged += 1;
    if (at - current.loggedAt >= this.intervalMs) this.flush();
  }

  /** An operation succeeded: writes the count not yet logged, and that it works again. */
  recovered(): void {
    if (!this.current) return;
    this.flush();
    const { kind, total, since } = this.current;
    this.current = null;
    this.logger.info(
      { code: kind, failures: total, forMs: this.now() - since },
      'embedded store operations succeed again',
    );
  }

  private flush(): void {
    const current = this.current;
    if (!current || current.unlogged === 0) return;
    this.logger.error(
      { code: current.kind, repeated: current.unlogged, sinceMs: this.now() - current.loggedAt },
      `embedded store operation failed ${current.unlogged} more time(s) (${current.kind}); nothing was written`,
    );
    current.unlogged = 0;
    current.loggedAt = this.now();
  }
}
