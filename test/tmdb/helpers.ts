import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { loadConfig, type Config } from '../../src/config';
import { startFakeTmdb, type FakeTmdb } from '../fakes/fake-tmdb';
import { errorCodeOf } from '../../src/graphql/pipeline/format-error';
import { createLogger, type Logger } from '../../src/logger';
import type { MediaType, TmdbSnapshot } from '../../src/model';
import { TmdbScores, type TmdbScoreRequest, type TmdbScoresOptions } from '../../src/tmdb';

/** Distinctive credentials: if they show up in a log line or an error, something leaked. */
export const TOKEN = 'tmdb-token-7f3a9c-DO-NOT-LOG';
export const API_KEY = 'tmdb-apikey-52e1d9-DO-NOT-LOG';

/** Timings small enough for tests; individual tests override what they exercise. */
export const FAST_RESILIENCE: NonNullable<TmdbScoresOptions['resilience']> = {
  maxRetries: 2,
  backoffBaseMs: 10,
  backoffMaxMs: 40,
  breakerThreshold: 5,
  breakerCooldownMs: 300,
  defaultRetryAfterMs: 1000,
};

/** A clock the test moves by hand, so TTLs and Retry-After pauses pass without sleeping. */
export class FakeClock {
  private ms = Date.parse('2025-06-01T12:00:00Z');
  readonly now = (): number => this.ms;
  advance(ms: number): void {
    this.ms += ms;
  }
}

/** A full Config as loadConfig builds it from the environment. */
export function testConfig(env: Record<string, string | undefined>): Config {
  return loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'trace', ...env } as NodeJS.ProcessEnv);
}

/** A real (createLogger) logger whose JSON lines are collected in `lines`. */
export function capturingLogger(config: Config): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  const logger = createLogger(config, { write: (line: string) => void lines.push(line) });
  return { logger, lines };
}

export interface ServiceSetup {
  scores: TmdbScores;
  clock: FakeClock;
  config: Config;
  logs: string[];
  saved: Array<{ titleId: string; snapshot: TmdbSnapshot }>;
}

export interface SetupOptions {
  baseUrl: string;
  env?: Record<string, string | undefined>;
  resilience?: TmdbScoresOptions['resilience'];
  saveSnapshot?: TmdbScoresOptions['saveSnapshot'];
  /** Logger config; defaults to the service's own config (which knows the secrets). */
  loggerConfig?: Config;
}

/**
 * Builds services and closes them all in one call (afterEach), so no test
 * leaves background fetches or sockets behind.
 */
export function serviceFactory() {
  const services: TmdbScores[] = [];
  const create = (options: SetupOptions): ServiceSetup => {
    const config = testConfig({
      TMDB_API_BASE_URL: options.baseUrl,
      TMDB_API_TOKEN: TOKEN,
      // Far above the fake's latency even on a loaded machine; tests of timeouts set their own.
      TMDB_TIMEOUT_MS: '10000',
      TMDB_CACHE_TTL_SECONDS: '60',
      TMDB_MAX_CONCURRENCY: '8',
      ...options.env,
    });
    const { logger, lines } = capturingLogger(options.loggerConfig ?? config);
    const clock = new FakeClock();
    const saved: ServiceSetup['saved'] = [];
    const scores = new TmdbScores({
      config: config.tmdb,
      logger,
      now: clock.now,
      resilience: { ...FAST_RESILIENCE, ...options.resilience },
      saveSnapshot:
        options.saveSnapshot ??
        (async (titleId, snapshot) => {
          saved.push({ titleId, snapshot });
        }),
    });
    services.push(scores);
    return { scores, clock, config, logs: lines, saved };
  };
  const closeAll = async () => {
    await Promise.all(services.splice(0).map((service) => service.close()));
  };
  return { create, closeAll };
}

export function scoreRequest(
  mediaType: MediaType,
  tmdbId: number,
  snapshot: TmdbSnapshot | null = null,
  titleId = `title-${mediaType.toLowerCase()}-${tmdbId}`,
): TmdbScoreRequest {
  return { titleId, tmdbId, mediaType, snapshot };
}

/** Settles a load as a value or an error, so a test can inspect failures without try/catch. */
export async function settle<T>(promise: Promise<T>): Promise<{ value?: T; error?: unknown }> {
  try {
    return { value: await promise };
  } catch (error) {
    return { error };
  }
}

/** The extensions.code a client would see for `error` (the TMDB layer throws domain errors). */
export function errorCode(error: unknown): unknown {
  return error === undefined ? undefined : errorCodeOf(error);
}

/** One JSON log line as pino writes it (level 40 = warn, 50 = error). */
export interface LogRecord {
  level: number;
  msg: string;
  [field: string]: unknown;
}

/** The captured lines as records, so a test can count warnings and errors. */
export function logRecords(lines: readonly string[]): LogRecord[] {
  return lines.map((line) => JSON.parse(line) as LogRecord);
}

/** Records at warn level or above: what an operator sees, and what must not repeat per page view. */
export function warnings(lines: readonly string[]): LogRecord[] {
  return logRecords(lines).filter((record) => record.level >= 40);
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls until `check` holds or `timeoutMs` passes; for effects observed from outside (sockets). */
export async function eventually(check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await sleep(10);
  }
}

/** A local URL where nothing listens: connecting to it is refused. */
export async function refusedBaseUrl(): Promise<string> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}/3`;
}

/**
 * The scaffolding every TmdbScores suite needs: one fake TMDB for the describe
 * block (reset after each test) and services built against it (closed after
 * each test). `setup` builds a service whose base URL is the fake's.
 */
export function useFakeTmdb() {
  const services = serviceFactory();
  let fake: FakeTmdb | undefined;
  beforeAll(async () => {
    fake = await startFakeTmdb();
  });
  afterEach(async () => {
    await services.closeAll();
    fake?.reset();
  });
  afterAll(() => fake?.close());
  return {
    get fake(): FakeTmdb {
      if (!fake)
        throw new Error('useFakeTmdb: the fake TMDB starts in beforeAll; use it inside tests');
      return fake;
    },
    services,
    setup: (options: Omit<SetupOptions, 'baseUrl'> = {}) =>
      services.create({ baseUrl: fake!.baseUrl, ...options }),
  };
}

/**
 * A gate for the fake's `until` behavior: TMDB's answer is held back until
 * release(). Whatever resolves before release() provably did not wait for
 * TMDB, with no clock involved (a page that did wait would never resolve).
 */
export function heldAnswer(): { until: Promise<void>; release(): void } {
  let release!: () => void;
  const until = new Promise<void>((resolve) => (release = resolve));
  return { until, release };
}
