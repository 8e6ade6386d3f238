import type http from 'node:http';
import type { Logger } from '../logger';
import { REQUEST_ID_HEADER } from './request-id';
import { setSecurityHeaders } from './security';

/** The GraphQL response shape of an answer refused before GraphQL ran, which clients already read. */
export interface RequestErrorBody {
  errors: Array<{ message: string; extensions: { code: string } & Record<string, unknown> }>;
}

/**
 * The body of an answer refused before GraphQL ran (a body that is not JSON,
 * a media type, a size, a trusted document's id), with its code and any
 * other extensions (the document's id).
 */
export function requestError(
  message: string,
  code: string,
  extensions: Record<string, unknown> = {},
): RequestErrorBody {
  return { errors: [{ message, extensions: { ...extensions, code } }] };
}

/**
 * Writes a whole JSON answer in one piece, with its length (no chunked
 * encoding). Nothing is written once the client is gone (a request timeout
 * answered 408 and closed the socket while the body was being read).
 */
export function writeJson(res: http.ServerResponse, status: number, body: unknown): void {
  writeText(res, status, 'application/json; charset=utf-8', JSON.stringify(body));
}

/** Writes a whole text answer of `contentType` in one piece, with its length. */
export function writeText(
  res: http.ServerResponse,
  status: number,
  contentType: string,
  text: string,
): void {
  if (res.headersSent || res.destroyed) return;
  const bytes = Buffer.from(text);
  res.statusCode = status;
  res.setHeader('content-type', contentType);
  res.setHeader('content-length', bytes.length);
  res.end(bytes);
}

/**
 * The headers every answer carries, whatever its route: its request id and
 * the security headers (src/http/security.ts). A response cache hit replays
 * them as stored instead (src/http/graphql-endpoint.ts).
 */
export function setCommonHeaders(res: http.ServerResponse, requestId: string): void {
  res.setHeader(REQUEST_ID_HEADER, requestId);
  setSecurityHeaders(res);
}

/**
 * An error no route expected: logged with the request's id, answered 500 in
 * the GraphQL shape (or the connection dropped when the answer had begun).
 */
export function answerUnexpectedError(
  logger: Logger,
  res: http.ServerResponse,
  id: string,
  error: unknown,
): void {
  logger.child({ requestId: id }).error({ err: error }, 'unhandled HTTP error');
  if (res.headersSent) {
    res.destroy();
    return;
  }
  setCommonHeaders(res, id);
  writeJson(res, 500, requestError('Internal server error', 'INTERNAL_SERVER_ERROR'));
}
