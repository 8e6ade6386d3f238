import net from 'node:net';
import path from 'node:path';
import { z } from 'zod';
import { DEFAULT_QUEUE_THRESHOLD, type QueueThreshold } from './model';
import { schemaFile } from './package-root';

/**
 * The only module that reads process.env. Everything else receives a typed,
 * validated Config, so tests build apps from plain objects and a bad value is
 * reported once, at start, naming the variable.
 */

/** Short enough to guess is too short: 32 hex characters are 128 random bits. */
const MIN_ADMIN_TOKEN_LENGTH = 32;

/** The project's own manifest: the README's title page, the explorer's query, test/operations/. */
export const PROJECT_TRUSTED_DOCUMENTS = schemaFile('trusted-documents.json');

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

const optionalString = z
  .string()
  .trim()
  .transform((value) => (value === '' ? undefined : value))
  .optional();

/** An empty or blank variable counts as unset (so the default applies), as shells often export them. */
const unsetIfBlank = (value: unknown) =>
  typeof value === 'string' && value.trim() === '' ? undefined : value;

const port = z.coerce
  .number({ message: 'must be a number' })
  .int('must be an integer')
  .min(0, 'must be between 0 and 65535')
  .max(65535, 'must be between 0 and 65535');

/** A switch that is on unless set to false. */
const onByDefault = z.preprocess(
  unsetIfBlank,
  z.enum(['true', 'false'], { message: 'must be true or false' }).default('true'),
);

/** A switch that is off unless set to true. */
const offByDefault = z.preprocess(
  unsetIfBlank,
  z.enum(['true', 'false'], { message: 'must be true or false' }).default('false'),
);

/** How long a cache may keep what it read: 1 s to an hour, 2 s unless set. */
const cacheMaxAgeSeconds = z.preprocess(
  unsetIfBlank,
  z.coerce
    .number({ message: 'must be a number' })
    .int('must be an integer')
    .min(1, 'must be between 1 and 3600')
    .max(3600, 'must be between 1 and 3600')
    .default(2),
);

/** An integer greater than 0, `fallback` unless set. */
const positiveInt = (fallback: number) =>
  z.preprocess(
    unsetIfBlank,
    z.coerce
      .number({ message: 'must be a number' })
      .int('must be an integer')
      .min(1, 'must be greater than 0')
      .default(fallback),
  );

/** A number from 0 to 1 (a share), `fallback` unless set. */
const share = (fallback: number) =>
  z.preprocess(
    unsetIfBlank,
    z.coerce
      .number({ message: 'must be a number' })
      .min(0, 'must be a number from 0 to 1')
      .max(1, 'must be a number from 0 to 1')
      .default(fallback),
  );

const httpUrl = optionalString.refine(
  (value) => value === undefined || /^https?:\/\/[^/\s]+/i.test(value),
  'must be an http:// or https:// URL',
);

const envSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  PORT: z.preprocess(unsetIfBlank, port.default(4000)),
  HOST: optionalString.default('0.0.0.0'),
  DATA_DIR: optionalString.default('./data'),
  LOG_LEVEL: z
    .enum(LOG_LEVELS, { message: `must be one of ${LOG_LEVELS.join(', ')}` })
    .default('info'),
  MONGODB_URI: optionalString.refine(
    (value) => value === undefined || /^mongodb(\+srv)?:\/\/\S+$/.test(value),
    'must start with mongodb:// or mongodb+srv://',
  ),
  MONGODB_DB: optionalString,
  MONGODB_SERVER_SELECTION_TIMEOUT_MS: positiveInt(5000),
  TMDB_API_BASE_URL: httpUrl.default('https://api.themoviedb.org/3'),
  TMDB_API_TOKEN: optionalString,
  TMDB_API_KEY: optionalString,
  TMDB_TIMEOUT_MS: positiveInt(2000),
  TMDB_CACHE_TTL_SECONDS: positiveInt(21600),
  TMDB_MAX_CONCURRENCY: positiveInt(8),
  ADMIN_TOKEN: optionalString.refine(
    (value) => value === undefined || value.length >= MIN_ADMIN_TOKEN_LENGTH,
    `must be at least ${MIN_ADMIN_TOKEN_LENGTH} characters: generate one with openssl rand -hex 32`,
  ),
  RATINGS_RATE_LIMIT_PER_MINUTE: positiveInt(60),
  REVIEW_QUEUE_MIN_RATINGS: positiveInt(DEFAULT_QUEUE_THRESHOLD.minRatings),
  REVIEW_QUEUE_MIN_LOWER_BOUND: share(DEFAULT_QUEUE_THRESHOLD.minLowerBound),
  EXPLORER: onByDefault,
  RESPONSE_CACHE: onByDefault,
  RESPONSE_CACHE_MAX_AGE_SECONDS: cacheMaxAgeSeconds,
  RESPONSE_CACHE_MAX_MB: positiveInt(64),
  RECORD_CACHE: onByDefault,
  RECORD_CACHE_MAX_AGE_SECONDS: cacheMaxAgeSeconds,
  RECORD_CACHE_MAX_MB: positiveInt(32),
  GRAPHQL_JIT: onByDefault,
  TRUSTED_DOCUMENTS: optionalString,
  TRUSTED_DOCUMENTS_ONLY: offByDefault,
  CORS_ORIGINS: z.preprocess(
    unsetIfBlank,
    z
      .string()
      .trim()
      .default('*')
      .refine(
        isCorsOrigins,
        'must be * or a comma-separated list of origins such as https://app.example.com (scheme, host and port only)',
      ),
  ),
  HTTP_HEADERS_TIMEOUT_MS: positiveInt(10_000),
  HTTP_REQUEST_TIMEOUT_MS: positiveInt(30_000),
  HTTP_KEEP_ALIVE_TIMEOUT_MS: positiveInt(5_000),
  HTTP_MAX_CONNECTIONS: positiveInt(1_024),
  TRUST_PROXY: optionalString.refine(
    (value) => value === undefined || isTrustProxyValue(value),
    'must be true, false, a hop count, or a comma-separated list of IP addresses, subnets (10.0.0.0/8) or loopback / linklocal / uniquelocal',
  ),
});

/** Rules between variables, checked once each variable is valid. */
const checkedEnvSchema = envSchema
  .refine((env) => env.HTTP_HEADERS_TIMEOUT_MS <= env.HTTP_REQUEST_TIMEOUT_MS, {
    message: 'must not exceed HTTP_REQUEST_TIMEOUT_MS (the headers are part of the request)',
    path: ['HTTP_HEADERS_TIMEOUT_MS'],
  })
  .refine(
    (env) =>
      env.RESPONSE_CACHE === 'false' ||
      env.RECORD_CACHE === 'false' ||
      env.RECORD_CACHE_MAX_AGE_SECONDS <= env.RESPONSE_CACHE_MAX_AGE_SECONDS,
    {
      message:
        'must not exceed RESPONSE_CACHE_MAX_AGE_SECONDS (an answer expires by its oldest record, so an older record could not be kept in an answer)',
      path: ['RECORD_CACHE_MAX_AGE_SECONDS'],
    },
  );

