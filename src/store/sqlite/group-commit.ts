import type Database from 'better-sqlite3';
import { StoreUnavailableError } from '../../model';
import type { SqliteGate } from './gate';

/** A write waiting for the next group commit. */
interface PendingWrite {
  write: () => unknown;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

/**
 * Group commit for the viewers' writes (ratings and reports): writes that
 * arrive in the same turn of the event loop (under load: every request parsed
 * while the previous commit synced) are written in one transaction, each in
 * its own savepoint, and answered once that transaction is committed and
 * synced. With `synchronous = FULL` a commit costs a disk sync; one sync per
 * batch instead of one per write keeps throughput under concurrency, and a
 * report costs what a rating costs (the bench's #22 row). A write that fails
 * alone (its savepoint is rolled back) fails alone; a failed commit fails the
 * batch, and nothing of it was written.
 */
export class GroupCommit {
  private readonly db: Database.Database;
  private pending: PendingWrite[] = [];

  constructor(private readonly gate: SqliteGate) {
    this.db = gate.db;
  }

  /** Runs `write` (synchronous statements) in the next group's transaction; resolves once committed. */
  enqueue<T>(write: () => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.pending.push({ write, resolve: resolve as (value: unknown) => void, reject });
      if (this.pending.length === 1) setImmediate(() => this.flush());
    });
  }

  /** Commits the writes waiting now (close() calls it so none is left unanswered). */
  flush(): void {
    const batch = this.pending;
    this.pending = [];
    if (batch.length === 0) return;
    const outcomes: Array<{ value: unknown } | { error: unknown }> = [];
    try {
      this.db
        .transaction(() => {
          for (const job of batch) {
            try {
              outcomes.push({ value: this.db.transaction(job.write)() });
            } catch (error) {
              // Some errors (a full disk, I/O) make SQLite roll back the whole transaction.
              if (!this.db.inTransaction) throw error;
              outcomes.push({ error });
            }
          }
        })
        .immediate();
    } catch (error) {
      // Each refused write is its own failure (logged, and counted by the logger, per write).
      for (const job of batch) {
        const failure = this.gate.failure(error);
        if (failure instanceof StoreUnavailableError) this.gate.writeFault = failure;
        job.reject(failure);
      }
      return;
    }
    let faulted = false;
    for (const [i, job] of batch.entries()) {
      const outcome = outcomes[i];
      if ('value' in outcome) job.resolve(outcome.value);
      else {
        const failure = this.gate.failure(outcome.error);
        if (failure instanceof StoreUnavailableError) {
          this.gate.writeFault = failure;
          faulted = true;
        }
        job.reject(failure);
      }
    }
    if (!faulted && outcomes.some((outcome) => 'value' in outcome)) this.gate.recovered();
  }
}
