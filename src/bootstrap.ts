import type { Logger } from './logger';
import { describeReport, writeCatalog } from './catalog/write';
import type { QueueThreshold } from './model';
import { loadCatalog } from './seed/catalog';
import type { Store } from './store/port';

/**
 * Gets the store ready in the background: waits until it answers (MongoDB may
 * be down at start: the server must stay up and keep trying), then seeds an
 * empty store. `ready` is what /readyz reports before it pings, and what
 * GraphQL operations wait for: until then they are refused with 503
 * SERVICE_UNAVAILABLE (src/graphql/pipeline/store-readiness.ts), never answered from a
 * store still being seeded. Before it is ready, the store is told the review
 * queue's threshold (config), so the queue is never served with flags computed
 * under another one.
 */
export class StoreBootstrap {
  ready = false;
  private stopped = false;
  private timer: NodeJS.Timeout | undefined;
  private wake: (() => void) | undefined;

  constructor(
    private readonly store: Store,
    private readonly logger: Logger,
    private readonly queueThreshold: QueueThreshold,
    private readonly retryDelaysMs = [250, 500, 1000, 2000, 5000],
  ) {}

  /** Resolves when the store is ready, or when stop() is called first. */
  async run(): Promise<void> {
    let lastReason: string | undefined;
    for (let attempt = 0; !this.stopped; attempt++) {
      try {
        await this.store.ping();
        if ((await this.store.countTitles()) === 0) {
          const report = await writeCatalog(this.store, loadCatalog());
          this.logger.info(
            { created: report.created.length },
            `seeded the empty store: ${describeReport(report)}`,
          );
        }
        // Re-flags every fact when the setting changed since the flags were computed.
        await this.store.useQueueThreshold(this.queueThreshold);
        this.ready = true;
        return;
      } catch (error) {
        const delay = this.retryDelaysMs[Math.min(attempt, this.retryDelaysMs.length - 1)];
        // Once per reason, not once per attempt: a lasting problem is one line, a new one is news.
        const reason = error instanceof Error ? error.message : String(error);
        const level = reason === lastReason ? 'debug' : 'warn';
        lastReason = reason;
        this.logger[level](
          { err: error, retryInMs: delay },
          'store not ready yet; serving 503 on /readyz and retrying',
        );
        await new Promise<void>((resolve) => {
          this.wake = resolve;
          this.timer = setTimeout(resolve, delay);
        });
      }
    }
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.wake?.();
  }
}
