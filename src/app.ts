import type http from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApolloServer } from '@apollo/server';
import { StoreBootstrap } from './bootstrap';
import { type EditorAccess, EditorGate } from './graphql/request/editor-auth';
import { CurationService } from './curation/service';
import { RatingService } from './ratings/service';
import { ReviewService } from './reviews/service';
import { TmdbImporter } from './curation/tmdb-import';
import type { Config } from './config';
import { createErrorFormatter } from './graphql/pipeline/format-error';
import { Explorer } from './http/explorer';
import { cachedVerdicts } from './graphql/pipeline/complexity';
import { QUERY_LIMITS, QUERY_PARSE_OPTIONS } from './graphql/pipeline/limits';
import { apolloPlugins, validationRules } from './graphql/pipeline';
import { type Context, requestContexts } from './graphql/request/context';
import { logAnswered } from './graphql/pipeline/observe-operations';
import { type RateLimitCounters, RatingRateLimiter } from './ratings/rate-limit';
import { buildReelcheckSchema } from './graphql/schema/build';
import { OperationExecutor } from './graphql/engine/execution';
import { KnownQueries } from './graphql/engine/known-queries';
import { RegisteredRequests, TrustedDocuments } from './graphql/engine/trusted-documents';
import { clientAddress, compileTrustProxy } from './http/client-address';
import { graphqlEndpoint } from './http/graphql-endpoint';
import { createRequestHandler } from './http/routes';
import { corsPolicy } from './http/security';
import { createHttpServer } from './http/server';
import type { Logger } from './logger';
import type { Metrics } from './metrics';
import type { ResponseCache } from './cache/responses';
import type { Store } from './store/port';
import { type TmdbScoreSource, TmdbTitles } from './tmdb';

export interface AppDependencies {
  config: Config;
  logger: Logger;
  store: Store;
  tmdb: TmdbScoreSource;
  /**
   * Counters of the per-client limit on rateAccuracy and reportFact (one budget); where they
   * live follows the store (openRatingLimitCounters).
   */
  ratingLimits: RateLimitCounters;
  metrics: Metrics;
  /**
   * Whole responses of anonymous reads (null: RESPONSE_CACHE=false). `store`
   * must be the store in front of the caches, as every reader and writer of
   * the process must use (src/cache/index.ts builds both).
   */
  responseCache: ResponseCache | null;
}

export interface App {
  httpServer: http.Server;
  bootstrap: StoreBootstrap;
  /** Listens on config.host:config.port (0 = any free port); resolves to the base URL. */
  listen(): Promise<string>;
  /** Resolves once the store is ready and seeded after listen(), or when stop() is called first. */
  started(): Promise<void>;
  /** Stops accepting requests, lets in-flight ones finish, then closes the store and TMDB. */
  stop(): Promise<void>;
}

const BODY_LIMIT_BYTES = 100 * 1024;

/**
 * Builds HTTP + Apollo from already-built dependencies. main.ts and the
 * integration tests both build the app through here, so tests exercise the
 * same wiring as production.
 *
 * HTTP is one node:http handler (src/http/routes.ts) in front of Apollo's
 * executeHTTPGraphQLRequest: no framework, so each HTTP rule is written once
 * and a cached page costs its lookup and one write (docs/performance.md).
 */
