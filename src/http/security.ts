import type http from 'node:http';
import cors from 'cors';
import helmet from 'helmet';

/**
 * Security headers on every answer (src/http/routes.ts sets them once per
 * request): nosniff, HSTS, no referrer, no framing, and a
 * Content-Security-Policy for JSON, which loads nothing. A route that serves
 * an HTML page sets its own Content-Security-Policy header and adds
 * HTML_PAGE_HEADERS (src/http/explorer.ts does).
 */
export function setSecurityHeaders(res: http.ServerResponse): void {
  for (const [name, value] of API_HEADERS) res.setHeader(name, value);
}

/**
 * Helmet's headers for our options, computed once: they are the same for every
 * request (no nonces, nothing read from the request), and helmet's chain of a
 * dozen middlewares per request cost more than setting a dozen fixed headers.
 */
const HELMET_HEADERS: ReadonlyArray<readonly [string, string]> = (() => {
  const headers = new Map<string, string>();
  const recorder = {
    setHeader: (name: string, value: string) => headers.set(name.toLowerCase(), String(value)),
    removeHeader: (name: string) => headers.delete(name.toLowerCase()),
  };
  helmet({
    contentSecurityPolicy: {
      useDefaults: false,
      directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"] },
    },
    referrerPolicy: { policy: 'no-referrer' },
    frameguard: { action: 'deny' },
    // Browser apps on other origins read the answers; CORS (below) decides which.
    crossOriginResourcePolicy: { policy: 'cross-origin' },
  })({} as never, recorder as never, (error?: unknown) => {
    if (error) throw error;
  });
  return [...headers];
})();

/**
 * The headers OWASP's REST Security Cheat Sheet asks of every API response
 * (CSP frame-ancestors, HSTS, nosniff, X-Frame-Options; Content-Type and
 * Cache-Control are set per answer), plus no referrer and the cross-origin
 * resource policy. Helmet's others only act on HTML documents (opener
 * policy, agent clusters, DNS prefetch, IE's download prompt, Flash and PDF
 * policy files, the XSS auditor): on JSON they would be bytes on every
 * answer that no browser reads.
 */
const API_HEADER_NAMES = new Set([
  'content-security-policy',
  'strict-transport-security',
  'x-content-type-options',
  'x-frame-options',
  'referrer-policy',
  'cross-origin-resource-policy',
]);
const API_HEADERS = HELMET_HEADERS.filter(([name]) => API_HEADER_NAMES.has(name));

/** Helmet's headers for HTML documents, which a route serving a page adds (src/http/explorer.ts). */
export const HTML_PAGE_HEADERS: Readonly<Record<string, string>> = Object.fromEntries(
  HELMET_HEADERS.filter(([name]) => !API_HEADER_NAMES.has(name)),
);

/** Sets the CORS headers of an answer; a preflight (OPTIONS) it answers itself, 204. */
export type CorsPolicy = (req: http.IncomingMessage, res: http.ServerResponse) => void;

/**
 * Cross-origin calls from browsers: the configured origins ('*' by default,
 * since no cookies or credentials are used), only the two methods GraphQL over
 * HTTP needs, and preflights cached for 10 minutes. The `cors` package works
 * on plain Node requests; with fixed options it decides synchronously, and it
 * appends to Vary (Origin with a list of origins) rather than replacing it.
 */
export function corsPolicy(origins: '*' | string[]): CorsPolicy {
  const middleware = cors({ origin: origins, methods: ['GET', 'POST'], maxAge: 600 });
  return (req, res) => middleware(req as never, res as never, () => undefined);
}
