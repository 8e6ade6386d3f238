import type http from 'node:http';
import { type ApolloServer, HeaderMap, type HTTPGraphQLResponse } from '@apollo/server';
import type { Context } from '../graphql/request/context';
import type { Logger } from '../logger';
import type { CachedResponse, ResponseCache } from '../cache/responses';
import { varyWith, type ResponseCaching } from '../cache/policy';
import type { Explorer } from './explorer';
import type { KnownQueries } from '../graphql/engine/known-queries';
import { Refusal, type RegisteredRequests } from '../graphql/engine/trusted-documents';
import { BodyRefusal, parseJsonBody, readBodyText } from './request-body';
import { REQUEST_ID_HEADER } from './request-id';
import { answerUnexpectedError, requestError, setCommonHeaders, writeJson } from './respond';
import type { CorsPolicy } from './security';

/**
 * `/graphql`, every method, from the socket to Apollo
 * (executeHTTPGraphQLRequest) in one path: a CORS preflight (OPTIONS), the
 * explorer's page for a browser (GET, HTML, no query), and every GraphQL
 * request: a POST's body is read by the rules of request-body.ts, a GET's
 * query string is passed on, any other method is Apollo's to refuse (405).
 * A POST of a known query (registered, or validated before) may be answered without Apollo's
 * pipeline (src/graphql/engine/known-queries.ts); it is written, kept
 * and timed here like any other answer.
 *
 * With the response cache on, an anonymous read (no Authorization header) is
 * first looked up by its key (cacheKey): a hit is the stored status, headers
 * and bytes with a fresh request id and an Age header, without parsing or
 * running any GraphQL; a miss runs as usual and is kept when cachePolicy says
 * so. That lookup comes before any header is set, so a hit is one writeHead.
 */
export interface GraphQLEndpointOptions {
  apollo: ApolloServer<Context>;
  /** A request's context (src/app.ts builds it). */
  context(request: {
    req: http.IncomingMessage;
    logger: Logger;
    responseCaching: ResponseCaching | null;
  }): Promise<Context>;
  logger: Logger;
  cors: CorsPolicy;
  bodyLimitBytes: number;
  /** Requests that name a registered document by id, turned into what Apollo reads. */
  registeredRequests: RegisteredRequests;
  /** Known queries' plain successes, answered without Apollo's pipeline (POST only). */
  knownQueries: KnownQueries;
  /** Whether the request carries a valid editor token (asked only when enforcement must decide). */
  isEditor(req: http.IncomingMessage): () => Promise<boolean>;
  responseCache: ResponseCache | null;
  /** Observes an answer from the cache (its count per operation, its line at debug level). */
  answeredFromCache(hit: CachedResponse, requestId: string, seconds: number): void;
  /** GraphiQL for browsers; null with EXPLORER=false. */
  explorer: Explorer | null;
}

/**
 * Answers one request to /graphql; `search` is its query string with the "?" (or '').
 * A promise while GraphQL runs; a POST's errors after its body is read are answered here.
 */
export type GraphQLEndpoint = (
  req: http.IncomingMessage,
  res: http.ServerResponse,
  requestId: string,
  search: string,
) => void | Promise<void>;

/** The fields of a GraphQL request over HTTP; a request with any other is never kept. */
const PLAIN_REQUEST_FIELDS = new Set([
  'query',
  'documentId',
  'operationName',
  'variables',
  'extensions',
]);
/** Apollo adds traces to a response that asks for them: never shared. */
const TRACE_HEADER = 'apollo-federation-include-trace';

