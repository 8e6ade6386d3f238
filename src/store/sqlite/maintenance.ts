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
      const [checkpoint] = this.db.pragma('wal_checkpoint(TRUNCATE)') as Array<{
        busy: number;
        log: number;
        checkpointed: number;
      }>;
      this.db.pragma('optimize');
      const freed = this.db.pragma('freelist_count', { simple: true }) as number;
      if (freed > 0) this.db.pragma('incremental_vacuum');
      this.logger.debug(
        { checkpointedPages: checkpoint?.checkpointed ?? 0, freedPages: freed },
        'embedded store maintenance done',
      );
    } catch (error) {
      this.logger.warn({ err: error }, 'embedded store maintenance failed; retrying next period');
    }
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }
}
