import type http from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApolloServer } from '@apollo/server';
import { expressMiddleware } from '@as-integrations/express5';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import {
  ApolloServerPluginCacheControlDisabled,
  ApolloServerPluginInlineTraceDisabled,
  ApolloServerPluginLandingPageDisabled,
} from '@apollo/server/plugin/disabled';
import express from 'express';
import { StoreBootstrap } from './bootstrap';
import { type EditorAccess, EditorGate } from './curation/editor-auth';
import { CurationService } from './curation/service';
import { TmdbImporter } from './curation/tmdb-import';
import type { Config } from './config';
import { createErrorFormatter } from './graphql/format-error';
import { explorerRouter } from './explorer/explorer';
import { jsonPostsOnly } from './http/json-posts-only';
import { complexityLimit } from './graphql/complexity';
import type { Context } from './graphql/context';
import { QUERY_LIMITS, QUERY_PARSE_OPTIONS, queryLimitRules } from './graphql/limits';
import { createLoaders } from './graphql/loaders';
import { logAnswered, observeOperations } from './graphql/observe-operations';
import { oneMutationFieldRule, refuseSubscriptions } from './graphql/operation-rules';
import { type RateLimitCounters, RatingRateLimiter } from './graphql/rate-limit';
import { legacyJsonStatus } from './graphql/response-status';
import { buildReelcheckSchema } from './graphql/schema';
import { refuseUntilStoreReady } from './graphql/store-readiness';
import { OperationExecutor } from './graphql/execution';
import { Refusal, RegisteredRequests, TrustedDocuments } from './graphql/trusted-documents';
import { bodyLimit, payloadTooLarge } from './http/body-limit';
import { clientAddress, type TrustProxy } from './http/client-address';
import { requestId, requestLogger } from './http/request-id';
import { corsPolicy, securityHeaders, setSecurityHeaders } from './http/security';
import { graphqlEndpoint } from './http/graphql-endpoint';
import { refusalBody, requestError } from './http/request-error';
import { createHttpServer } from './http/server';
import type { Logger } from './logger';
import type { Metrics } from './metrics';
import type { RecordCache, Served } from './cache/records';
import type { ResponseCache } from './cache/responses';
import { cachePolicy, type ResponseCaching } from './cache/policy';
import type { Store } from './store/port';
import { type TmdbScoreSource, TmdbTitles } from './tmdb';

export interface AppDependencies {
  config: Config;
  logger: Logger;
  store: Store;
  tmdb: TmdbScoreSource;
  /** Counters of the rateAccuracy limit; where they live follows the store (openRatingLimitCounters). */
  ratingLimits: RateLimitCounters;
  metrics: Metrics;
  /**
   * Whole responses of anonymous reads (null: RESPONSE_CACHE=false) and the
   * records title pages read (null: RECORD_CACHE=false). `store` must be
   * their invalidating wrapper, as every writer of the process must use
   * (src/cache/index.ts builds all three).
   */
  responseCache: ResponseCache | null;
  recordCache: RecordCache | null;
}

export interface App {
  httpServer: http.Server;
  bootstrap: StoreBootstrap;
  /** Listens on config.host:config.port (0 = any free port); resolves to the base URL. */
  listen(): Promise<string>;
  /** Stops accepting requests, lets in-flight ones finish, then closes the store and TMDB. */
  stop(): Promise<void>;
}

const READY_PING_TIMEOUT_MS = 2000;
const BODY_LIMIT_BYTES = 100 * 1024;

/**
 * Builds HTTP + Apollo from already-built dependencies. main.ts and the
 * integration tests both build the app through here, so tests exercise the
 * same wiring as production.
 *
 * Express 5 (rather than Apollo's standalone server) because the API needs
 * plain HTTP routes beside /graphql (/healthz, /readyz) and Express's
 * "trust proxy" handling to decide the client address for rate limiting.
 */