export async function createApp({
  config,
  logger,
  store,
  tmdb,
  ratingLimits,
  metrics,
  responseCache,
}: AppDependencies): Promise<App> {
  const production = config.nodeEnv === 'production';
  const httpServer = createHttpServer(config.http);
  const bootstrap = new StoreBootstrap(store, logger, config.reviews.queueThreshold);
  // One per-client budget for ratings and reports: one limiter, one set of counters.
  const limiter = new RatingRateLimiter(ratingLimits, logger);
  const ratings = new RatingService(store, limiter);
  const reviews = new ReviewService(store, limiter, config.reviews.queueThreshold);
  const curation = new CurationService(store);
  const editorGate = new EditorGate(config.adminToken);
  const tmdbTitles = new TmdbTitles(config.tmdb, logger);
  const tmdbImporter = new TmdbImporter(store, curation, tmdbTitles);

  const schema = await buildReelcheckSchema();
  const executor = new OperationExecutor(schema, config.jit);
  metrics.watchExecutions(() => executor.counts);
  const rules = validationRules();
  // The apps' registered operations: checked and compiled now, or the start fails naming the document.
  const trusted = TrustedDocuments.load(config.trustedDocuments.files, schema, {
    validationRules: rules,
    compile: (document, operation) => executor.compile(document.text, operation),
  });
  const registeredRequests = new RegisteredRequests(trusted, config.trustedDocuments.only);
  const costOf = cachedVerdicts(schema);
  const maxAgeSeconds = config.responseCache?.maxAgeSeconds ?? 0;
  // Known queries' plain successes skip Apollo's per-request pipeline; the rest goes to Apollo.
  const knownQueries = new KnownQueries({
    registry: trusted,
    executor,
    readiness: bootstrap,
    costOf,
    metrics,
    maxAgeSeconds,
  });
  logger.info(
    {
      documents: trusted.documents.length,
      files: config.trustedDocuments.files,
      only: config.trustedDocuments.only,
    },
    'trusted documents registered',
  );
  const apollo = new ApolloServer<Context>({
    // The schema, with our executor (src/graphql/engine/execution.ts): graphql-jit, or graphql-js.
    gateway: executor.asApolloGateway(),
    introspection: true,
    // See src/http/request-body.ts: GET queries are allowed, POSTs must be JSON.
    csrfPrevention: false,
    // main.ts owns the signals: it stops Apollo, TMDB and the store in order.
    stopOnTerminationSignals: false,
    // Query limits (pipeline/limits.ts, complexity.ts) and one mutation field per operation.
    parseOptions: QUERY_PARSE_OPTIONS,
    maxRecursiveSelections: QUERY_LIMITS.selections,
    validationRules: rules,
    // Registered documents are found ready (parsed, validated) by their hash; see trusted-documents/.
    documentStore: trusted.apolloDocumentStore(),
    persistedQueries: { cache: trusted.apolloPersistedQueryCache(config.trustedDocuments.only) },
    includeStacktraceInErrorResponses: !production,
    formatError: createErrorFormatter({ production, onError: (code) => metrics.errorSent(code) }),
    logger: {
      debug: (msg) => logger.debug(msg),
      info: (msg) => logger.info(msg),
      warn: (msg) => logger.warn(msg),
      error: (msg) => logger.error(msg),
    },
    plugins: apolloPlugins({
      httpServer,
      readiness: bootstrap,
      costOf,
      metrics,
      logger,
      maxAgeSeconds,
    }),
  });
  await apollo.start();

  // Who the client is, for the ratings rate limit: the socket peer unless
  // TRUST_PROXY says which proxies' X-Forwarded-For to believe.
  const trustProxy = compileTrustProxy(config.trustProxy);

  /**
   * A request's editor access, decided once: trusted documents' enforcement may ask
   * before Apollo runs, and a wrong token must cost its client one try, not two.
   */
  const editorAccesses = new WeakMap<http.IncomingMessage, Promise<EditorAccess>>();
  const editorAccessOf = (req: http.IncomingMessage): Promise<EditorAccess> => {
    let access = editorAccesses.get(req);
    if (!access) {
      access = editorGate.access(req.headers.authorization, clientAddress(req, trustProxy));
      editorAccesses.set(req, access);
    }
    return access;
  };
  const isEditor = (req: http.IncomingMessage) => async () =>
    (await editorAccessOf(req)) === 'editor';

  const contextFor = requestContexts({
    store,
    tmdb,
    ratings,
    reviews,
    curation,
    tmdbImporter,
    clientAddress: (req) => clientAddress(req, trustProxy),
    editorAccess: editorAccessOf,
  });
  const explorer = config.explorer ? new Explorer('/graphql') : null;
  const graphql = graphqlEndpoint({
    apollo,
    context: async ({ req, logger: requestLogger, responseCaching }) =>
      contextFor(req, requestLogger, responseCaching),
    logger,
    cors: corsPolicy(config.http.corsOrigins),
    bodyLimitBytes: BODY_LIMIT_BYTES,
    registeredRequests,
    knownQueries,
    isEditor,
    responseCache,
    answeredFromCache: ({ operation, status }, requestId, seconds) => {
      metrics.operationAnsweredFromCache(operation.type, operation.name);
      logAnswered(logger, { operation, status, seconds, requestId, responseCache: 'hit' });
    },
    explorer,
  });
  httpServer.on(
    'request',
    createRequestHandler({
      logger,
      graphql,
      explorer,
      bootstrap,
      store,
      metrics: metrics.registry,
    }),
  );

  let started: Promise<void> = Promise.resolve();
  return {
    httpServer,
    bootstrap,
    started: () => started,
    async listen() {
      await new Promise<void>((resolve, reject) => {
        httpServer.once('error', reject);
        httpServer.listen(config.port, config.host, () => {
          httpServer.off('error', reject);
          resolve();
        });
      });
      // Seeding and readiness proceed in the background; /readyz reports them.
      started = bootstrap.run();
      const { port } = httpServer.address() as AddressInfo;
      const host = config.host === '0.0.0.0' || config.host === '::' ? 'localhost' : config.host;
      return `http://${host}:${port}`;
    },
    async stop() {
      bootstrap.stop();
      await apollo.stop(); // drains the HTTP server (plugin above)
      await tmdb.close();
      tmdbTitles.close();
      await store.close();
    },
  };
}
