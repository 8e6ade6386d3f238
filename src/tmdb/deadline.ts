/** How a promise settled within a deadline, without ever rejecting. */
export type DeadlineOutcome<T> =
  | { status: 'fulfilled'; value: T }
  | { status: 'rejected'; reason: unknown }
  | { status: 'timed-out' };

/**
 * Waits for `work` at most `ms`. The work itself is not cancelled: a fetch
 * that misses a page's deadline may still finish in the background and fill
 * the cache for the next page. The timer is cleared on settle and unref'd so
 * it never holds the process open.
 */
export function settleWithin<T>(work: Promise<T>, ms: number): Promise<DeadlineOutcome<T>> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve({ status: 'timed-out' }), ms);
    timer.unref();
    work.then(
      (value) => {
        clearTimeout(timer);
        resolve({ status: 'fulfilled', value });
      },
      (reason: unknown) => {
        clearTimeout(timer);
        resolve({ status: 'rejected', reason });
      },
    );
  });
}