export interface Config {
  nodeEnv: 'development' | 'production' | 'test';
  port: number;
  host: string;
  dataDir: string;
  logLevel: (typeof LOG_LEVELS)[number];
  mongo: { uri: string; dbName?: string; serverSelectionTimeoutMs: number } | null;
  tmdb: {
    baseUrl: string;
    /** v4 read access token, sent as a Bearer header. Secret. */
    apiToken?: string;
    /** v3 API key, sent as the api_key query parameter. Secret. */
    apiKey?: string;
    timeoutMs: number;
    cacheTtlSeconds: number;
    maxConcurrency: number;
  };
  adminToken?: string;
  /** Per client, for ratings and reports together (one budget: src/ratings/rate-limit.ts). */
  ratings: { rateLimitPerMinute: number };
  /**
   * The review queue (docs/reviews.md): when ratings alone queue a fact, at
   * least `minRatings` since its last review whose low share's lower bound is
   * at least `minLowerBound` (REVIEW_QUEUE_MIN_RATINGS, REVIEW_QUEUE_MIN_LOWER_BOUND).
   * The store is told at start (StoreBootstrap) and re-flags every fact when it changed.
   */
  reviews: { queueThreshold: QueueThreshold };
  /**
   * "trust proxy" value as Express reads it: false (the socket address is the client), a hop
   * count, or a comma-separated list of proxy addresses/subnets.
   */
  trustProxy: boolean | number | string;
  /** Serve GraphiQL (offline, from our own assets) to browsers at GET /graphql. */
  explorer: boolean;
  /**
   * Whole responses of anonymous reads kept in memory (src/cache/responses.ts);
   * null with RESPONSE_CACHE=false. maxAgeSeconds bounds how stale an answer
   * can be after another process's write (and is the max-age CDNs get).
   */
  responseCache: { maxAgeSeconds: number; maxBytes: number } | null;
  /**
   * The records title pages read, kept in memory per key (src/cache/records.ts);
   * null with RECORD_CACHE=false. maxAgeSeconds bounds how stale a record can
   * be after another process's write (at most the response cache's);
   * maxBytes bounds the records kept, as JSON.
   */
  recordCache: { maxAgeSeconds: number; maxBytes: number } | null;
  /**
   * Trusted documents' operations run compiled by graphql-jit, compiled at
   * start (src/graphql/engine/execution.ts); false with GRAPHQL_JIT=false: every
   * operation runs on graphql-js. A client's own text is never compiled.
   */
  jit: boolean;
  /**
   * The apps' registered operations (src/graphql/engine/trusted-documents/): the
   * manifest files (TRUSTED_DOCUMENTS, comma-separated; the project's own
   * schema/trusted-documents.json unless set), and whether anonymous clients
   * may send only those (TRUSTED_DOCUMENTS_ONLY).
   */
  trustedDocuments: { files: string[]; only: boolean };
  http: {
    /** '*' (any origin; no credentials are used) or the origins allowed to call from a browser. */
    corsOrigins: '*' | string[];
    /** Time allowed to receive a request's headers, and the whole request; then 408 and close. */
    headersTimeoutMs: number;
    requestTimeoutMs: number;
    /** How long an idle keep-alive connection stays open. */
    keepAliveTimeoutMs: number;
    /** Connections beyond this are closed at once. */
    maxConnections: number;
  };
}

