/**
 * Serializes async work per key within this process. The embedded store has a
 * single writer process, so a per-target lock makes "read the voter's previous
 * rating, write the new one, adjust the aggregate" one atomic step.
 */
export class KeyedLock {
  private readonly tails = new Map<string, Promise<unknown>>();

  /** Runs `work` after every earlier `run` with the same key has settled. */
  async run<T>(key: string, work: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    const current = previous.then(work, work);
    const tail = current.catch(() => undefined);
    this.tails.set(key, tail);
    try {
      return await current;
    } finally {
      // Drop the entry once nobody queued behind us, so the map stays small.
      if (this.tails.get(key) === tail) this.tails.delete(key);
    }
  }

  /** Resolves when all work queued so far has settled (used before close). */
  async drain(): Promise<void> {
    await Promise.all([...this.tails.values()]);
  }
}
