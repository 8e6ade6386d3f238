import type Database from 'better-sqlite3';
import type { Logger } from '../../logger';
import { StoreUnavailableError } from '../../model';
import { isCorruption, toStoreError } from './errors';
import { RepeatedFailureLog } from './failure-log';
import { REPAIR_COMMAND } from './integrity';
import { SearchResults } from './search-results';

/**
 * The connection as every role of the SQLite store uses it: reads and writes
 * with errors mapped (StoreUnavailableError for disk, I/O, locks), whether
 * writes currently fail (readiness, see ping), and the search results that
 * catalog writes invalidate.
 */
export class SqliteGate {
  /** Set when a write failed for lack of disk, I/O or locks; cleared by the next successful write. */
  writeFault: StoreUnavailableError | null = null;
  readonly searches = new SearchResults();
  private readonly failures: RepeatedFailureLog;
  private readonly sql;

  constructor(
    readonly db: Database.Database,
    readonly logger: Pick<Logger, 'debug' | 'info' | 'warn' | 'error'>,
    failureLogIntervalMs: number,
  ) {
    this.failures = new RepeatedFailureLog(logger, failureLogIntervalMs);
    this.sql = gateStatements(db);
  }

  /**
   * Readiness: the file answers a read, and if a write has failed since the
   * last one that succeeded, a probe write (a two-page blob, inserted and
   * deleted in one committed transaction: it needs room in the file and in
   * the WAL, like a rating) succeeds. So /readyz is 503 while writes fail and
   * recovers by itself, without waiting for traffic, when they work again.
   */
  async ping(): Promise<void> {
    this.read(() => this.sql.ping.get());
    if (this.writeFault) {
      this.write(() =>
        this.db.transaction(() => {
          this.sql.insertProbe.run(2 * (this.db.pragma('page_size', { simple: true }) as number));
          this.sql.clearProbe.run();
        })(),
      );
    }
  }

  read<T>(work: () => T): T {
    try {
      return work();
    } catch (error) {
      throw this.failure(error);
    }
  }

  /** Runs a write; tracks whether writes currently fail (see ping). */
  write<T>(work: () => T): T {
    try {
      const result = work();
      this.recovered();
      return result;
    } catch (error) {
      const failure = this.failure(error);
      if (failure instanceof StoreUnavailableError) this.writeFault = failure;
      throw failure;
    }
  }

  /** A write succeeded: writes work again (readiness, and the count of the failures logged). */
  recovered(): void {
    if (!this.writeFault) return;
    this.writeFault = null;
    this.failures.recovered();
  }

  failure(error: unknown): unknown {
    const mapped = toStoreError(error);
    if (mapped instanceof StoreUnavailableError) {
      // Once in full, then counted (failure-log.ts): not a stack per refused write.
      this.failures.failed(
        (error as { code?: string }).code ?? 'unknown',
        error,
        { repair: isCorruption(error) ? REPAIR_COMMAND : undefined },
        'embedded store operation failed; nothing was written',
      );
    }
    return mapped;
  }
}

/** The readiness statements, prepared once. */
function gateStatements(db: Database.Database) {
  return {
    ping: db.prepare('SELECT 1'),
    insertProbe: db.prepare('INSERT INTO write_probe (pad) VALUES (zeroblob(?))'),
    clearProbe: db.prepare('DELETE FROM write_probe'),
  };
}
