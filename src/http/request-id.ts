import { randomUUID } from 'node:crypto';
import type { RequestHandler, Response } from 'express';
import type { Logger } from '../logger';

export const REQUEST_ID_HEADER = 'x-request-id';
/** An incoming id is kept when it looks like one (a UUID, a proxy's trace id); else a new one. */
const SANE_REQUEST_ID = /^[A-Za-z0-9._:=+/-]{1,128}$/;

/**
 * Gives each request an id, echoed in the x-request-id response header and on
 * every log line of its child logger (res.locals.logger), so a client's report
 * and the server's logs can be matched. A proxy's id is kept if it is sane.
 */
export function requestId(logger: Logger): RequestHandler {
  return (req, res, next) => {
    const id = requestIdOf(req.headers[REQUEST_ID_HEADER]);
    res.setHeader(REQUEST_ID_HEADER, id);
    res.locals.logger = logger.child({ requestId: id });
    next();
  };
}

/** The incoming request id if it is sane, else a new one. */
export function requestIdOf(incoming: string | string[] | undefined): string {
  return typeof incoming === 'string' && SANE_REQUEST_ID.test(incoming) ? incoming : randomUUID();
}

/** The request's logger, set by requestId() (the app's logger before it runs). */
export function requestLogger(res: Response, fallback: Logger): Logger {
  return (res.locals.logger as Logger | undefined) ?? fallback;
}
