import { EVERYTHING, type Tag } from './tags';

/**
 * What this process's writes have changed, for the caches that keep what
 * earlier reads answered (responses.ts, records.ts): one per process, shared,
 * so a write is stamped once and every cache sees it. The store front
 * (records.ts) invalidates through it after every write it passes on.
 *
 * A clock moves with every invalidation and each invalidated tag is stamped
 * with it. Whatever is cached notes the clock when its read started
 * (`bornAt`): it is current while none of its tags has a later stamp. That
 * also covers a write that ran while the read did: its stamp is later than
 * the read's start, so the answer is never served.
 */
export class Freshness {
  /** Moves with every invalidation. */
  private clock = 0;
  /** Per tag, the clock and time of its last invalidation. */
  private readonly stamps = new Map<Tag, { clock: number; at: number }>();
  /** The clock of the last invalidation of everything. */
  private everythingStamp = 0;

  /**
   * @param keepStampsMs how long a stamp can matter: the longest any cache
   *   keeps an answer (older answers are dropped by age anyway).
   */
  constructor(private readonly keepStampsMs: number) {}

  /** The clock now: what a read starting now is born at. */
  get now(): number {
    return this.clock;
  }

  /** Makes everything that read one of `tags` (EVERYTHING: anything) out of date. */
  invalidate(tags: Iterable<Tag> | typeof EVERYTHING, now = Date.now()): void {
    this.clock += 1;
    if (tags === EVERYTHING) {
      this.everythingStamp = this.clock;
      return;
    }
    for (const tag of tags) this.stamps.set(tag, { clock: this.clock, at: now });
    if (this.stamps.size > STAMPS_BEFORE_PRUNING) this.prune(now);
  }

  /** Whether nothing in `tags` was invalidated after a read born at `bornAt`. */
  unchanged(bornAt: number, tags: Iterable<Tag>): boolean {
    if (this.everythingStamp > bornAt) return false;
    for (const tag of tags) {
      const stamp = this.stamps.get(tag);
      if (stamp && stamp.clock > bornAt) return false;
    }
    return true;
  }

  /** Drops stamps older than keepStampsMs: every answer they could concern is too old. */
  private prune(now: number): void {
    for (const [tag, stamp] of this.stamps) {
      if (now - stamp.at > this.keepStampsMs) this.stamps.delete(tag);
    }
  }
}

/** Invalidation stamps kept before old ones are pruned. */
const STAMPS_BEFORE_PRUNING = 10_000;
