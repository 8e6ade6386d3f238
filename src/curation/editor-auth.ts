import { createHash, timingSafeEqual } from 'node:crypto';
import type { AuthChecker } from 'type-graphql';
import { forbidden, unauthenticated } from '../errors';

/**
 * Who is asking, as far as editor operations care. Decided once per request
 * from the Authorization header and ADMIN_TOKEN; the token itself never
 * leaves this module (nor reaches a log: see src/logger.ts).
 */
export type EditorAccess = 'editor' | 'anonymous' | 'invalid-token' | 'disabled';

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

/** Throws FORBIDDEN (editing disabled) or UNAUTHENTICATED unless the request is an editor's. */
export function assertEditor(access: EditorAccess): void {
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
