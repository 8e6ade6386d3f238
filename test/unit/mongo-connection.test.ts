import {
  boundedServerSelectionTimeout,
  databaseFromUri,
  DEFAULT_DB_NAME,
  redactCredentials,
  resolveDbName,
} from '../../src/store/mongo/connection';

describe('databaseFromUri', () => {
  it.each([
    ['mongodb://localhost:27017/reelcheck', 'reelcheck'],
    ['mongodb://localhost/films?retryWrites=true', 'films'],
    ['mongodb://user:p%40ss@a:1,b:2,c:3/prod?replicaSet=rs0', 'prod'],
    ['mongodb+srv://user:pw@cluster0.example.net/atlas_db?retryWrites=true&w=majority', 'atlas_db'],
    ['mongodb://localhost/my%2Ddb', 'my-db'],
    ['mongodb://%2Ftmp%2Fmongodb-27017.sock/sockdb', 'sockdb'],
  ])('%s -> %s', (uri, name) => {
    expect(databaseFromUri(uri)).toBe(name);
  });

  it.each([
    'mongodb://localhost:27017',
    'mongodb://localhost:27017/',
    'mongodb://localhost:27017/?replicaSet=rs0',
    'mongodb://localhost:27017?directConnection=true',
    'mongodb://user:pass@localhost',
    'mongodb+srv://cluster0.example.net/?w=majority',
  ])('%s has no database', (uri) => {
    expect(databaseFromUri(uri)).toBeUndefined();
  });
});

describe('resolveDbName', () => {
  it('prefers the override, then the URI path, then dbName, then the default', () => {
    const withPath = 'mongodb://localhost/from_uri';
    const withoutPath = 'mongodb://localhost:27017/?w=majority';
    expect(resolveDbName({ uri: withPath, dbName: 'from_env', dbNameOverride: 'forced' })).toBe(
      'forced',
    );
    expect(resolveDbName({ uri: withPath, dbName: 'from_env' })).toBe('from_uri');
    expect(resolveDbName({ uri: withoutPath, dbName: 'from_env' })).toBe('from_env');
    expect(resolveDbName({ uri: withoutPath, dbName: '  ' })).toBe(DEFAULT_DB_NAME);
    expect(resolveDbName({ uri: withoutPath })).toBe('reelcheck');
  });

  it.each(['bad.name', 'with space', 'a/b', 'dollar$', 'x'.repeat(64)])(
    'rejects the invalid name %j without echoing it',
    (name) => {
      const attempt = () => resolveDbName({ uri: 'mongodb://localhost', dbName: name });
      expect(attempt).toThrow(/Invalid MongoDB database name/);
      try {
        attempt();
      } catch (error) {
        expect((error as Error).message).not.toContain(name);
      }
    },
  );
});

describe('boundedServerSelectionTimeout', () => {
  it('clamps to 100..60000 ms', () => {
    expect(boundedServerSelectionTimeout(5000)).toBe(5000);
    expect(boundedServerSelectionTimeout(1)).toBe(100);
    expect(boundedServerSelectionTimeout(10 * 60_000)).toBe(60_000);
    expect(boundedServerSelectionTimeout(Number.POSITIVE_INFINITY)).toBe(60_000);
    expect(boundedServerSelectionTimeout(Number.NaN)).toBe(60_000);
  });
});

describe('redactCredentials', () => {
  it('removes user info, user name and password, raw and decoded', () => {
    const uri = 'mongodb://reel_user:s3cr%40t@localhost:27017/reelcheck';
    const text =
      'Username contains unescaped characters reel_user; password s3cr@t or s3cr%40t; ' +
      'uri reel_user:s3cr%40t@localhost';
    const out = redactCredentials(text, uri);
    expect(out).not.toMatch(/reel_user|s3cr/);
    expect(out).toContain('[REDACTED]');
  });

  it('leaves texts alone when the URI has no credentials', () => {
    expect(redactCredentials('connect ECONNREFUSED', 'mongodb://localhost')).toBe(
      'connect ECONNREFUSED',
    );
  });
});
