import type http from 'node:http';
import { type ApolloServer, HeaderMap, type HTTPGraphQLResponse } from '@apollo/server';
import type { Context } from '../graphql/context';
import type { Logger } from '../logger';
import type { CachedResponse, ResponseCache } from '../cache/responses';
import type { ResponseCaching } from '../cache/policy';
import { Refusal, type RegisteredRequests } from '../graphql/trusted-documents';
import { refusalBody, requestError } from './request-error';
import { REQUEST_ID_HEADER, requestIdOf } from './request-id';

/**
 * `/graphql` as most clients call it, answered without Express: a GET with a
 * `query` (or an automatic persisted query's `extensions`), or a POST of a
 * plain JSON body (application/json, UTF-8, not compressed, Content-Length
 * within the body limit). Everything else (the explorer, CORS preflights,
 * other media types, compressed, chunked or oversized bodies) goes to Express
 * (`next`), which applies the same rules and answers the same way. The
 * headers are the same on both paths: request id, security headers, CORS,
 * then Apollo's.
 *
 * Express's router, body parser and response helpers cost more than the rest
 * of a small request; here a request costs its parse, Apollo and one write.
 * With the response cache on, an anonymous read (no Authorization header) is
 * first looked up by its key (cacheKey): a hit is the stored status, headers
 * and bytes with a fresh request id and an Age header, without running any
 * GraphQL; a miss runs as usual and is kept when cachePolicy says so.
 */
export interface GraphQLEndpointOptions {
  apollo: ApolloServer<Context>;
  /** The context of a request answered here (the same as on the Express path). */
  context(request: {
    req: http.IncomingMessage;
    logger: Logger;
    responseCaching: ResponseCaching | null;
  }): Promise<Context>;
  logger: Logger;
  /** The headers every answer carries before Apollo's (security headers, CORS): see app.ts. */
  commonHeaders(req: http.IncomingMessage, res: http.ServerResponse): void;
  bodyLimitBytes: number;
  /** Requests that name a registered document by id, turned into what Apollo reads. */
  registeredRequests: RegisteredRequests;
  /** Whether the request carries a valid editor token (asked only when enforcement must decide). */
  isEditor(req: http.IncomingMessage): () => Promise<boolean>;
  responseCache: ResponseCache | null;
  /** Observes an answer from the cache (its count per operation, its line at debug level). */
  answeredFromCache(hit: CachedResponse, requestId: string, seconds: number): void;
}

export type NodeHandler = (
  req: http.IncomingMessage,
  res: http.ServerResponse,
  next: () => void,
) => void;

const PATH = '/graphql';
/** application/json, optionally with charset utf-8: what body-parser would read as is. */
const PLAIN_JSON = /^application\/json\s*(?:;\s*charset\s*=\s*"?utf-8"?\s*)?$/i;
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

export function graphqlEndpoint(options: GraphQLEndpointOptions): NodeHandler {
  const { responseCache, logger } = options;
  return (req, res, next) => {
    const method = routeOf(req, options.bodyLimitBytes);
    if (!method) return next();
    answer(method, req, res).catch((error: unknown) => {
      logger.error({ err: error }, 'unhandled error answering /graphql');
      if (!res.headersSent) {
        writeJson(res, 500, requestError('Internal server error', 'INTERNAL_SERVER_ERROR'));
      } else {
        res.destroy();
      }
    });
  };

  async function answer(
    method: 'GET' | 'POST',
    req: http.IncomingMessage,
    res: http.ServerResponse,
  ): Promise<void> {
    const id = requestIdOf(req.headers[REQUEST_ID_HEADER]);
    const startedAt = Date.now();
    const url = req.url ?? PATH;
    let search = url.length > PATH.length ? url.slice(PATH.length) : '';
    const text = method === 'POST' ? (await readBody(req)).toString('utf8') : undefined;
    const cache = responseCache && mayBeCached(req) ? responseCache : null;
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
    let body: unknown;
    if (text !== undefined) {
      body = parseJsonBody(text);
      if (body === undefined) {
        res.setHeader(REQUEST_ID_HEADER, id);
        options.commonHeaders(req, res);
        writeJson(res, 400, requestError('The request body is not valid JSON', 'BAD_REQUEST'));
        return;
      }
    }
    const keepable = cache && isPlainRequest(text === undefined ? getParams(search) : body);
    const responseCaching: ResponseCaching | null =
      cache && keepable ? { reads: cache.begin(startedAt), method, keep: false } : null;

    res.setHeader(REQUEST_ID_HEADER, id);
    options.commonHeaders(req, res);
    const named =
      text === undefined
        ? await options.registeredRequests.search(search, options.isEditor(req))
        : await options.registeredRequests.body(body, options.isEditor(req));
    if (named instanceof Refusal) {
      writeJson(res, named.status, refusalBody(named));
      return;
    }
    if (text === undefined) search = named as string;
    else body = named;
    const requestLogger = logger.child({ requestId: id });
    const response = await options.apollo.executeHTTPGraphQLRequest({
      httpGraphQLRequest: { method, headers: headerMapOf(req), search, body },
      context: () => options.context({ req, logger: requestLogger, responseCaching }),
    });
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
  }
}

/** 'GET' or 'POST' when the request is one this endpoint answers, else null (Express does). */
function routeOf(req: http.IncomingMessage, bodyLimitBytes: number): 'GET' | 'POST' | null {
  const url = req.url;
  if (!url?.startsWith(PATH) || (url.length > PATH.length && url[PATH.length] !== '?')) {
    return null;
  }
  if (req.method === 'GET') {
    const params = new URLSearchParams(url.slice(PATH.length));
    return params.has('query') || params.has('extensions') || params.has('documentId')
      ? 'GET'
      : null;
  }
  if (req.method !== 'POST') return null;
  const { headers } = req;
  const length = headers['content-length'];
  const encoding = headers['content-encoding'];
  return PLAIN_JSON.test(headers['content-type'] ?? '') &&
    (encoding === undefined || encoding.toLowerCase() === 'identity') &&
    headers['transfer-encoding'] === undefined &&
    length !== undefined &&
    /^\d+$/.test(length) &&
    Number(length) > 0 &&
    Number(length) <= bodyLimitBytes
    ? 'POST'
    : null;
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

/** The whole body (at most Content-Length bytes, which the route checked against the limit). */
function readBody(req: http.IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.once('end', () => resolve(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks)));
    req.once('error', reject);
  });
}

/**
 * The body as body-parser's strict JSON reads it: an object or an array
 * (Apollo refuses batches itself), else undefined.
 */
function parseJsonBody(text: string): unknown {
  if (!/^[\s\uFEFF]*[{[]/.test(text)) return undefined;
  try {
    return JSON.parse(text.replace(/^\uFEFF/, '')) as unknown;
  } catch {
    return undefined;
  }
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
  for (const [name, value] of response.headers) res.setHeader(name, value);
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

function writeJson(res: http.ServerResponse, status: number, body: unknown): void {
  const bytes = Buffer.from(JSON.stringify(body));
  res.statusCode = status;
  res.setHeader('content-type', 'application/json; charset=utf-8');
  res.setHeader('content-length', bytes.length);
  res.end(bytes);
}
