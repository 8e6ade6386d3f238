import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { CircuitStatus, TmdbMetrics } from './tmdb';

/** An operation as the log and the metrics name it. */
export interface OperationName {
  type: string;
  name: string;
}

/** What the response cache (src/cache/responses.ts) reports. */
export interface ResponseCacheMetrics {
  lookup(result: 'hit' | 'miss'): void;
  /** Lets the metrics read the cache's size when scraped. */
  watchSize(read: () => { bytes: number; entries: number }): void;
}

/** What the record cache (src/cache/records.ts) reports. */
export interface RecordCacheMetrics {
  /**
   * Lets the metrics read, when scraped, the keys answered from memory (hits)
   * and from the store (misses) so far, and the keys kept: counted by the
   * cache itself, since a labelled counter's increment costs more than a hit.
   */
  watch(read: () => { hits: number; misses: number; entries: number }): void;
}

/**
 * Prometheus metrics (GET /metrics), one registry per app so that tests can
 * build several apps in one process. Label values are bounded: operation
 * names come from clients, so only the first MAX_OPERATION_NAMES distinct
 * names get their own series and the rest count as "other".
 */
export interface Metrics {
  readonly registry: Registry;
  /** A GraphQL operation was answered; type and name are "none" when none was resolved. */
  operationAnswered(type: string, name: string, seconds: number): void;
  /**
   * An operation was answered from the response cache: counted per operation,
   * not timed (a hit takes microseconds, and a labelled histogram's
   * observation cost a tenth of one).
   */
  operationAnsweredFromCache(type: string, name: string): void;
  /** An error with this code was sent to a client. */
  errorSent(code: string): void;
  readonly storeCall: StoreCallObserver;
  readonly tmdb: TmdbMetrics;
  readonly responseCache: ResponseCacheMetrics;
  readonly recordCache: RecordCacheMetrics;
  /**
   * Lets the metrics read, when scraped, the operations run so far per
   * engine (src/graphql/engine/execution.ts): counted by the executor in plain numbers.
   */
  watchExecutions(read: () => Record<'graphql-js' | 'graphql-jit', number>): void;
}

/** A store call's outcome and duration, as the store in front of the adapter reports it (src/cache/observed-store.ts). */
export type StoreCallObserver = (method: string, outcome: 'ok' | 'error', seconds: number) => void;

/**
 * The extensions.code of a refused rating (ErrorCode.RATE_LIMITED in src/graphql/errors.ts,
 * a layer above this one; test/integration/observability.test.ts checks the count).
 */
const RATE_LIMITED = 'RATE_LIMITED';

const MAX_OPERATION_NAMES = 100;
const MAX_LABEL_LENGTH = 64;
const CIRCUIT_STATES: readonly CircuitStatus[] = ['closed', 'half-open', 'open', 'isolated'];

