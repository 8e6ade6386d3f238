import { badUserInput } from '../errors';

/**
 * GraphQL IDs are opaque: base64url of "<Type>:<store id>". Clients must not
 * build them; the type prefix lets us reject a Fact id passed as a Title id
 * before it reaches the store, and the strict store-id alphabet means no client
 * value can become a query operator.
 */
export type NodeType = 'Title' | 'Fact' | 'Rating';

const STORE_ID = /^[A-Za-z0-9_-]{1,64}$/;

export function toGlobalId(type: NodeType, storeId: string): string {
  return Buffer.from(`${type}:${storeId}`, 'utf8').toString('base64url');
}

/** Returns the store id, or null when `globalId` is not a well-formed id of `type`. */
export function parseGlobalId(type: NodeType, globalId: string): string | null {
  if (typeof globalId !== 'string' || !/^[A-Za-z0-9_-]{1,128}$/.test(globalId)) return null;
  const decoded = Buffer.from(globalId, 'base64url').toString('utf8');
  const prefix = `${type}:`;
  if (!decoded.startsWith(prefix)) return null;
  const storeId = decoded.slice(prefix.length);
  return STORE_ID.test(storeId) ? storeId : null;
}

/** Like parseGlobalId, but a malformed id is the caller's mistake: BAD_USER_INPUT naming `argument`. */
export function requireGlobalId(type: NodeType, globalId: string, argument: string): string {
  const storeId = parseGlobalId(type, globalId);
  if (storeId === null) {
    throw badUserInput(`${argument} is not a valid ${type} ID`, argument);
  }
  return storeId;
}

/** Title list cursors: opaque too, so the ordering can change without breaking clients' types. */
export function toTitleCursor(slug: string): string {
  return Buffer.from(`slug:${slug}`, 'utf8').toString('base64url');
}

export function parseTitleCursor(cursor: string): string | null {
  if (!/^[A-Za-z0-9_-]{1,200}$/.test(cursor)) return null;
  const decoded = Buffer.from(cursor, 'base64url').toString('utf8');
  if (!decoded.startsWith('slug:')) return null;
  const slug = decoded.slice('slug:'.length);
  return /^[a-z0-9]+(?:-[a-z0-9]+)*$/.test(slug) ? slug : null;
}
