import path from 'node:path';
import { resolveDbName } from '../mongo/connection';

/** Where a store lives: an embedded store's data directory, or a MongoDB database. */
export type StoreLocation =
  { kind: 'sqlite'; dataDir: string } | { kind: 'mongo'; uri: string; dbName: string };

/** `--from` / `--to`: a mongodb:// or mongodb+srv:// URI (its path names the database), else a data directory. */
export function parseLocation(value: string): StoreLocation {
  const trimmed = value.trim();
  if (trimmed === '')
    throw new Error('a store location is empty: give a data directory or a mongodb:// URI');
  if (/^mongodb(\+srv)?:\/\//i.test(trimmed)) {
    return { kind: 'mongo', uri: trimmed, dbName: resolveDbName({ uri: trimmed }) };
  }
  return { kind: 'sqlite', dataDir: path.resolve(trimmed) };
}

/**
 * A location as messages and the progress marker name it: the data directory,
 * or scheme://hosts/database without credentials or options.
 */
export function describeLocation(location: StoreLocation): string {
  if (location.kind === 'sqlite') return location.dataDir;
  const match = /^(mongodb(?:\+srv)?):\/\/(?:[^@/]*@)?([^/?]*)/i.exec(location.uri);
  return `${match?.[1] ?? 'mongodb'}://${match?.[2] ?? '?'}/${location.dbName}`;
}

/** Same store? (A copy onto itself is refused.) */
export function sameLocation(a: StoreLocation, b: StoreLocation): boolean {
  return (
    describeLocation(a).toLowerCase() === describeLocation(b).toLowerCase() && a.kind === b.kind
  );
}
