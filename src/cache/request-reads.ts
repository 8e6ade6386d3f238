import { AsyncLocalStorage } from 'node:async_hooks';
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
}

/**
 * The reads of the request whose code is running. Why an AsyncLocalStorage:
 * the store is built once for the process (index.ts), yet every read a
 * request makes (through its loaders, a resolver's own store call, a service)
 * must tag its response, or a write could leave that response served. The
 * alternatives were a store wrapped per request (what this replaces) or each
 * caller noting tags by hand, which a new resolver would forget silently.
 */
const current = new AsyncLocalStorage<RequestReads>();

/**
 * Makes `reads` the reads of the request running from here on: of what the
 * caller runs next and every callback and promise it starts. Called by the
 * request's context factory before its first `await`, since Apollo awaits it
 * and then runs the whole operation (src/graphql/request/context.ts); it sets
 * the context of this request's chain only, never another request's.
 */
export function recordReadsOfThisRequest(reads: RequestReads): void {
  current.enterWith(reads);
}

/**
 * Notes that the running request (if any is recording) read data tagged
 * `tags`; `readAt`, for a record from memory: when the store gave it.
 */
export function noteRead(tags: Iterable<Tag>, readAt?: number): void {
  const reads = current.getStore();
  if (!reads) return;
  if (readAt !== undefined && readAt < reads.startedAt) reads.startedAt = readAt;
  for (const tag of tags) reads.tags.add(tag);
}
