import fs from 'node:fs';
import type Database from 'better-sqlite3';
import type { Logger } from '../../logger';

/** Default period of the running store's housekeeping. */
export const DEFAULT_MAINTENANCE_INTERVAL_MS = 5 * 60_000;

/**
 * Periodic housekeeping while the store runs, so the files stay compact
 * without a restart: a TRUNCATE checkpoint moves the WAL into the database and
 * empties it (it also syncs, bounding what a power loss can take), `PRAGMA
 * optimize` refreshes planner statistics where they are stale, and an
 * incremental vacuum returns free pages to the file system. Each step is
 * short; the timer is unref'd and close() stops it.
 */
export class Maintenance {
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly db: Database.Database,
    private readonly intervalMs: number,
    private readonly logger: Pick<Logger, 'debug' | 'warn'>,
  ) {}

  start(): void {
    this.timer = setInterval(() => this.run(), this.intervalMs);
    this.timer.unref();
  }

  /** One round; failures are logged (a full disk is reported by writes and readiness). */
  run(): void {
    try {
      const walBytes = this.walBytes();
      this.db.pragma('wal_checkpoint(TRUNCATE)');
      this.db.pragma('optimize');
      const freePages = this.db.pragma('freelist_count', { simple: true }) as number;
      if (freePages > 0) this.db.pragma('incremental_vacuum');
      this.logger.debug(
        { walBytesBefore: walBytes, walBytesAfter: this.walBytes(), freedPages: freePages },
        'embedded store maintenance done',
      );
    } catch (error) {
      this.logger.warn({ err: error }, 'embedded store maintenance failed; retrying next period');
    }
  }

  private walBytes(): number {
    try {
      return fs.statSync(`${this.db.name}-wal`).size;
    } catch {
      return 0;
    }
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }
}
