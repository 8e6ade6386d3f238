import type http from 'node:http';
import type { Explorer } from './explorer';
import type { Logger } from '../logger';
import type { GraphQLEndpoint } from './graphql-endpoint';
import { healthz, type PingableStore, readyz } from './health';
import { REQUEST_ID_HEADER, requestIdOf } from './request-id';
import { answerUnexpectedError, setCommonHeaders, writeJson, writeText } from './respond';

export interface RoutesOptions {
  logger: Logger;
  graphql: GraphQLEndpoint;
  /** GraphiQL's assets under /explorer/; null with EXPLORER=false. */
  explorer: Explorer | null;
  bootstrap: { readonly ready: boolean };
  store: PingableStore;
  /** Prometheus's registry (src/metrics.ts). */
  metrics: { readonly contentType: string; metrics(): Promise<string> };
}

/** One route: answers a request whose path it owns, given its id and query string ("?..." or ''). */
type Route = (
  req: http.IncomingMessage,
  res: http.ServerResponse,
  requestId: string,
  search: string,
) => void | Promise<void>;

const NOT_FOUND = { error: 'Not found: the API is at /graphql' };
const EXPLORER_ASSETS = '/explorer/';

/**
 * The server's one request handler: every request, from the socket, goes
 * through this route table. The path is matched as Express matched it (any
 * case, one trailing slash allowed); the GraphQL endpoint owns /graphql for
 * every method, the other routes answer GET and HEAD (Node sends a HEAD's
 * headers without the body), anything else is a 404 in JSON.
 *
 * Each HTTP rule is written once: the request id and security headers
 * (respond.ts setCommonHeaders; /graphql sets them after its cache lookup),
 * CORS and the body rules (graphql-endpoint.ts, request-body.ts), and here
 * the 404 and the 500 answer to an error no route expected, logged with the
 * request's id.
 */
export function createRequestHandler(options: RoutesOptions): http.RequestListener {
  const { logger, explorer } = options;
  const routes = new Map<string, Route>([
    ['/graphql', options.graphql],
    ['/healthz', readOnly((_req, res) => healthz(res))],
    ['/readyz', readOnly((_req, res) => readyz(res, options.bootstrap, options.store))],
    [
      '/metrics',
      readOnly(async (_req, res) => {
        const text = await options.metrics.metrics();
        writeText(res, 200, options.metrics.contentType, text);
      }),
    ],
  ]);
  const explorerAssets: Route | null = explorer
    ? readOnly(async (req, res) => {
        const pathname = (req.url ?? '').split('?')[0];
        if (!(await explorer.serveAsset(req, res, pathname))) writeJson(res, 404, NOT_FOUND);
      })
    : null;

  return (req, res) => {
    const url = req.url ?? '/';
    const queryAt = url.indexOf('?');
    const pathname = routePath(queryAt === -1 ? url : url.slice(0, queryAt));
    const search = queryAt === -1 ? '' : url.slice(queryAt);
    const id = requestIdOf(req.headers[REQUEST_ID_HEADER]);
    let route = routes.get(pathname);
    if (route !== options.graphql) setCommonHeaders(res, id);
    if (!route && explorerAssets && pathname.startsWith(EXPLORER_ASSETS)) route = explorerAssets;
    let answered: void | Promise<void>;
    try {
      answered = route ? route(req, res, id, search) : writeJson(res, 404, NOT_FOUND);
    } catch (error) {
      answered = Promise.reject(error);
    }
    if (answered) answered.catch((error: unknown) => answerUnexpectedError(logger, res, id, error));
  };
}

/** A route for GET (and so HEAD); any other method is a 404, as no route has it. */
function readOnly(route: Route): Route {
  return (req, res, id, search) =>
    req.method === 'GET' || req.method === 'HEAD'
      ? route(req, res, id, search)
      : writeJson(res, 404, NOT_FOUND);
}

/** The path as routes name it: lower case, without one trailing slash. */
function routePath(path: string): string {
  const lower = path.toLowerCase();
  return lower.length > 1 && lower.endsWith('/') ? lower.slice(0, -1) : lower;
}
