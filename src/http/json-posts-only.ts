import type { RequestHandler } from 'express';

/**
 * Cross-site request forgery, decided by what a request can change, since the
 * API uses no cookies (editors send a Bearer token, which browsers never attach
 * on their own):
 * - GET runs queries only (Apollo refuses a mutation over GET with 405), so the
 *   default GET queries of urql, graphql-request and browsers need no extra header;
 * - a POST must be `application/json`, a type a cross-site form or a no-cors
 *   fetch cannot send without a CORS preflight. A form or `text/plain` post is
 *   refused here with 415, before GraphQL sees it, so it can never rate.
 * This replaces Apollo's csrfPrevention, which also refuses header-less GETs.
 */
export function jsonPostsOnly(): RequestHandler {
  return (req, res, next) => {
    if (req.method !== 'POST' || req.is('application/json')) return next();
    res.status(415).json({
      errors: [
        {
          message: 'A POST to /graphql must have content-type application/json',
          extensions: { code: 'UNSUPPORTED_MEDIA_TYPE' },
        },
      ],
    });
  };
}
