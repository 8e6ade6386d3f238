/**
 * Pure helpers about the connection string: which database to use, and how to
 * talk about a URI without leaking its credentials. No driver, no network.
 */

export const DEFAULT_DB_NAME = 'reelcheck';

/** serverSelectionTimeoutMS is clamped to this range: an unreachable server fails fast but not instantly. */
export const SERVER_SELECTION_TIMEOUT_BOUNDS = { min: 100, max: 60_000 } as const;

// The split the driver's own parser (mongodb-connection-string-url) makes: user
// name, password, host list, then the rest (path and options). MongoStore.create
// lets the driver validate the URI first, so for every URI that reaches these
// helpers the driver and we agree on where the path starts.
const URI_PARTS =
  /^(?<scheme>[^/]+):\/\/(?:(?<username>[^:@]*)(?::(?<password>[^@]*))?@)?(?<hosts>(?!:)[^/?@]*)(?<rest>.*)$/s;

// Characters MongoDB forbids in database names (any platform), plus NUL.
// eslint-disable-next-line no-control-regex
const INVALID_DB_CHARS = /[/\\. "$*<>:|?\u0000]/;

/**
 * The database named in the URI path ("mongodb://host/<db>?..."), or undefined
 * when the URI has no path or an empty one.
 */
export function databaseFromUri(uri: string): string | undefined {
  const rest = URI_PARTS.exec(uri.trim())?.groups?.rest ?? '';
  let path: string;
  try {
    // As the driver does: the rest of the URI on a dummy host, read by a WHATWG URL.
    path = new URL(`mongodb://dummy${rest}`).pathname;
  } catch {
    throw new Error('The MongoDB connection string has a malformed path');
  }
  if (path === '' || path === '/') return undefined;
  try {
    const name = decodeURIComponent(path.slice(1));
    return name === '' ? undefined : name;
  } catch {
    throw new Error('The MongoDB connection string has a malformed database name in its path');
  }
}

/**
 * The database the store uses: an explicit override (tests), else the URI path,
 * else `dbName` (MONGODB_DB), else 'reelcheck'.
 */
export function resolveDbName(options: {
  uri: string;
  dbName?: string;
  dbNameOverride?: string;
}): string {
  const name =
    nonEmpty(options.dbNameOverride) ??
    databaseFromUri(options.uri) ??
    nonEmpty(options.dbName) ??
    DEFAULT_DB_NAME;
  assertValidDbName(name);
  return name;
}

/** Throws when MongoDB would refuse the name. The message never echoes it (it may come from a URI). */
export function assertValidDbName(name: string): void {
  if (name.length === 0 || Buffer.byteLength(name, 'utf8') > 63 || INVALID_DB_CHARS.test(name)) {
    throw new Error(
      'Invalid MongoDB database name (from the connection string path, MONGODB_DB or the override): ' +
        'it must be 1-63 bytes without / \\ . " $ * < > : | ? or spaces',
    );
  }
}

export function boundedServerSelectionTimeout(ms: number): number {
  if (!Number.isFinite(ms)) return SERVER_SELECTION_TIMEOUT_BOUNDS.max;
  const { min, max } = SERVER_SELECTION_TIMEOUT_BOUNDS;
  return Math.min(max, Math.max(min, Math.round(ms)));
}

/**
 * Removes every trace of the URI's credentials from a text (e.g. a driver
 * parse-error message): the user-info part as written, and its decoded user
 * name and password.
 */
export function redactCredentials(text: string, uri: string): string {
  const groups = URI_PARTS.exec(uri.trim())?.groups;
  const username = groups?.username ?? '';
  const password = groups?.password ?? '';
  if (!username && !password) return text;
  const secrets = new Set<string>([password ? `${username}:${password}` : username]);
  // The password always; the user name when it is long enough not to shred the text.
  for (const part of [password, username.length >= 3 ? username : '']) {
    if (part.length === 0) continue;
    secrets.add(part);
    try {
      secrets.add(decodeURIComponent(part));
    } catch {
      // Undecodable: the raw form is already in the set.
    }
  }
  // Longest first, so "user:pass" goes before "user".
  return [...secrets]
    .sort((a, b) => b.length - a.length)
    .reduce((out, secret) => out.split(secret).join('[REDACTED]'), text);
}

function nonEmpty(value: string | undefined): string | undefined {
  const trimmed = value?.trim();
  return trimmed ? trimmed : undefined;
}

/**
 * The write concern the store asks for unless the URI sets its own: `w`
 * 'majority' (an acknowledged write is on a majority of the replica set, so
 * it survives a failover) and `journal` true (on disk in the journal before
 * the acknowledgement, so it survives a crash of the server). Each is left out
 * when the URI names it (`w=1`, `journal=false`...): the URI wins.
 */
export function defaultWriteConcern(uri: string): { w?: 'majority'; journal?: true } {
  const rest = URI_PARTS.exec(uri.trim())?.groups?.rest ?? '';
  const query = rest.includes('?') ? rest.slice(rest.indexOf('?') + 1) : '';
  const named = new Set(
    [...new URLSearchParams(query).keys()].map((key) => key.trim().toLowerCase()),
  );
  return {
    ...(named.has('w') ? {} : { w: 'majority' as const }),
    ...(named.has('journal') || named.has('j') ? {} : { journal: true as const }),
  };
}