export async function createApp({
  config,
  logger,
  store,
  tmdb,
  ratingLimits,
  metrics,
  responseCache,
  recordCache,
}: AppDependencies): Promise<App> {
  const production = config.nodeEnv === 'production';
  const httpServer = createHttpServer(config.http);
  const bootstrap = new StoreBootstrap(store, logger);
  const ratingLimiter = new RatingRateLimiter(ratingLimits, logger);
  const curation = new CurationService(store);
  const editorGate = new EditorGate(config.adminToken);
  const tmdbTitles = new TmdbTitles(config.tmdb, logger);
  const tmdbImporter = new TmdbImporter(store, curation, tmdbTitles);

  const schema = await buildReelcheckSchema();
  const executor = new OperationExecutor(schema, config.jit);
  metrics.watchExecutions(() => executor.counts);
  const validationRules = [...queryLimitRules(), oneMutationFieldRule];
  // The apps' registered operations: checked and compiled now, or the start fails naming the document.
  const trusted = TrustedDocuments.load(config.trustedDocuments.files, schema, {
    validationRules,
    compile: (document, operation) => executor.compile(document.text, operation),
  });
  const registeredRequests = new RegisteredRequests(trusted, config.trustedDocuments.only);
  logger.info(
    {
      documents: trusted.documents.length,
      files: config.trustedDocuments.files,
      only: config.trustedDocuments.only,
    },
    'trusted documents registered',
  );
  const apollo = new ApolloServer<Context>({
    // The schema, with our executor (src/graphql/execution.ts): graphql-jit, or graphql-js.
    gateway: executor.asApolloGateway(),
    introspection: true,
    // See src/http/json-posts-only.ts: GET queries are allowed, POSTs must be JSON.
    csrfPrevention: false,
    // main.ts owns the signals: it stops Apollo, TMDB and the store in order.
    stopOnTerminationSignals: false,
    // Query limits (limits.ts, complexity.ts) and one mutation field per operation.
    parseOptions: QUERY_PARSE_OPTIONS,
    maxRecursiveSelections: QUERY_LIMITS.selections,
    validationRules,
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
    plugins: [
      ApolloServerPluginDrainHttpServer({ httpServer }),
      // Until the store is ready and seeded: 503 SERVICE_UNAVAILABLE, never an empty answer.
      refuseUntilStoreReady(bootstrap),
      complexityLimit(schema),
      refuseSubscriptions(),
      legacyJsonStatus(),
      observeOperations(metrics, logger),
      // Browsers get our own offline GraphiQL (src/explorer), or nothing with EXPLORER=false.
      ApolloServerPluginLandingPageDisabled(),
      // Its per-field hook ran on every field of every request for one header,
      // which cachePolicy sets from what the response cache knows.
      ApolloServerPluginCacheControlDisabled(),
      cachePolicy(config.responseCache?.maxAgeSeconds ?? 0),
      // No federated trace (ftv1) for whoever sends apollo-federation-include-trace: it shows
      // resolver timings, and no router here reports usage to GraphOS.
      ApolloServerPluginInlineTraceDisabled(),
    ],
  });
  await apollo.start();

  const app = express();
  app.disable('x-powered-by');
  // An ETag is a hash of every body; caches revalidate within seconds anyway (max-age).
  app.set('etag', false);
  // Who the client is, for the ratings rate limit: the socket peer unless
  // TRUST_PROXY says which proxies' X-Forwarded-For to believe.
  app.set('trust proxy', config.trustProxy);
  const trustProxy = app.get('trust proxy fn') as TrustProxy;
  const cors = corsPolicy(config.http.corsOrigins);

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

  /** A request's context, the same on both paths to Apollo (the endpoint and Express). */
  const contextFor = async (
    req: http.IncomingMessage,
    requestLogger: Logger,
    responseCaching: ResponseCaching | null,
  ): Promise<Context> => {
    const reads = responseCaching && responseCache ? responseCaching.reads : null;
    // Editors read the store itself: what they edit next is checked against it anyway, and
    // on MongoDB another process's edit shows at once. A response built from kept records
    // expires by the oldest of them.
    const cached = recordCache && req.headers.authorization === undefined ? recordCache : null;
    const served: Served | undefined = reads
      ? (readAt, tags) => {
          reads.startedAt = Math.min(reads.startedAt, readAt);
          for (const tag of tags) reads.tags.add(tag);
        }
      : undefined;
    const records = cached ? cached.reading(store, served) : store;
    const requestStore = reads && responseCache ? responseCache.recording(records, reads) : records;
    const address = clientAddress(req, trustProxy);
    return {
      store: requestStore,
      logger: requestLogger,
      ratingLimiter,
      loaders: createLoaders(requestStore, tmdb.createLoader(), cached?.peeking(served) ?? null),
      clientAddress: address,
      editorAccess: await editorAccessOf(req),
      curation,
      tmdbImporter,
      responseCaching,
    };
  };
  app.use(requestId(logger), securityHeaders());

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });

  app.get('/readyz', async (_req, res) => {
    if (!bootstrap.ready) {
      res.status(503).json({ status: 'starting', store: store.kind });
      return;
    }
    try {
      await withTimeout(store.ping(), READY_PING_TIMEOUT_MS);
      res.json({ status: 'ready', store: store.kind });
    } catch {
      res.status(503).json({ status: 'unavailable', store: store.kind });
    }
  });

  app.get('/metrics', async (_req, res) => {
    res.type(metrics.registry.contentType).send(await metrics.registry.metrics());
  });

  if (config.explorer) app.use(explorerRouter('/graphql'));

  // What graphqlEndpoint (below) does not answer: other media types, compressed,
  // chunked or oversized bodies, GETs without a query.
  app.use(
    '/graphql',
    cors,
    jsonPostsOnly(),
    bodyLimit(BODY_LIMIT_BYTES),
    express.json({ limit: BODY_LIMIT_BYTES }),
    registeredRequestBody(registeredRequests, isEditor),
    expressMiddleware(apollo, {
      context: async ({ req, res }) => contextFor(req, requestLogger(res, logger), null),
    }),
  );

  app.use((_req, res) => {
    res.status(404).json({ error: 'Not found: the API is at /graphql' });
  });
  app.use(httpErrorHandler(logger));

  const endpoint = graphqlEndpoint({
    apollo,
    context: async ({ req, logger: requestLogger, responseCaching }) =>
      contextFor(req, requestLogger, responseCaching),
    logger,
    commonHeaders: (req, res) => {
      setSecurityHeaders(res);
      cors(req as express.Request, res as express.Response, () => undefined);
    },
    bodyLimitBytes: BODY_LIMIT_BYTES,
    registeredRequests,
    isEditor,
    responseCache,
    answeredFromCache: ({ operation, status }, requestId, seconds) => {
      metrics.operationAnsweredFromCache(operation.type, operation.name);
      logAnswered(logger, { operation, status, seconds, requestId, responseCache: 'hit' });
    },
  });
  httpServer.on('request', (req, res) => endpoint(req, res, () => app(req, res)));

  return {
    httpServer,
    bootstrap,
    async listen() {
      await new Promise<void>((resolve, reject) => {
        httpServer.once('error', reject);
        httpServer.listen(config.port, config.host, () => {
          httpServer.off('error', reject);
          resolve();
        });
      });
      // Seeding and readiness proceed in the background; /readyz reports them.
      void bootstrap.run();
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

/**
 * Errors before GraphQL runs (malformed JSON, a compressed body over the
 * limit) answered in the GraphQL response shape instead of Express's HTML
 * page, which shows a stack trace outside production.
 */
function httpErrorHandler(logger: Logger): express.ErrorRequestHandler {
  return (err, _req, res, _next) => {
    // Already answered: bodyLimit refused the body, and body-parser reports
    // the same once the connection is gone.
    if (res.headersSent) return;
    const status: number = err?.status ?? err?.statusCode ?? 500;
    if (status === 413) return payloadTooLarge(res, BODY_LIMIT_BYTES);
    if (status >= 500) requestLogger(res, logger).error({ err }, 'unhandled HTTP error');
    const [message, code] =
      err?.type === 'entity.parse.failed'
        ? ['The request body is not valid JSON', 'BAD_REQUEST']
        : status < 500 && err?.expose
          ? [String(err.message), 'BAD_REQUEST']
          : ['Internal server error', 'INTERNAL_SERVER_ERROR'];
    res.status(status).json(requestError(message, code));
  };
}

/** A POST body naming a registered document by id, as Apollo reads it (see registered-request.ts). */
function registeredRequestBody(
  registered: RegisteredRequests,
  isEditor: (req: http.IncomingMessage) => () => Promise<boolean>,
): express.RequestHandler {
  return (req, res, next) => {
    registered.body(req.body, isEditor(req)).then((body) => {
      if (body instanceof Refusal) {
        res.status(body.status).json(refusalBody(body));
        return;
      }
      req.body = body;
      next();
    }, next);
  };
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
