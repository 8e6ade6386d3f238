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
  return helmet({
    contentSecurityPolicy: {
      useDefaults: false,
      directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"] },
    },
    referrerPolicy: { policy: 'no-referrer' },
    frameguard: { action: 'deny' },
    // Browser apps on other origins read the answers; CORS (below) decides which.
    crossOriginResourcePolicy: { policy: 'cross-origin' },
  });
}

/**
 * Cross-origin calls from browsers: the configured origins ('*' by default,
 * since no cookies or credentials are used), only the two methods GraphQL over
 * HTTP needs, and preflights cached for 10 minutes.
 */
export function corsPolicy(origins: '*' | string[]): RequestHandler {
  return cors({ origin: origins, methods: ['GET', 'POST'], maxAge: 600 });
}
