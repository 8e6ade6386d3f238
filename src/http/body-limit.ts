import type { RequestHandler, Response } from 'express';

/**
 * Refuses a request body over `limitBytes` as soon as it passes the limit:
 * at once when Content-Length declares more, else when the bytes received so
 * far do. body-parser (express.json) enforces the same limit but answers only
 * after reading the rest of the body off the connection, so a client could
 * stream megabytes, or trickle them until the request timeout, before its 413.
 * The connection is closed after the answer, so the rest is never read.
 * Put it before the body parser; it only counts, the parser still reads.
 */
export function bodyLimit(limitBytes: number): RequestHandler {
  return (req, res, next) => {
    if (Number(req.get('content-length')) > limitBytes) {
      payloadTooLarge(res, limitBytes);
      return;
    }
    let received = 0;
    const count = (chunk: Buffer) => {
      received += chunk.length;
      if (received <= limitBytes) return;
      req.off('data', count);
      payloadTooLarge(res, limitBytes);
    };
    req.on('data', count);
    next();
  };
}

/** The 413 answer; the connection closes after it. */
export function payloadTooLarge(res: Response, limitBytes: number): void {
  if (res.headersSent) return;
  res
    .status(413)
    .set('connection', 'close')
    .json({
      errors: [
        {
          message: `The request body is too large (limit ${Math.floor(limitBytes / 1024)} kB)`,
          extensions: { code: 'PAYLOAD_TOO_LARGE' },
        },
      ],
    });
}