export function graphqlEndpoint(options: GraphQLEndpointOptions): GraphQLEndpoint {
  const { responseCache, logger, cors, explorer } = options;

  /** Headers before an answer of our own or Apollo's: the common ones, then CORS. */
  const startAnswer = (req: http.IncomingMessage, res: http.ServerResponse, id: string) => {
    setCommonHeaders(res, id);
    cors(req, res);
  };

  /**
   * A GraphQL request whose body (if any) is read: answered from the response
   * cache when it holds it, without a promise; otherwise run.
   */
  const answer = (
    req: http.IncomingMessage,
    res: http.ServerResponse,
    id: string,
    search: string,
    text: string | undefined,
    startedAt: number,
  ): void | Promise<void> => {
    const method = req.method ?? 'GET';
    const graphqlMethod = method === 'GET' || method === 'POST' ? method : null;
    const cache = graphqlMethod && responseCache && mayBeCached(req) ? responseCache : null;
    // Looked up before anything is parsed: a hit costs its key and one lookup.
    const key = cache && cacheKey(req, text ?? search);
    if (cache && key !== null) {
      const hit = cache.get(key, startedAt);
      if (hit) {
        writeHit(res, hit, id, cache.ageSeconds(hit.startedAt, startedAt));
        options.answeredFromCache(hit, id, (Date.now() - startedAt) / 1000);
        return;
      }
    }
    return run(req, res, id, search, text, startedAt, cache, key, graphqlMethod);
  };

  /** Everything but a cached answer: parsed, named documents resolved, run by Apollo, maybe kept. */
  const run = async (
    req: http.IncomingMessage,
    res: http.ServerResponse,
    id: string,
    search: string,
    text: string | undefined,
    startedAt: number,
    cache: ResponseCache | null,
    key: string | null,
    graphqlMethod: 'GET' | 'POST' | null,
  ): Promise<void> => {
    const method = req.method ?? 'GET';
    let body: unknown;
    if (text !== undefined) {
      body = parseJsonBody(text);
      if (body === undefined) {
        startAnswer(req, res, id);
        writeJson(res, 400, requestError('The request body is not valid JSON', 'BAD_REQUEST'));
        return;
      }
    }
    const keepable = cache && isPlainRequest(text === undefined ? getParams(search) : body);
    const responseCaching: ResponseCaching | null =
      cache && keepable && graphqlMethod
        ? { reads: cache.begin(startedAt), method: graphqlMethod, keep: false }
        : null;

    startAnswer(req, res, id);
    if (graphqlMethod) {
      const named =
        text === undefined
          ? await options.registeredRequests.search(search, options.isEditor(req))
          : await options.registeredRequests.body(body, options.isEditor(req));
      if (named instanceof Refusal) {
        const { code, ...extensions } = named.extensions;
        writeJson(res, named.status, requestError(named.message, code, extensions));
        return;
      }
      if (text === undefined) search = named as string;
      else body = named;
    }
    const requestLogger = logger.child({ requestId: id });
    // Built once: a registered query that Apollo answers after all hands it the same context.
    let built: Promise<Context> | undefined;
    const context = () =>
      (built ??= options.context({ req, logger: requestLogger, responseCaching }));
    const response =
      (method === 'POST' &&
        (await options.knownQueries.answer(body, req.headers.accept, context))) ||
      (await options.apollo.executeHTTPGraphQLRequest({
        httpGraphQLRequest: { method, headers: headerMapOf(req), search, body },
        context,
      }));
    // A kept answer computed from records read before this request (src/cache/records.ts)
    // is as old as the oldest of them: tell caches downstream.
    if (cache && responseCaching?.keep && responseCaching.reads.startedAt < startedAt) {
      const age = cache.ageSeconds(responseCaching.reads.startedAt, Date.now());
      if (age !== 0) response.headers.set('age', String(age));
    }
    const sent = await writeResponse(res, response);
    if (cache && key && responseCaching?.keep && responseCaching.operation && sent) {
      cache.set(key, responseCaching.reads, {
        status: res.statusCode,
        headers: headersToReplay(res),
        body: sent,
        operation: responseCaching.operation,
      });
    }
  };

  return (req, res, id, search) => {
    const method = req.method ?? 'GET';
    if (method === 'OPTIONS') {
      startAnswer(req, res, id); // cors answers the preflight itself: 204
      return;
    }
    if (explorer && method === 'GET' && wantsExplorer(explorer, req, search)) {
      setCommonHeaders(res, id);
      explorer.servePage(res);
      return;
    }
    const startedAt = Date.now();
    if (method !== 'POST') return answer(req, res, id, search, undefined, startedAt);
    // Called from the request's 'end' event: nothing may throw from here (it would end the
    // process), so whatever does is answered as the route table answers it.
    readBodyText(req, options.bodyLimitBytes, (read) => {
      let answered: void | Promise<void>;
      try {
        if (read instanceof BodyRefusal) {
          startAnswer(req, res, id);
          if (read.closesConnection) res.setHeader('connection', 'close');
          writeJson(res, read.status, requestError(read.message, read.code));
          return;
        }
        answered = answer(req, res, id, search, read, startedAt);
      } catch (error) {
        answered = Promise.reject(error);
      }
      answered?.catch((error: unknown) => answerUnexpectedError(logger, res, id, error));
    });
  };
}

