import {
  type BulkWriteResult,
  MongoBulkWriteError,
  MongoInvalidArgumentError,
  MongoNetworkError,
  MongoNetworkTimeoutError,
  MongoNotConnectedError,
  MongoServerError,
  MongoServerSelectionError,
  MongoTopologyClosedError,
  type TopologyDescription,
} from 'mongodb';
import { StoreUnavailableError } from '../../src/model';
import {
  isDuplicateKeyError,
  isUnavailableError,
  MongoSchemaError,
  toStoreError,
} from '../../src/store/mongo/errors';

const SECRET_URI = 'mongodb://reel:secretpass@db.internal:27017/reelcheck';

function serverError(fields: Record<string, unknown>): MongoServerError {
  return new MongoServerError({ message: `server says no (${SECRET_URI})`, ...fields });
}

function named(name: string): Error {
  const error = new Error(`${name} at ${SECRET_URI}`);
  Object.defineProperty(error, 'name', { value: name });
  return error;
}

const unavailable: Array<[string, unknown]> = [
  ['MongoNetworkError', new MongoNetworkError(`connection reset ${SECRET_URI}`)],
  ['MongoNetworkTimeoutError', new MongoNetworkTimeoutError('timed out')],
  [
    'MongoServerSelectionError',
    new MongoServerSelectionError(
      `Server selection timed out (${SECRET_URI})`,
      {} as unknown as TopologyDescription,
    ),
  ],
  ['MongoNotConnectedError', new MongoNotConnectedError('not connected')],
  ['MongoTopologyClosedError', new MongoTopologyClosedError()],
  ['pool closed (by name)', named('MongoPoolClosedError')],
  ['pool cleared (by name)', named('MongoPoolClearedError')],
  ['wait queue timeout (by name)', named('MongoWaitQueueTimeoutError')],
  ['RetryableWriteError label', serverError({ code: 999, errorLabels: ['RetryableWriteError'] })],
  ['ResetPool label', serverError({ code: 999, errorLabels: ['ResetPool'] })],
  ['ShutdownInProgress (91)', serverError({ code: 91 })],
  ['NotWritablePrimary (10107)', serverError({ code: 10107 })],
  ['InterruptedAtShutdown (11600)', serverError({ code: 11600 })],
  ['HostUnreachable (6)', serverError({ code: 6 })],
  ['AuthenticationFailed (18)', serverError({ code: 18 })],
  ['legacy "not master" message', new MongoServerError({ message: 'not master' })],
  [
    'DNS failure of an SRV lookup',
    Object.assign(new Error('querySrv ENOTFOUND'), { code: 'ENOTFOUND' }),
  ],
  ['socket refused', Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' })],
];

const propagated: Array<[string, unknown]> = [
  ['duplicate key (11000)', serverError({ code: 11000 })],
  ['document validation failure (121)', serverError({ code: 121 })],
  ['unauthorized (13)', serverError({ code: 13 })],
  ['bad argument', new MongoInvalidArgumentError('bad')],
  ['schema problem', new MongoSchemaError('index conflict')],
  ['plain bug', new TypeError('x is undefined')],
  ['not an error', 'a string'],
];

describe('driver error mapping', () => {
  it.each(unavailable)('%s -> StoreUnavailableError', (_label, error) => {
    expect(isUnavailableError(error)).toBe(true);
    const mapped = toStoreError(error);
    expect(mapped).toBeInstanceOf(StoreUnavailableError);
    const { message } = mapped as StoreUnavailableError;
    expect(message).toMatch(/^MongoDB (is unavailable|rejected the credentials) \(/);
    expect(message).not.toMatch(/secretpass|reel:|db\.internal|mongodb:\/\//);
    expect((mapped as StoreUnavailableError).cause).toBe(error);
  });

  it.each(propagated)('%s propagates unchanged', (_label, error) => {
    expect(isUnavailableError(error)).toBe(false);
    expect(toStoreError(error)).toBe(error);
  });

  it('maps a bulk write cut by the network (the audit copy) to unavailable, not a write error', () => {
    const result = {} as unknown as BulkWriteResult;
    const cut = new MongoBulkWriteError(new MongoNetworkError('read ECONNRESET'), result);
    expect(isUnavailableError(cut)).toBe(true);
    expect(toStoreError(cut)).toBeInstanceOf(StoreUnavailableError);
    const plain = Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' });
    expect(isUnavailableError(new MongoBulkWriteError(plain, result))).toBe(true);
    const rejected = new MongoBulkWriteError(
      { message: 'Document failed validation', code: 121, writeErrors: [] },
      result,
    );
    expect(isUnavailableError(rejected)).toBe(false);
  });

  it('does not wrap a StoreUnavailableError twice', () => {
    const error = new StoreUnavailableError('closed');
    expect(toStoreError(error)).toBe(error);
  });

  it('recognises duplicate key errors, including inside bulk writes', () => {
    expect(isDuplicateKeyError(serverError({ code: 11000 }))).toBe(true);
    expect(isDuplicateKeyError(serverError({ code: 11001 }))).toBe(false);
    const bulk = new MongoBulkWriteError(
      { message: 'E11000 duplicate key', code: 11000, writeErrors: [] },
      {
        insertedCount: 0,
        matchedCount: 0,
        modifiedCount: 0,
        deletedCount: 0,
        upsertedCount: 0,
        insertedIds: {},
        upsertedIds: {},
      } as unknown as BulkWriteResult,
    );
    expect(isDuplicateKeyError(bulk)).toBe(true);
    expect(isDuplicateKeyError(new Error('E11000'))).toBe(false);
  });
});
