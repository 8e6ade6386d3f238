import { randomUUID } from 'node:crypto';

export const REQUEST_ID_HEADER = 'x-request-id';
/** An incoming id is kept when it looks like one (a UUID, a proxy's trace id); else a new one. */
const SANE_REQUEST_ID = /^[A-Za-z0-9._:=+/-]{1,128}$/;

/**
 * The request's id, echoed in the x-request-id response header and on every
 * log line of its child logger, so a client's report and the server's logs
 * can be matched. A proxy's id is kept if it is sane; anything else (a made-up
 * header meant to forge log lines) gets a new one.
 */
export function requestIdOf(incoming: string | string[] | undefined): string {
  return typeof incoming === 'string' && SANE_REQUEST_ID.test(incoming) ? incoming : randomUUID();
}
