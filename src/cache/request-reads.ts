import type { Tag } from './tags';

/**
 * What one request read, from its start, for the response cache to keep its
 * answer only while that data is unchanged (responses.ts) and to expire it by
 * the age of its oldest record (records.ts).
 */
export interface RequestReads {
  /** The freshness clock when the request started (freshness.ts). */
  readonly bornAt: number;
  /**
   * When its request started, or earlier: when the oldest record it was
   * given from memory was read, so that its response expires by its data.
   */
  startedAt: number;
  readonly tags: Set<Tag>;
  /**
   * It read data that changes without a write of this process (a live TMDB
   * score, tmdb/scores.ts): its answer is kept no longer than its lifetime
   * from when it was computed, however often it is read (responses.ts).
   */
  live?: boolean;
}

/**
 * Notes into a request's reads (null: the request keeps no answer) that it
 * read data tagged `tags`; `readAt`, for a record from memory: when the store
 * gave it.
 */
export function noteRead(reads: RequestReads | null, tags: Iterable<Tag>, readAt?: number): void {
  if (!reads) return;
  if (readAt !== undefined && readAt < reads.startedAt) reads.startedAt = readAt;
  for (const tag of tags) reads.tags.add(tag);
}
