import { ConfigError, loadConfig, PROJECT_TRUSTED_DOCUMENTS, secretsOf } from '../../src/config';

describe('loadConfig', () => {
  it('has working defaults with an empty environment', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      port: 4000,
      host: '0.0.0.0',
      logLevel: 'info',
      mongo: null,
      trustProxy: false,
      ratings: { rateLimitPerMinute: 60 },
      tmdb: { baseUrl: 'https://api.themoviedb.org/3', timeoutMs: 2000, cacheTtlSeconds: 21600 },
    });
    expect(config.dataDir).toMatch(/data$/);
  });

  it('names every bad variable and never echoes secrets', () => {
    let error: unknown;
    try {
      loadConfig({
        PORT: 'eighty',
        LOG_LEVEL: 'loud',
        MONGODB_URI: 'postgres://user:s3cret@host/db',
        TMDB_TIMEOUT_MS: '-5',
      });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as ConfigError).message;
    for (const name of ['PORT', 'LOG_LEVEL', 'MONGODB_URI', 'TMDB_TIMEOUT_MS']) {
      expect(message).toContain(name);
    }
    expect(message).not.toContain('s3cret');
  });

  it('has HTTP limits and CORS defaults, and reads them', () => {
    expect(loadConfig({}).http).toEqual({
      corsOrigins: '*',
      headersTimeoutMs: 10_000,
      requestTimeoutMs: 30_000,
      keepAliveTimeoutMs: 5_000,
      maxConnections: 1_024,
    });
    const config = loadConfig({
      CORS_ORIGINS: 'https://app.example, http://localhost:3000',
      HTTP_HEADERS_TIMEOUT_MS: '2000',
      HTTP_REQUEST_TIMEOUT_MS: '4000',
      HTTP_KEEP_ALIVE_TIMEOUT_MS: '65000',
      HTTP_MAX_CONNECTIONS: '10',
    });
    expect(config.http).toEqual({
      corsOrigins: ['https://app.example', 'http://localhost:3000'],
      headersTimeoutMs: 2000,
      requestTimeoutMs: 4000,
      keepAliveTimeoutMs: 65000,
      maxConnections: 10,
    });
  });

  it.each([
    ['CORS_ORIGINS', { CORS_ORIGINS: 'https://app.example/path' }],
    ['CORS_ORIGINS', { CORS_ORIGINS: 'app.example' }],
    ['CORS_ORIGINS', { CORS_ORIGINS: '*, https://app.example' }],
    ['HTTP_MAX_CONNECTIONS', { HTTP_MAX_CONNECTIONS: '0' }],
    ['HTTP_HEADERS_TIMEOUT_MS', { HTTP_HEADERS_TIMEOUT_MS: '40000' }],
  ])('refuses a bad %s', (name, env) => {
    expect(() => loadConfig(env)).toThrow(new RegExp(`${name}: `));
  });

  it('has both caches on by default, reads their settings, and keeps records no older than answers', () => {
    const defaults = loadConfig({});
    expect(defaults.responseCache).toEqual({ maxAgeSeconds: 2, maxBytes: 64 * 1024 * 1024 });
    expect(defaults.recordCache).toEqual({ maxAgeSeconds: 2, maxBytes: 32 * 1024 * 1024 });
    expect(
      loadConfig({
        RESPONSE_CACHE_MAX_AGE_SECONDS: '10',
        RECORD_CACHE_MAX_AGE_SECONDS: '5',
        RECORD_CACHE_MAX_MB: '8',
      }).recordCache,
    ).toEqual({ maxAgeSeconds: 5, maxBytes: 8 * 1024 * 1024 });
    expect(loadConfig({ RECORD_CACHE: 'false' }).recordCache).toBeNull();
    expect(() => loadConfig({ RECORD_CACHE_MAX_AGE_SECONDS: '3' })).toThrow(
      /RECORD_CACHE_MAX_AGE_SECONDS: must not exceed RESPONSE_CACHE_MAX_AGE_SECONDS/,
    );
    // Without the response cache, records may be kept as long as configured.
    expect(
      loadConfig({ RESPONSE_CACHE: 'false', RECORD_CACHE_MAX_AGE_SECONDS: '3' }).recordCache,
    ).toMatchObject({ maxAgeSeconds: 3 });
    expect(() => loadConfig({ RECORD_CACHE: 'maybe', RECORD_CACHE_MAX_MB: '0' })).toThrow(
      /RECORD_CACHE[\s\S]*RECORD_CACHE_MAX_MB/,
    );
  });

  it('compiles registered documents with graphql-jit unless told otherwise', () => {
    expect(loadConfig({}).jit).toBe(true);
    expect(loadConfig({ GRAPHQL_JIT: 'false' }).jit).toBe(false);
    expect(() => loadConfig({ GRAPHQL_JIT: 'yes' })).toThrow(/GRAPHQL_JIT: must be true or false/);
  });

  it("registers the project's manifest unless told which, and enforces nothing unless told", () => {
    expect(loadConfig({}).trustedDocuments).toEqual({
      files: [PROJECT_TRUSTED_DOCUMENTS],
      only: false,
    });
    expect(
      loadConfig({ TRUSTED_DOCUMENTS: ' web.json, ios.json ,', TRUSTED_DOCUMENTS_ONLY: 'true' })
        .trustedDocuments,
    ).toEqual({ files: ['web.json', 'ios.json'], only: true });
    expect(() => loadConfig({ TRUSTED_DOCUMENTS_ONLY: 'on' })).toThrow(
      /TRUSTED_DOCUMENTS_ONLY: must be true or false/,
    );
  });

  it('reads the review queue threshold, 10 ratings and a lower bound of 0.3 unless set', () => {
    expect(loadConfig({}).reviews).toEqual({
      queueThreshold: { minRatings: 10, minLowerBound: 0.3 },
    });
    expect(
      loadConfig({ REVIEW_QUEUE_MIN_RATINGS: '25', REVIEW_QUEUE_MIN_LOWER_BOUND: '0.45' }).reviews,
    ).toEqual({ queueThreshold: { minRatings: 25, minLowerBound: 0.45 } });
    expect(loadConfig({ REVIEW_QUEUE_MIN_LOWER_BOUND: ' ' }).reviews.queueThreshold).toEqual({
      minRatings: 10,
      minLowerBound: 0.3,
    });
  });

  it.each([
    ['REVIEW_QUEUE_MIN_RATINGS', '0', 'must be greater than 0'],
    ['REVIEW_QUEUE_MIN_RATINGS', '2.5', 'must be an integer'],
    ['REVIEW_QUEUE_MIN_RATINGS', 'ten', 'must be a number'],
    ['REVIEW_QUEUE_MIN_LOWER_BOUND', '1.2', 'must be a number from 0 to 1'],
    ['REVIEW_QUEUE_MIN_LOWER_BOUND', '-0.1', 'must be a number from 0 to 1'],
    ['REVIEW_QUEUE_MIN_LOWER_BOUND', 'high', 'must be a number'],
  ])('refuses to start with %s=%s, naming it', (name, value, message) => {
    expect(() => loadConfig({ [name]: value })).toThrow(ConfigError);
    expect(() => loadConfig({ [name]: value })).toThrow(`${name}: ${message}`);
  });

  it('rejects a port out of range', () => {
    expect(() => loadConfig({ PORT: '70000' })).toThrow(/PORT/);
  });

  const ADMIN_TOKEN = '0f1e2d3c4b5a69788796a5b4c3d2e1f0';

  it('selects MongoDB when MONGODB_URI is set and collects secrets for redaction', () => {
    const config = loadConfig({
      MONGODB_URI: 'mongodb://app:p%40ss@db.example:27017/reelcheck',
      TMDB_API_TOKEN: 'tok',
      TMDB_API_KEY: 'key',
      ADMIN_TOKEN: ADMIN_TOKEN,
    });
    expect(config.mongo).toMatchObject({ uri: 'mongodb://app:p%40ss@db.example:27017/reelcheck' });
    expect(secretsOf(config).sort()).toEqual([ADMIN_TOKEN, 'key', 'p%40ss', 'p@ss', 'tok']);
  });

  it('refuses an ADMIN_TOKEN shorter than 32 characters, saying how to make one, not echoing it', () => {
    const short = 'x'.repeat(31);
    let message = '';
    try {
      loadConfig({ ADMIN_TOKEN: short });
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toContain(
      'ADMIN_TOKEN: must be at least 32 characters: generate one with openssl rand -hex 32',
    );
    expect(message).not.toContain(short);
    expect(() => loadConfig({ ADMIN_TOKEN: 'a' })).toThrow(/ADMIN_TOKEN/);
    expect(loadConfig({ ADMIN_TOKEN: 'x'.repeat(32) }).adminToken).toBe('x'.repeat(32));
  });

  it('finds the MongoDB password in a replica-set URI too', () => {
    const config = loadConfig({
      MONGODB_URI: 'mongodb://u:s3cret@h1:27017,h2:27017/db?replicaSet=rs0',
    });
    expect(secretsOf(config)).toEqual(['s3cret']);
  });

  it('treats blank numbers as unset and rejects non-http TMDB URLs and bad TRUST_PROXY values', () => {
    expect(loadConfig({ PORT: '', TMDB_TIMEOUT_MS: ' ' })).toMatchObject({
      port: 4000,
      tmdb: { timeoutMs: 2000 },
    });
    expect(() => loadConfig({ TMDB_API_BASE_URL: 'ftp://x' })).toThrow(/TMDB_API_BASE_URL/);
    expect(() => loadConfig({ TRUST_PROXY: 'yes' })).toThrow(/TRUST_PROXY/);
    expect(() => loadConfig({ TRUST_PROXY: '10.0.0.0/33' })).toThrow(/TRUST_PROXY/);
  });

  it.each([
    [undefined, false],
    ['false', false],
    ['true', true],
    ['2', 2],
    ['loopback, 10.0.0.0/8', 'loopback, 10.0.0.0/8'],
    ['::1, fc00::/7', '::1, fc00::/7'],
  ])('reads TRUST_PROXY=%s as %j', (value, expected) => {
    expect(loadConfig(value === undefined ? {} : { TRUST_PROXY: value }).trustProxy).toEqual(
      expected,
    );
  });
});