/** Thrown by loadConfig; its message lists every bad variable, never a secret's value. */
export class ConfigError extends Error {
  constructor(public readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

const PROXY_NAMES = new Set(['loopback', 'linklocal', 'uniquelocal']);

/** What Express's "trust proxy" accepts (src/http/client-address.ts reads it the same way), checked here so a typo stops the start with its name. */
function isTrustProxyValue(raw: string): boolean {
  if (/^(true|false|\d+)$/.test(raw)) return true;
  return raw.split(',').every((part) => {
    const entry = part.trim();
    if (PROXY_NAMES.has(entry)) return true;
    const [address, bits, ...rest] = entry.split('/');
    const family = net.isIP(address);
    if (family === 0 || rest.length > 0) return false;
    if (bits === undefined) return true;
    const max = family === 4 ? 32 : 128;
    return /^\d+$/.test(bits) && Number(bits) <= max;
  });
}

/** CORS_ORIGINS: `*`, or origins as a browser sends them (no path, no trailing slash). */
function isCorsOrigins(raw: string): boolean {
  return raw === '*' || raw.split(',').every((part) => isOrigin(part.trim()));
}

function isOrigin(value: string): boolean {
  try {
    const url = new URL(value);
    return /^https?:$/.test(url.protocol) && url.origin === value;
  } catch {
    return false;
  }
}

/** TRUST_PROXY: unset/false -> do not trust X-Forwarded-For; a number -> hops; else addresses. */
function parseTrustProxy(raw: string | undefined): boolean | number | string {
  if (raw === undefined || raw === 'false' || raw === '0') return false;
  if (raw === 'true') return true;
  if (/^\d+$/.test(raw)) return Number(raw);
  return raw;
}

/** Reads and validates the environment; throws ConfigError naming each bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = checkedEnvSchema.safeParse(env);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`),
    );
  }
  const e = parsed.data;
  return {
    nodeEnv: e.NODE_ENV,
    port: e.PORT,
    host: e.HOST,
    dataDir: path.resolve(e.DATA_DIR),
    logLevel: e.LOG_LEVEL,
    mongo: e.MONGODB_URI
      ? {
          uri: e.MONGODB_URI,
          dbName: e.MONGODB_DB,
          serverSelectionTimeoutMs: e.MONGODB_SERVER_SELECTION_TIMEOUT_MS,
        }
      : null,
    tmdb: {
      baseUrl: e.TMDB_API_BASE_URL.replace(/\/+$/, ''),
      apiToken: e.TMDB_API_TOKEN,
      apiKey: e.TMDB_API_KEY,
      timeoutMs: e.TMDB_TIMEOUT_MS,
      cacheTtlSeconds: e.TMDB_CACHE_TTL_SECONDS,
      maxConcurrency: e.TMDB_MAX_CONCURRENCY,
    },
    adminToken: e.ADMIN_TOKEN,
    ratings: { rateLimitPerMinute: e.RATINGS_RATE_LIMIT_PER_MINUTE },
    reviews: {
      queueThreshold: {
        minRatings: e.REVIEW_QUEUE_MIN_RATINGS,
        minLowerBound: e.REVIEW_QUEUE_MIN_LOWER_BOUND,
      },
    },
    trustProxy: parseTrustProxy(e.TRUST_PROXY),
    explorer: e.EXPLORER === 'true',
    responseCache:
      e.RESPONSE_CACHE === 'true'
        ? {
            maxAgeSeconds: e.RESPONSE_CACHE_MAX_AGE_SECONDS,
            maxBytes: e.RESPONSE_CACHE_MAX_MB * 1024 * 1024,
          }
        : null,
    recordCache:
      e.RECORD_CACHE === 'true'
        ? {
            maxAgeSeconds: e.RECORD_CACHE_MAX_AGE_SECONDS,
            maxBytes: e.RECORD_CACHE_MAX_MB * 1024 * 1024,
          }
        : null,
    jit: e.GRAPHQL_JIT === 'true',
    trustedDocuments: {
      files: (e.TRUSTED_DOCUMENTS?.split(',') ?? [PROJECT_TRUSTED_DOCUMENTS])
        .map((file) => file.trim())
        .filter((file) => file !== ''),
      only: e.TRUSTED_DOCUMENTS_ONLY === 'true',
    },
    http: {
      corsOrigins: e.CORS_ORIGINS === '*' ? '*' : e.CORS_ORIGINS.split(',').map((o) => o.trim()),
      headersTimeoutMs: e.HTTP_HEADERS_TIMEOUT_MS,
      requestTimeoutMs: e.HTTP_REQUEST_TIMEOUT_MS,
      keepAliveTimeoutMs: e.HTTP_KEEP_ALIVE_TIMEOUT_MS,
      maxConnections: e.HTTP_MAX_CONNECTIONS,
    },
  };
}

/** Values a secret must never be logged with; used by the logger's redaction and by tests. */
export function secretsOf(config: Config): string[] {
  const secrets = [
    config.tmdb.apiToken,
    config.tmdb.apiKey,
    config.adminToken,
    ...mongoPasswords(config),
  ];
  return [...new Set(secrets)].filter((s): s is string => typeof s === 'string' && s.length > 0);
}

/**
 * The password in a MongoDB URI, as written and decoded. Parsed by hand: WHATWG
 * URL rejects multi-host (replica set) URIs like mongodb://u:p@h1,h2/db.
 */
function mongoPasswords(config: Config): string[] {
  const match = config.mongo && /^mongodb(?:\+srv)?:\/\/[^:@/]*:([^@/]+)@/.exec(config.mongo.uri);
  if (!match) return [];
  const raw = match[1];
  try {
    return [raw, decodeURIComponent(raw)];
  } catch {
    return [raw];
  }
}
