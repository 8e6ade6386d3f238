import { SLUG_PATTERN } from '../../../model';
import { badUserInput } from '../../errors';

/**
 * GraphQL IDs are opaque: base64url of "<Type>:<key>". Clients must not build
 * them. The type prefix lets us reject a Fact id passed as a Title id before
 * it reaches the store, and node(id) find the type; each type's strict key
 * pattern means no client value can become a query operator.
 */
export type NodeType =
  'Title' | 'Fact' | 'Rating' | 'AccuracySummary' | 'Recommendation' | 'Change' | 'Report';

const STORE_ID = '[A-Za-z0-9_-]{1,64}';

/** What a key looks like for each type. */
const KEY_PATTERNS: Record<NodeType, RegExp> = {
  Title: new RegExp(`^${STORE_ID}$`),
  Fact: new RegExp(`^${STORE_ID}$`),
  Rating: new RegExp(`^${STORE_ID}$`),
  // A rating target's key: "title:<id>" or "fact:<id>".
  AccuracySummary: new RegExp(`^(?:title|fact):${STORE_ID}$`),
  // "<title id>.<recommended title id>": a title recommends another title at most once.
  Recommendation: new RegExp(`^${STORE_ID}\\.${STORE_ID}$`),
  Change: new RegExp(`^${STORE_ID}$`),
  Report: new RegExp(`^${STORE_ID}$`),
};

const NODE_TYPES = Object.keys(KEY_PATTERNS) as NodeType[];

/**
 * Ids already written, per type and key: a title page writes some thirty
 * (every fact, summary and recommendation has one), the same ones on every
 * request, and a Map lookup by the record's own key string costs a fraction
 * of encoding one. A type's map is emptied when full: a bound on memory, not
 * an LRU (whose bookkeeping would cost as much as encoding).
 */
const ENCODED = Object.fromEntries(
  NODE_TYPES.map((type) => [type, new Map<string, string>()]),
) as Record<NodeType, Map<string, string>>;
const MAX_ENCODED = 50_000;

export function toGlobalId(type: NodeType, key: string): string {
  const byKey = ENCODED[type];
  let encoded = byKey.get(key);
  if (encoded === undefined) {
    encoded = Buffer.from(`${type}:${key}`, 'utf8').toString('base64url');
    if (byKey.size >= MAX_ENCODED) byKey.clear();
    byKey.set(key, encoded);
  }
  return encoded;
}

/**
 * The type and key of any well-formed id, or null. Well-formed means it is
 * exactly what toGlobalId would write: base64url decoding forgives trailing
 * characters and padding, so the id must re-encode to itself.
 */
export function parseAnyGlobalId(globalId: string): { type: NodeType; key: string } | null {
  if (typeof globalId !== 'string' || !/^[A-Za-z0-9_-]{1,200}$/.test(globalId)) return null;
  const decoded = Buffer.from(globalId, 'base64url').toString('utf8');
  const colon = decoded.indexOf(':');
  const type = decoded.slice(0, colon) as NodeType;
  const key = decoded.slice(colon + 1);
  if (colon < 0 || !NODE_TYPES.includes(type) || !KEY_PATTERNS[type].test(key)) return null;
  return toGlobalId(type, key) === globalId ? { type, key } : null;
}

/** Returns the key, or null when `globalId` is not a well-formed id of `type`. */
export function parseGlobalId(type: NodeType, globalId: string): string | null {
  const parsed = parseAnyGlobalId(globalId);
  return parsed !== null && parsed.type === type ? parsed.key : null;
}

/** Like parseGlobalId, but a malformed id is the caller's mistake: BAD_USER_INPUT naming `argument`. */
export function requireGlobalId(type: NodeType, globalId: string, argument: string): string {
  const key = parseGlobalId(type, globalId);
  if (key === null) {
    throw badUserInput(`${argument} is not a valid ${type} ID`, argument);
  }
  return key;
}

/** The key of a recommendation's id: it is identified by the two titles it links. */
export function recommendationKey(titleId: string, recommendedTitleId: string): string {
  return `${titleId}.${recommendedTitleId}`;
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
  if (!SLUG_PATTERN.test(slug)) return null;
  return toTitleCursor(slug) === cursor ? slug : null;
}

/**
 * Cursors of newest-first lists (comments, changes): the item's time and id,
 * opaque to clients. `kind` keeps a comment cursor from being used on changes.
 */
export function toKeysetCursor(kind: 'comment' | 'change', at: Date, id: string): string {
  return Buffer.from(`${kind}:${at.getTime()}:${id}`, 'utf8').toString('base64url');
}

export function parseKeysetCursor(
  kind: 'comment' | 'change',
  cursor: string,
): { at: Date; id: string } | null {
  if (!/^[A-Za-z0-9_-]{1,200}$/.test(cursor)) return null;
  const match = new RegExp(`^${kind}:(\\d{1,15}):(${STORE_ID})$`).exec(
    Buffer.from(cursor, 'base64url').toString('utf8'),
  );
  if (!match) return null;
  const at = new Date(Number(match[1]));
  return toKeysetCursor(kind, at, match[2]) === cursor ? { at, id: match[2] } : null;
}

/**
 * Review queue cursors: the entry's priority and fact id (the queue's keyset
 * order), opaque to clients. The priority is written as JavaScript's
 * shortest round-trip decimal, so it reads back as exactly the same number.
 */
export function toReviewQueueCursor(priority: number, factId: string): string {
  return Buffer.from(`review:${String(priority)}:${factId}`, 'utf8').toString('base64url');
}

/**
 * The (priority, factId) of a queue cursor, or null unless it is exactly what
 * toReviewQueueCursor writes for a priority from 0 to 1 and a store id.
 */
export function parseReviewQueueCursor(
  cursor: string,
): { priority: number; factId: string } | null {
  if (!/^[A-Za-z0-9_-]{1,200}$/.test(cursor)) return null;
  const match = new RegExp(`^review:(\\d(?:\\.\\d{1,20})?(?:e-\\d{1,3})?):(${STORE_ID})$`).exec(
    Buffer.from(cursor, 'base64url').toString('utf8'),
  );
  if (!match) return null;
  const priority = Number(match[1]);
  if (!Number.isFinite(priority) || priority < 0 || priority > 1) return null;
  return toReviewQueueCursor(priority, match[2]) === cursor ? { priority, factId: match[2] } : null;
}
