import { StoreUnavailableError } from '../../model';
import { REPAIR_COMMAND } from './integrity';

/**
 * SQLite result codes that mean "the file cannot be used right now" (disk
 * full, I/O error, read-only, locked, out of memory, damaged): the operation
 * changed nothing and a later one may succeed. They become
 * StoreUnavailableError (SERVICE_UNAVAILABLE). Anything else (a constraint, a
 * bad statement) is a bug and propagates as is.
 */
const UNAVAILABLE_CODES = [
  'SQLITE_FULL',
  'SQLITE_IOERR',
  'SQLITE_READONLY',
  'SQLITE_CANTOPEN',
  'SQLITE_BUSY',
  'SQLITE_LOCKED',
  'SQLITE_NOMEM',
  'SQLITE_PROTOCOL',
  'SQLITE_CORRUPT',
  'SQLITE_NOTADB',
];

export function isCorruption(error: unknown): boolean {
  const code = sqliteCode(error);
  return code?.startsWith('SQLITE_CORRUPT') === true || code === 'SQLITE_NOTADB';
}

/** The error to throw for a failed statement: StoreUnavailableError when the file is the cause. */
export function toStoreError(error: unknown): unknown {
  const code = sqliteCode(error);
  if (
    code &&
    UNAVAILABLE_CODES.some((prefix) => code === prefix || code.startsWith(`${prefix}_`))
  ) {
    const hint = isCorruption(error)
      ? ` (the file is damaged: stop and run ${REPAIR_COMMAND})`
      : '';
    return new StoreUnavailableError(
      `The embedded database failed: ${code}: ${(error as Error).message}${hint}`,
      { cause: error },
    );
  }
  if (/^The database connection is not open$/.test((error as Error | null)?.message ?? '')) {
    return new StoreUnavailableError('The embedded store is closed', { cause: error });
  }
  return error;
}

function sqliteCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.startsWith('SQLITE_') ? code : undefined;
}
