/**
 * What a test file started and has not stopped yet: apps, server processes.
 * A hook that times out under load leaves its start running; the app it
 * then opens would keep Jest alive (and hold a port and a data-dir lock)
 * with nobody to stop it. after-each-file.ts stops these leftovers after the
 * file's last afterAll, so a failed setup reports its own error and Jest
 * still exits by itself.
 *
 * One registry per test file: Jest gives each file its own module registry.
 */
const running = new Set<() => Promise<void>>();
const starting = new Set<Promise<unknown>>();

/**
 * Registers `stop` until it is called; returns it made idempotent, so a
 * test's own teardown and the file's end can both call it.
 */
export function stopAtFileEnd(stop: () => Promise<void>): () => Promise<void> {
  let stopped: Promise<void> | undefined;
  const once = (): Promise<void> => {
    running.delete(once);
    stopped ??= stop();
    return stopped;
  };
  running.add(once);
  return once;
}

/**
 * A start in progress, which the file's end waits for (it registers its
 * stop once it has something to stop): a hook that timed out does not stop it.
 */
export function awaitAtFileEnd<T>(start: Promise<T>): Promise<T> {
  starting.add(start);
  const forget = () => starting.delete(start);
  start.then(forget, forget);
  return start;
}

/** Waits for starts still in progress, then stops everything still running; reports stop failures. */
export async function stopLeftovers(): Promise<void> {
  while (starting.size > 0) await Promise.allSettled([...starting]);
  const results = await Promise.allSettled([...running].map((stop) => stop()));
  const failures = results.filter((result) => result.status === 'rejected');
  if (failures.length > 0) {
    throw new AggregateError(
      failures.map((failure) => failure.reason),
      `${failures.length} leftover(s) failed to stop`,
    );
  }
}
