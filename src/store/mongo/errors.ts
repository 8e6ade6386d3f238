import {
  MongoClientClosedError,
  MongoError,
  MongoNetworkError,
  MongoNotConnectedError,
  MongoOperationTimeoutError,
  MongoServerClosedError,
  MongoServerSelectionError,
  MongoTopologyClosedError,
} from 'mongodb';
import { StoreUnavailableError } from '../../model';

/**
 * Which driver errors mean "the database cannot be reached right now" (mapped
 * to StoreUnavailableError, i.e. SERVICE_UNAVAILABLE / not ready) and which are
 * real failures that must propagate (a bug, a validator rejection, a
 * duplicate key the adapter did not expect...).
 *
 * The driver reconnects by itself when the server comes back, so nothing here
 * closes or resets the client.
 */

/** Server codes of a node that is down, stepping down, shutting down or unreachable. */
const UNAVAILABLE_SERVER_CODES = new Set([
  6, // HostUnreachable
  7, // HostNotFound
  89, // NetworkTimeout
  91, // ShutdownInProgress
  134, // ReadConcernMajorityNotAvailableYet
  189, // PrimarySteppedDown
  262, // ExceededTimeLimit
  9001, // SocketException
  10058, // LegacyNotPrimary
  10107, // NotWritablePrimary
  11600, // InterruptedAtShutdown
  11602, // InterruptedDueToReplStateChange
  13435, // NotPrimaryNoSecondaryOk
  13436, // NotPrimaryOrSecondary
]);

/** Labels the driver or server put on errors that a later attempt may not hit. */
const UNAVAILABLE_LABELS = [
  'RetryableWriteError',
  'ResetPool',
  'PoolRequestedRetry',
  'InterruptInUseConnections',
  'SystemOverloadedError',
];

/** Driver errors that are not exported as classes, recognised by name. */
const UNAVAILABLE_ERROR_NAMES = new Set([
  'MongoPoolClosedError',
  'MongoPoolClearedError',
  'PoolClearedOnNetworkError',
  'MongoWaitQueueTimeoutError',
]);

/** Node.js socket/DNS failures (e.g. the SRV lookup of a mongodb+srv URI). */
const NETWORK_ERRNO_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENETDOWN',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EPIPE',
  'ETIMEDOUT',
  'ETIMEOUT',
  'ESERVFAIL',
]);

const AUTHENTICATION_FAILED = 18;
const DUPLICATE_KEY = 11000;

/** True when the error means MongoDB is unreachable, unavailable or shutting down. */
export function isUnavailableError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  if (
    error instanceof MongoNetworkError ||
    error instanceof MongoServerSelectionError ||
    error instanceof MongoNotConnectedError ||
    error instanceof MongoTopologyClosedError ||
    error instanceof MongoServerClosedError ||
    error instanceof MongoClientClosedError ||
    error instanceof MongoOperationTimeoutError
  ) {
    return true;
  }
  if (UNAVAILABLE_ERROR_NAMES.has(error.name)) return true;
  if (error.cause instanceof Error && isUnavailableError(error.cause)) return true;
  if (isWrappedDriverError(error)) {
    // A bulkWrite (e.g. the audit copy) cut by the network: the driver wraps the
    // network error in a MongoBulkWriteError with its message and no write errors.
    const errno = (error as { code?: unknown }).code;
    if (typeof errno === 'string' && NETWORK_ERRNO_CODES.has(errno)) return true;
    const words = error.message.split(/[\s:]+/);
    if (words.some((word) => NETWORK_ERRNO_CODES.has(word))) return true;
    if (/connection .* (closed|timed out)|socket|network/i.test(error.message)) return true;
  }
  if (error instanceof MongoError) {
    if (UNAVAILABLE_LABELS.some((label) => error.hasErrorLabel(label))) return true;
    const code = Number(error.code);
    if (UNAVAILABLE_SERVER_CODES.has(code) || code === AUTHENTICATION_FAILED) return true;
    return /not master|not primary|node is recovering/i.test(error.message);
  }
  const errno = (error as NodeJS.ErrnoException).code;
  return typeof errno === 'string' && NETWORK_ERRNO_CODES.has(errno);
}

/** A MongoBulkWriteError that carries no server verdict (no code, no write errors): a driver error. */
function isWrappedDriverError(error: Error): boolean {
  const bulk = error as Error & { code?: unknown; writeErrors?: unknown[] };
  return (
    error.name === 'MongoBulkWriteError' &&
    (bulk.code === undefined || typeof bulk.code === 'string') && // none, or a Node errno
    (bulk.writeErrors?.length ?? 0) === 0
  );
}

/**
 * The error the store rethrows: StoreUnavailableError for outages (its message
 * names only the driver error class and code, never the URI, hosts or
 * credentials; the original is kept as `cause` for logs), else the error itself.
 */
export function toStoreError(error: unknown): unknown {
  if (error instanceof StoreUnavailableError || !isUnavailableError(error)) return error;
  const err = error as Error & { code?: unknown };
  const code = err instanceof MongoError && err.code !== undefined ? ` ${String(err.code)}` : '';
  const reason =
    err instanceof MongoError && Number(err.code) === AUTHENTICATION_FAILED
      ? 'MongoDB rejected the credentials'
      : 'MongoDB is unavailable';
  return new StoreUnavailableError(`${reason} (${err.name}${code})`, { cause: error });
}

export function isDuplicateKeyError(error: unknown): boolean {
  return error instanceof MongoError && Number(error.code) === DUPLICATE_KEY;
}

/** The server's numeric error code, when there is one. */
export function serverCode(error: unknown): number | undefined {
  if (!(error instanceof MongoError) || error.code === undefined) return undefined;
  const code = Number(error.code);
  return Number.isNaN(code) ? undefined : code;
}

/**
 * The database's schema (collections, validators, required indexes) cannot be
 * put in the state the adapter relies on, e.g. an existing non-unique index
 * where uniqueness is required. Needs an operator; not an outage.
 */
export class MongoSchemaError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'MongoSchemaError';
  }
}
