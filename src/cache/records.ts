import { LRUCache } from 'lru-cache';
import type { RecordCacheMetrics } from '../metrics';
import type { Store } from '../store/port';
import type { Freshness } from './freshness';
import { noteRead, type RequestReads } from './request-reads';
import { recordEntryBytes } from './sizes';
import { readTags, type StoreMethod, type Tag, writtenTags } from './tags';

/**
 * The store port in front of the adapter, the one seam between the caches
 * and the store: built once at start (index.ts), every writer and reader of
 * the process goes through it. Each call does what its line of the effects
 * table (STORE_EFFECTS in tags.ts) says:
 * - a read notes the tags of what it answered for the request being
 *   answered (request-reads.ts), so the response cache keeps that response
 *   only until one of them is written;
 * - a write is passed on, then invalidates what it changed (freshness.ts)
 *   before its caller answers, also when it failed (part of it may be
 *   written);
 * - the reads a title page makes (titles by id and by slug, a title's facts
 *   and recommendations, a rated target's aggregate, a fact's review) are answered from
 *   records kept in memory where current, and the other keys read from the
 *   adapter in one call. With RECORD_CACHE=false nothing is kept; the notes
 *   and invalidations stay, for the response cache.
 *
 * A query that misses the response cache (another shape, other variables,
 * RESPONSE_CACHE=false) still runs all of GraphQL, but reads these records
 * from memory instead of the store. Editors' requests and services read them
 * too: on the embedded store a kept record is exact until a write of this
 * process invalidates it; on MongoDB another process's edit shows within
 * `maxAgeMs`, and what an editor writes is checked against the store itself
 * (editTitles reads the current aggregate).
 *
 * Freshness: a write through this store makes the records it changed
 * unreadable before it answers, so a rating is in the next read's aggregate;
 * a write by another process sharing MongoDB is seen within `maxAgeMs`,
 * counted from when the record was read. Memory is bounded by an LRU over
 * what each record really takes (recordEntryBytes in sizes.ts: a measured
 * multiple of its JSON size). A lookup that found nothing is not kept:
 * unknown ids, which any client can send, would push out the records pages
 * read.
 *
 * Answers are shared by every request that reads them, so they are frozen:
 * a resolver that changed one would throw instead of changing other
 * requests' data.
 */
export interface RecordCacheOptions {
  maxAgeMs: number;
  /**
   * This process makes every write (the embedded store): a kept record is
   * exact until a write invalidates it, so a hit that finds it current keeps
   * it `maxAgeMs` from that hit. Records a page keeps reading then stay in
   * memory, and an answer that expires (the response cache's lifetime, which
   * bounds how late a TMDB score refresh comes) runs again on records from
   * memory instead of reading the store. Otherwise (MongoDB) a record
   * expires `maxAgeMs` after it was read, whatever its hits: other processes
   * write.
   */
  exact?: boolean;
  /** Bytes of the records kept, as they take in memory (recordEntryBytes in sizes.ts). */
  maxBytes: number;
}

/** The port methods whose answers are kept: one key in, one answer out, by position. */
type KeptMethod =
  | 'titlesByIds'
  | 'titlesBySlugs'
  | 'factsByTitleIds'
  | 'recommendationsByTitleIds'
  | 'aggregatesByTargets'
  | 'reviewsOfFacts';
type KeyedRead = (keys: readonly string[]) => Promise<unknown[]>;

interface Entry {
  answer: unknown;
  tags: readonly Tag[];
  /** The freshness clock when the read started, or when a hit last found it current (exact). */
  bornAt: number;
  /** When the read started (Date.now()), or when a hit last found it current (exact). */
  readAt: number;
}

export class RecordCache implements Store {
  readonly kind: Store['kind'];
  /** Null: RECORD_CACHE=false, nothing is kept. */
  private readonly entries: LRUCache<string, Entry> | null;
  /** Shared by every request's view (forRequest), hence an object. */
  private readonly counts = { hits: 0, misses: 0 };
  /** The reads of the request this view answers; null on the process's store itself. */
  private reads: RequestReads | null = null;

  constructor(
    private readonly adapter: Store,
    private readonly freshness: Freshness,
    private readonly options: RecordCacheOptions | null,
    metrics?: RecordCacheMetrics,
  ) {
    this.kind = adapter.kind;
    this.entries =
      options &&
      new LRUCache<string, Entry>({
        maxSize: options.maxBytes,
        // Measured once per miss.
        sizeCalculation: (entry, key) => recordEntryBytes(key, entry.answer),
      });
    const { entries } = this;
    if (entries) {
      metrics?.watch(() => ({ ...this.counts, entries: entries.size }));
    }
  }

  /** What the kept records take in memory, as counted against maxBytes (sizes.ts). */
  get bytes(): number {
    return this.entries?.calculatedSize ?? 0;
  }

