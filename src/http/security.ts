import type http from 'node:http';
import cors from 'cors';
import type { RequestHandler } from 'express';
import helmet from 'helmet';

/**
 * Security headers on every answer: nosniff, no referrer, no framing, and a
 * Content-Security-Policy for JSON, which loads nothing. A route that serves
 * an HTML page sets its own Content-Security-Policy header (src/explorer does),
 * which replaces this one.
 */
export function securityHeaders(): RequestHandler {
  return (_req, res, next) => {
    setSecurityHeaders(res);
    next();
  };
}

/** The security headers on a response (src/http/graphql-endpoint.ts answers without Express). */
export function setSecurityHeaders(res: http.ServerResponse): void {
  for (const [name, value] of SECURITY_HEADERS) res.setHeader(name, value);
}

/**
 * Helmet's headers for our options, computed once: they are the same for every
 * request (no nonces, nothing read from the request), and helmet's chain of a
 * dozen middlewares per request cost more than setting a dozen fixed headers.
 */
const SECURITY_HEADERS: ReadonlyArray<readonly [string, string]> = (() => {
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
 * Cross-origin calls from browsers: the configured origins ('*' by default,
 * since no cookies or credentials are used), only the two methods GraphQL over
 * HTTP needs, and preflights cached for 10 minutes.
 */
export function corsPolicy(origins: '*' | string[]): RequestHandler {
  return cors({ origin: origins, methods: ['GET', 'POST'], maxAge: 600 });
}