/** Creates the registry with process metrics and the API's own. */
export function createMetrics(): Metrics {
  const registry = new Registry();
  const registers = [registry];
  collectDefaultMetrics({ register: registry });

  const operationDuration = new Histogram({
    name: 'reelcheck_graphql_operation_duration_seconds',
    help: 'Time to answer a GraphQL operation, by operation type and name',
    labelNames: ['operation_type', 'operation_name'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers,
  });
  const errors = new Counter({
    name: 'reelcheck_graphql_errors_total',
    help: 'Errors sent to clients, by extensions.code',
    labelNames: ['code'],
    registers,
  });
  const rateLimitRefusals = new Counter({
    name: 'reelcheck_rate_limit_refusals_total',
    help: 'Ratings refused by the per-client rate limit',
    registers,
  });
  const storeDuration = new Histogram({
    name: 'reelcheck_store_call_duration_seconds',
    help: 'Latency of store calls, by method and outcome',
    labelNames: ['method', 'outcome'],
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers,
  });
  const tmdbRequests = new Counter({
    name: 'reelcheck_tmdb_requests_total',
    help: 'HTTP requests to TMDB, by outcome (ok, or the failure kind)',
    labelNames: ['outcome'],
    registers,
  });
  const tmdbLookups = new Counter({
    name: 'reelcheck_tmdb_cache_lookups_total',
    help: 'TMDB score lookups: hit (fresh cache), stale (known value served, refreshing), miss',
    labelNames: ['result'],
    registers,
  });
  let readCircuit: () => CircuitStatus = () => 'closed';
  new Gauge({
    name: 'reelcheck_tmdb_circuit_state',
    help: 'TMDB circuit breaker: 1 for its current state, 0 for the others',
    labelNames: ['state'],
    registers,
    collect() {
      const current = readCircuit();
      for (const state of CIRCUIT_STATES) this.set({ state }, state === current ? 1 : 0);
    },
  });

  // Counted in plain numbers and handed to prom-client when scraped: a labelled inc() on every
  // lookup was a measurable share of an answer from the cache.
  const lookupsByResult = { hit: 0, miss: 0 };
  new Counter({
    name: 'reelcheck_response_cache_lookups_total',
    help: 'Response cache lookups of anonymous reads: hit (answered from memory) or miss',
    labelNames: ['result'],
    registers,
    collect() {
      this.reset();
      for (const [result, lookups] of Object.entries(lookupsByResult))
        this.inc({ result }, lookups);
    },
  });
  let readCacheSize = () => ({ bytes: 0, entries: 0 });
  new Gauge({
    name: 'reelcheck_response_cache_bytes',
    help: 'Bytes the response cache holds (bodies, headers and keys)',
    registers,
    collect() {
      this.set(readCacheSize().bytes);
    },
  });
  new Gauge({
    name: 'reelcheck_response_cache_entries',
    help: 'Responses the response cache holds',
    registers,
    collect() {
      this.set(readCacheSize().entries);
    },
  });

  let readRecordCache = () => ({ hits: 0, misses: 0, entries: 0 });
  new Counter({
    name: 'reelcheck_record_cache_lookups_total',
    help: 'Record cache lookups, per key a query read: hit (from memory) or miss (from the store)',
    labelNames: ['result'],
    registers,
    collect() {
      const { hits, misses } = readRecordCache();
      this.reset();
      this.inc({ result: 'hit' }, hits);
      this.inc({ result: 'miss' }, misses);
    },
  });
  new Gauge({
    name: 'reelcheck_record_cache_entries',
    help: 'Keys (a title, its facts, its recommendations, a rated target) the record cache holds',
    registers,
    collect() {
      this.set(readRecordCache().entries);
    },
  });

  /** Per operation ("type\nname"), its hits since start: read when scraped. */
  const hitsByOperation = new Map<string, number>();
  new Counter({
    name: 'reelcheck_response_cache_hits_total',
    help: 'Operations answered from the response cache, by operation type and name',
    labelNames: ['operation_type', 'operation_name'],
    registers,
    collect() {
      this.reset();
      for (const [operation, hits] of hitsByOperation) {
        const [type, name] = operation.split('\n');
        this.inc({ operation_type: type, operation_name: name }, hits);
      }
    },
  });

  let readExecutions = () => ({ 'graphql-js': 0, 'graphql-jit': 0 });
  new Counter({
    name: 'reelcheck_graphql_executions_total',
    help: 'Operations run, by engine: graphql-jit (registered documents, compiled at start) or graphql-js (every other document, or with GRAPHQL_JIT=false)',
    labelNames: ['engine'],
    registers,
    collect() {
      this.reset();
      for (const [engine, runs] of Object.entries(readExecutions())) this.inc({ engine }, runs);
    },
  });

  const operationNames = boundedLabel(MAX_OPERATION_NAMES);
  return {
    registry,
    operationAnswered(type, name, seconds) {
      operationDuration.observe(
        { operation_type: type, operation_name: operationNames(name) },
        seconds,
      );
    },
    operationAnsweredFromCache(type, name) {
      const operation = `${type}\n${operationNames(name)}`;
      hitsByOperation.set(operation, (hitsByOperation.get(operation) ?? 0) + 1);
    },
    errorSent(code) {
      errors.inc({ code: code.slice(0, MAX_LABEL_LENGTH) });
      if (code === RATE_LIMITED) rateLimitRefusals.inc();
    },
    storeCall(method, outcome, seconds) {
      storeDuration.observe({ method, outcome }, seconds);
    },
    tmdb: {
      request: (outcome) => tmdbRequests.inc({ outcome }),
      lookup: (result) => tmdbLookups.inc({ result }),
      watchCircuit: (read) => {
        readCircuit = read;
      },
    },
    responseCache: {
      lookup: (result) => {
        lookupsByResult[result] += 1;
      },
      watchSize: (read) => {
        readCacheSize = read;
      },
    },
    recordCache: {
      watch: (read) => {
        readRecordCache = read;
      },
    },
    watchExecutions: (read) => {
      readExecutions = read;
    },
  };
}

/** The value itself (cut to MAX_LABEL_LENGTH) for the first `max` distinct values, then "other". */
function boundedLabel(max: number): (value: string) => string {
  const seen = new Set<string>();
  return (value) => {
    const label = value.slice(0, MAX_LABEL_LENGTH);
    if (seen.has(label)) return label;
    if (seen.size >= max) return 'other';
    seen.add(label);
    return label;
  };
}