  // Reads of what a title page shows: kept records first.
  /**
   * This store for one request whose answer the response cache may keep: the
   * same records, kept and invalidated as one, with the tags (and a kept
   * record's read time) of everything read through it noted into `reads`.
   * A view, not a wrapper: an object whose prototype is this cache, so every
   * method is this cache's own and a request costs one small object. Hence
   * no method assigns to `this` after construction (the counters are an
   * object shared by all views). Passing the reads this way, rather than
   * through an AsyncLocalStorage, keeps Node 20's promise hooks off: they
   * cost about 20% of a cached answer's throughput (docs/performance.md).
   */
  forRequest(reads: RequestReads): Store {
    const view = Object.create(this) as RecordCache;
    view.reads = reads;
    return view;
  }

  titlesByIds(ids: readonly string[]) {
    return this.kept('titlesByIds', ids, (keys) => this.adapter.titlesByIds(keys));
  }
  titlesBySlugs(slugs: readonly string[]) {
    return this.kept('titlesBySlugs', slugs, (keys) => this.adapter.titlesBySlugs(keys));
  }
  factsByTitleIds(titleIds: readonly string[]) {
    return this.kept('factsByTitleIds', titleIds, (keys) => this.adapter.factsByTitleIds(keys));
  }
  recommendationsByTitleIds(titleIds: readonly string[]) {
    return this.kept('recommendationsByTitleIds', titleIds, (keys) =>
      this.adapter.recommendationsByTitleIds(keys),
    );
  }
  aggregatesByTargets(targetKeys: readonly string[]) {
    return this.kept('aggregatesByTargets', targetKeys, (keys) =>
      this.adapter.aggregatesByTargets(keys),
    );
  }
  /** Fact.review on every fact of a page: kept like the facts' aggregates. */
  reviewsOfFacts(factIds: readonly string[]) {
    return this.kept('reviewsOfFacts', factIds, (keys) => this.adapter.reviewsOfFacts(keys));
  }

  // Other reads: passed on, their tags noted.
  titlesByTmdbIds(...args: Parameters<Store['titlesByTmdbIds']>) {
    return this.read('titlesByTmdbIds', args, this.adapter.titlesByTmdbIds(...args));
  }
  listTitles(...args: Parameters<Store['listTitles']>) {
    return this.read('listTitles', args, this.adapter.listTitles(...args));
  }
  countTitles() {
    return this.read('countTitles', [], this.adapter.countTitles());
  }
  factsByIds(...args: Parameters<Store['factsByIds']>) {
    return this.read('factsByIds', args, this.adapter.factsByIds(...args));
  }
  ratingsByIds(...args: Parameters<Store['ratingsByIds']>) {
    return this.read('ratingsByIds', args, this.adapter.ratingsByIds(...args));
  }
  ratingsOfVoter(...args: Parameters<Store['ratingsOfVoter']>) {
    return this.read('ratingsOfVoter', args, this.adapter.ratingsOfVoter(...args));
  }
  ratingsByTarget(...args: Parameters<Store['ratingsByTarget']>) {
    return this.read('ratingsByTarget', args, this.adapter.ratingsByTarget(...args));
  }
  curatedTitlesByIds(...args: Parameters<Store['curatedTitlesByIds']>) {
    return this.read('curatedTitlesByIds', args, this.adapter.curatedTitlesByIds(...args));
  }
  commentsOf(...args: Parameters<Store['commentsOf']>) {
    return this.read('commentsOf', args, this.adapter.commentsOf(...args));
  }
  changesOfTitle(...args: Parameters<Store['changesOfTitle']>) {
    return this.read('changesOfTitle', args, this.adapter.changesOfTitle(...args));
  }
  changesByIds(...args: Parameters<Store['changesByIds']>) {
    return this.read('changesByIds', args, this.adapter.changesByIds(...args));
  }
  // Editors' reads of reports and the queue: never kept.
  openReportsOfFacts(...args: Parameters<Store['openReportsOfFacts']>) {
    return this.read('openReportsOfFacts', args, this.adapter.openReportsOfFacts(...args));
  }
  reportsByIds(...args: Parameters<Store['reportsByIds']>) {
    return this.read('reportsByIds', args, this.adapter.reportsByIds(...args));
  }
  reviewQueue(...args: Parameters<Store['reviewQueue']>) {
    return this.read('reviewQueue', args, this.adapter.reviewQueue(...args));
  }