/** A browser navigating to the endpoint: it prefers HTML and names no GraphQL request. */
function wantsExplorer(explorer: Explorer, req: http.IncomingMessage, search: string): boolean {
  if (search !== '') {
    const params = new URLSearchParams(search);
    if (params.has('query') || params.has('extensions') || params.has('documentId')) return false;
  }
  return explorer.wantsPage(req);
}

/** Anonymous, and not asking for anything made for this one request (federated traces). */
function mayBeCached(req: http.IncomingMessage): boolean {
  return req.headers.authorization === undefined && req.headers[TRACE_HEADER] === undefined;
}

/**
 * Everything that can change the answer: the method (GET answers carry
 * public cache headers), Accept (the media type and status), Origin (the CORS
 * headers), and the GraphQL request exactly as sent (a POST's body, a GET's
 * query string): the same request in other bytes (spacing, key order) is
 * another key. Built without parsing anything, so a hit parses nothing.
 */
export function cacheKey(req: http.IncomingMessage, request: string): string {
  const { accept = '', origin = '' } = req.headers;
  return `${req.method}\n${accept}\n${origin}\n${request}`;
}

/**
 * Whether the request is one object of at most query (a string),
 * operationName, variables and extensions: only those are kept. Anything
 * else (another field, a GET parameter repeated or not valid JSON) runs every
 * time, and Apollo answers what it makes of it.
 */
function isPlainRequest(request: unknown): boolean {
  if (typeof request !== 'object' || request === null || Array.isArray(request)) return false;
  const fields = Object.keys(request);
  const { query } = request as { query?: unknown };
  return (
    fields.every((field) => PLAIN_REQUEST_FIELDS.has(field)) &&
    (query === undefined || typeof query === 'string')
  );
}

/** A GET's GraphQL parameters as a request object, or null when a JSON parameter does not parse. */
function getParams(search: string): Record<string, unknown> | null {
  const params = new URLSearchParams(search);
  const request: Record<string, unknown> = {};
  for (const [name, value] of params) {
    if (name in request) return null; // repeated: let Apollo say what it makes of it
    if (name === 'variables' || name === 'extensions') {
      try {
        request[name] = JSON.parse(value);
      } catch {
        return null;
      }
    } else {
      request[name] = value;
    }
  }
  return request;
}

function headerMapOf(req: http.IncomingMessage): HeaderMap {
  const headers = new HeaderMap();
  for (const [name, value] of Object.entries(req.headers)) {
    if (value !== undefined) headers.set(name, Array.isArray(value) ? value.join(', ') : value);
  }
  return headers;
}

/** Writes Apollo's answer; resolves to the body sent when it was one piece (what can be cached). */
async function writeResponse(
  res: http.ServerResponse,
  response: HTTPGraphQLResponse,
): Promise<Buffer | null> {
  for (const [name, value] of response.headers) {
    // Vary is only ever added to: CORS's Origin stays beside what cachePolicy names.
    res.setHeader(name, name === 'vary' ? varyWith(res.getHeader('vary'), [value]) : value);
  }
  res.statusCode = response.status ?? 200;
  if (response.body.kind === 'complete') {
    const body = Buffer.from(response.body.string);
    res.setHeader('content-length', body.length);
    res.end(body);
    return body;
  }
  for await (const chunk of response.body.asyncIterator) res.write(chunk);
  res.end();
  return null;
}

/** The headers set on `res`, as a flat [name, value, ...] list for writeHead, but the request id and Age. */
function headersToReplay(res: http.ServerResponse): string[] {
  const flat: string[] = [];
  for (const [name, value] of Object.entries(res.getHeaders())) {
    if (name === REQUEST_ID_HEADER || name === 'age' || value === undefined) continue;
    for (const one of Array.isArray(value) ? value : [value]) flat.push(name, String(one));
  }
  return flat;
}

/** A cached answer: its status, headers and bytes, with this request's id and the answer's age. */
function writeHit(res: http.ServerResponse, hit: CachedResponse, id: string, age: number): void {
  res.writeHead(hit.status, [...hit.headers, REQUEST_ID_HEADER, id, 'age', String(age)]);
  res.end(hit.body);
}
