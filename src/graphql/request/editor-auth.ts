import { createHash, timingSafeEqual } from 'node:crypto';
import { RateLimiterMemory } from 'rate-limiter-flexible';
import type { AuthChecker } from 'type-graphql';
import { forbidden, unauthenticated } from '../errors';
import { RateLimitedError } from '../../model';

/**
 * Who is asking, as far as editor operations care. Decided once per request
 * from the Authorization header and ADMIN_TOKEN (EditorGate); the token itself
 * never leaves this module (nor reaches a log: see src/logger.ts). `throttled`:
 * this client sent too many wrong tokens lately, for this many more seconds.
 */
export type EditorAccess =
  'editor' | 'anonymous' | 'invalid-token' | 'disabled' | { throttledForSeconds: number };

/** Wrong tokens a client address may send per minute; then its editor requests are refused. */
export const FAILED_EDITOR_AUTH_PER_MINUTE = 5;

/**
 * Decides each request's editor access, and makes guessing ADMIN_TOKEN slow:
 * every wrong token costs the client address (see src/http/client-address.ts)
 * one of FAILED_EDITOR_AUTH_PER_MINUTE points. Once they are spent, its
 * editor requests are refused with RATE_LIMITED until the minute is over,
 * before any comparison, with the right token too: a refusal says nothing
 * about a guess. Counted in this process's memory (one budget per process).
 */
export class EditorGate {
  private readonly failures = new RateLimiterMemory({
    points: FAILED_EDITOR_AUTH_PER_MINUTE,
    duration: 60,
  });

  constructor(private readonly adminToken: string | undefined) {}

  async access(authorization: string | undefined, client: string): Promise<EditorAccess> {
    if (!this.adminToken) return 'disabled';
    if (authorization === undefined || authorization.trim() === '') return 'anonymous';
    const spent = await this.failures.get(client);
    if (spent && spent.consumedPoints >= FAILED_EDITOR_AUTH_PER_MINUTE) {
      return { throttledForSeconds: Math.max(1, Math.ceil(spent.msBeforeNext / 1000)) };
    }
    const access = editorAccess(this.adminToken, authorization);
    if (access === 'invalid-token') await this.failures.penalty(client);
    return access;
  }
}

/** The role type-graphql's @Authorized checks. */
export const EDITOR = 'EDITOR';

/**
 * `Authorization: Bearer <ADMIN_TOKEN>` grants the editor role. The
 * comparison takes the same time whatever the header holds: both sides are
 * hashed to equal-length digests first, then compared with timingSafeEqual.
 */
export function editorAccess(
  adminToken: string | undefined,
  authorization: string | undefined,
): EditorAccess {
  if (!adminToken) return 'disabled';
  if (authorization === undefined || authorization.trim() === '') return 'anonymous';
  const match = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(authorization);
  if (!match) return 'invalid-token';
  return timingSafeEqual(digest(match[1]), digest(adminToken)) ? 'editor' : 'invalid-token';
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}

/**
 * type-graphql's auth checker: editor fields and mutations run only for
 * editors. It runs before the arguments are validated, so a caller without
 * the role learns nothing from validation messages, and nothing is written.
 */
export const editorAuthChecker: AuthChecker<{ editorAccess: EditorAccess }> = ({ context }) => {
  assertEditor(context.editorAccess);
  return true;
};

/**
 * Throws FORBIDDEN (editing disabled), UNAUTHENTICATED or RATE_LIMITED (too
 * many wrong tokens) unless the request is an editor's.
 */
export function assertEditor(access: EditorAccess): void {
  if (typeof access === 'object') {
    throw new RateLimitedError(access.throttledForSeconds, 'failed editor authentications');
  }
  switch (access) {
    case 'editor':
      return;
    case 'disabled':
      throw forbidden(
        'Editor operations are disabled on this server: set ADMIN_TOKEN in its environment ' +
          'and send Authorization: Bearer <ADMIN_TOKEN>',
      );
    case 'anonymous':
      throw unauthenticated(
        'This is an editor operation: send Authorization: Bearer <ADMIN_TOKEN>',
      );
    case 'invalid-token':
      throw unauthenticated(
        'The Authorization header does not carry a valid editor token (Bearer <ADMIN_TOKEN>)',
      );
  }
}