  // Writes: passed on, then what they changed is invalidated.
  upsertRating(...args: Parameters<Store['upsertRating']>) {
    return this.write('upsertRating', args, () => this.adapter.upsertRating(...args));
  }
  rebuildAggregates(...args: Parameters<Store['rebuildAggregates']>) {
    return this.write('rebuildAggregates', args, () => this.adapter.rebuildAggregates(...args));
  }
  saveTmdbSnapshot(...args: Parameters<Store['saveTmdbSnapshot']>) {
    return this.write('saveTmdbSnapshot', args, () => this.adapter.saveTmdbSnapshot(...args));
  }
  editTitles(...args: Parameters<Store['editTitles']>) {
    return this.write('editTitles', args, () => this.adapter.editTitles(...args));
  }
  moderateRating(...args: Parameters<Store['moderateRating']>) {
    return this.write('moderateRating', args, () => this.adapter.moderateRating(...args));
  }
  fileReport(...args: Parameters<Store['fileReport']>) {
    return this.write('fileReport', args, () => this.adapter.fileReport(...args));
  }
  transitionReview(...args: Parameters<Store['transitionReview']>) {
    return this.write('transitionReview', args, () => this.adapter.transitionReview(...args));
  }
  useQueueThreshold(...args: Parameters<Store['useQueueThreshold']>) {
    return this.write('useQueueThreshold', args, () => this.adapter.useQueueThreshold(...args));
  }
  putReviewRecords(...args: Parameters<Store['putReviewRecords']>) {
    return this.write('putReviewRecords', args, () => this.adapter.putReviewRecords(...args));
  }

  // Neither: iterations for exports and copies, outside requests.
  allReports() {
    return this.adapter.allReports();
  }
  allResolutions() {
    return this.adapter.allResolutions();
  }
  resolutionsByIds(...args: Parameters<Store['resolutionsByIds']>) {
    return this.adapter.resolutionsByIds(...args);
  }
  ping() {
    return this.adapter.ping();
  }
  close() {
    return this.adapter.close();
  }

  /** A read's answer, its tags noted for the request being answered. */
  private async read<T>(method: StoreMethod, args: unknown[], pending: Promise<T>): Promise<T> {
    const answer = await pending;
    noteRead(this.reads, readTags(method, args, answer));
    return answer;
  }

  /** A write's answer, once what it changed is invalidated (also when it threw). */
  private async write<T>(method: StoreMethod, args: unknown[], run: () => Promise<T>): Promise<T> {
    let answer: T | undefined;
    try {
      answer = await run();
      return answer;
    } finally {
      this.freshness.invalidate(writtenTags(method, args, answer));
    }
  }

  /**
   * A keyed read: each key's current kept record (its tags and read time
   * noted for the request), the other keys read from the adapter in one call
   * and kept unless a write to them ran meanwhile.
   */
  private async kept<T>(
    method: KeptMethod,
    keys: readonly string[],
    readFromAdapter: (keys: readonly string[]) => Promise<T[]>,
  ): Promise<T[]> {
    if (!this.entries) return this.read(method, [keys], readFromAdapter(keys));
    const now = Date.now();
    const answers: unknown[] = new Array(keys.length);
    const missing: string[] = [];
    const missingAt: number[] = [];
    keys.forEach((key, i) => {
      const entry = this.current(`${method}\n${key}`, now);
      if (entry) {
        this.counts.hits += 1;
        noteRead(this.reads, entry.tags, entry.readAt);
        answers[i] = entry.answer;
        // Found current now: as good as read now (every write would have invalidated it).
        if (this.options!.exact) {
          entry.readAt = now;
          entry.bornAt = this.freshness.now;
        }
      } else {
        missing.push(key);
        missingAt.push(i);
      }
    });
    this.counts.misses += missing.length;
    if (missing.length === 0) return answers as T[];

    const bornAt = this.freshness.now;
    const loaded = await (readFromAdapter as KeyedRead)(missing);
    loaded.forEach((answer, j) => {
      const key = missing[j];
      answers[missingAt[j]] = answer;
      const tags = readTags(method, [[key]], [answer]);
      noteRead(this.reads, tags);
      // Nothing found is not kept; nor what a write changed while it was read.
      if (answer === null || !this.freshness.unchanged(bornAt, tags)) return;
      this.entries!.set(`${method}\n${key}`, {
        answer: deepFreeze(answer),
        tags,
        bornAt,
        readAt: now,
      });
    });
    return answers as T[];
  }

  private current(key: string, now: number): Entry | undefined {
    const entry = this.entries!.get(key);
    if (!entry) return undefined;
    if (
      now - entry.readAt < this.options!.maxAgeMs &&
      this.freshness.unchanged(entry.bornAt, entry.tags)
    ) {
      return entry;
    }
    this.entries!.delete(key);
    return undefined;
  }
}

function deepFreeze<T>(value: T): T {
  if (value === null || typeof value !== 'object' || Object.isFrozen(value)) return value;
  for (const inner of Object.values(value)) deepFreeze(inner);
  return Object.freeze(value);
}
