import { type Db, type Document, MongoServerError } from 'mongodb';
import { MongoSchemaError } from '../../src/store/mongo/errors';
import { ensureSchema } from '../../src/store/mongo/ensure-schema';
import { COLLECTION, SCHEMA } from '../../src/store/mongo/schema';
import { VALIDATION } from '../../src/store/mongo/validators';

/**
 * ensureSchema against an in-memory stand-in for the few Db calls it makes,
 * configured as each kind of server: MongoDB (validators and collMod
 * supported), a server without collMod, one that takes no validators, one that
 * rejects TTL or unique index options, a user without the collMod privilege.
 * The protocol test server (test/integration/mongo-schema.test.ts) covers the
 * unsupported-collMod path for real; real MongoDB's supported path is pinned here.
 */

interface ServerBehaviour {
  /** Error code for collMod; undefined: MongoDB's behaviour (applies it). */
  collModFails?: number;
  /** Error code for createCollection with a validator. */
  validatorFails?: number;
  /** Error code for createIndexes with this option. */
  ttlFails?: number;
  uniqueFails?: number;
  /** Error code for createIndexes of this index name. */
  indexFails?: Record<string, number>;
}

const CODE_NAMES: Record<number, string> = {
  2: 'BadValue',
  13: 'Unauthorized',
  48: 'NamespaceExists',
  59: 'CommandNotFound',
  72: 'InvalidOptions',
  115: 'CommandNotSupported',
  11000: 'DuplicateKey',
};

function serverError(code: number): MongoServerError {
  return new MongoServerError({ ok: 0, code, codeName: CODE_NAMES[code], errmsg: `error ${code}` });
}

class FakeServer {
  readonly collections = new Map<string, Document>(); // name -> options
  readonly indexes = new Map<string, Document[]>(); // collection -> index specs
  readonly commands: Document[] = [];

  constructor(private readonly behaviour: ServerBehaviour = {}) {}

  /** Collections as an older version (or an implicit write) left them: no validators. */
  withBareCollections(): this {
    for (const spec of SCHEMA) this.collections.set(spec.name, {});
    return this;
  }

  db(): Db {
    const fake = {
      createCollection: async (name: string, options: Document = {}) => {
        if (options.validator && this.behaviour.validatorFails) {
          throw serverError(this.behaviour.validatorFails);
        }
        if (this.collections.has(name)) throw serverError(48);
        this.collections.set(name, options);
      },
      listCollections: (filter: { name: string }) => ({
        toArray: async () =>
          this.collections.has(filter.name)
            ? [
                {
                  name: filter.name,
                  type: 'collection',
                  options: this.collections.get(filter.name),
                },
              ]
            : [],
      }),
      command: async (command: Document) => {
        this.commands.push(command);
        if (!('collMod' in command)) throw serverError(59);
        if (this.behaviour.collModFails) throw serverError(this.behaviour.collModFails);
        const { collMod, ...options } = command;
        this.collections.set(collMod, options);
        return { ok: 1 };
      },
      collection: (name: string) => ({
        createIndex: async (key: Document, options: Document) => {
          const failure =
            this.behaviour.indexFails?.[options.name] ??
            (options.expireAfterSeconds !== undefined ? this.behaviour.ttlFails : undefined) ??
            (options.unique ? this.behaviour.uniqueFails : undefined);
          if (failure) throw serverError(failure);
          this.indexes.set(name, [...(this.indexes.get(name) ?? []), { key, ...options }]);
          return options.name;
        },
        listIndexes: () => ({ toArray: async () => this.indexes.get(name) ?? [] }),
      }),
    };
    return fake as unknown as Db;
  }
}

function recordingLogger() {
  const lines: Array<{ level: string; obj: Document; msg: string }> = [];
  const at = (level: string) => (obj: object, msg: string) =>
    lines.push({ level, obj: obj as Document, msg });
  return { lines, info: at('info'), warn: at('warn'), error: at('error') };
}

const validatorOf = (name: string) => ({
  $jsonSchema: SCHEMA.find((spec) => spec.name === name)!.jsonSchema,
});

describe('ensureSchema on MongoDB (validators and collMod supported)', () => {
  it('creates every collection with its validator, and every index with its options', async () => {
    const server = new FakeServer();
    const log = recordingLogger();
    await expect(ensureSchema(server.db(), log)).resolves.toEqual([]);
    for (const spec of SCHEMA) {
      expect(server.collections.get(spec.name)).toEqual({
        validator: validatorOf(spec.name),
        ...VALIDATION,
      });
    }
    expect(server.indexes.get(COLLECTION.rateLimits)).toEqual([
      { key: { key: 1 }, name: 'rate_limits_key_unique', unique: true },
      { key: { expire: 1 }, name: 'rate_limits_expire_ttl', expireAfterSeconds: 0 },
    ]);
    expect(log.lines.filter((line) => line.level !== 'info')).toEqual([]);
  });

  it('puts its validator on existing collections with collMod, once', async () => {
    const server = new FakeServer().withBareCollections();
    const log = recordingLogger();
    await expect(ensureSchema(server.db(), log)).resolves.toEqual([]);
    expect(server.commands.map((command) => command.collMod)).toEqual(SCHEMA.map((s) => s.name));
    for (const spec of SCHEMA) {
      expect(server.collections.get(spec.name)).toEqual({
        validator: validatorOf(spec.name),
        ...VALIDATION,
      });
    }
    expect(log.lines.filter((line) => line.level !== 'info')).toEqual([]);

    // A restart finds the validators in place: no collMod at all.
    await ensureSchema(server.db(), log);
    expect(server.commands).toHaveLength(SCHEMA.length);
  });
});

describe('ensureSchema on servers without some commands or options', () => {
  it.each([
    [59, 'CommandNotFound'],
    [115, 'CommandNotSupported'],
    [72, 'InvalidOptions'],
  ])(
    'skips collMod rejected with %i (%s): ready, one warning naming every skipped validator',
    async (code, codeName) => {
      const server = new FakeServer({ collModFails: code }).withBareCollections();
      const log = recordingLogger();
      const skipped = await ensureSchema(server.db(), log);
      expect(skipped).toEqual(
        SCHEMA.map((spec) => ({
          collection: spec.name,
          what: 'validator update',
          reason: `collMod: ${codeName} ${code}`,
        })),
      );
      const warnings = log.lines.filter((line) => line.level === 'warn');
      expect(warnings).toHaveLength(1);
      for (const spec of SCHEMA) {
        expect(warnings[0].msg).toContain(`${spec.name} validator update (collMod: ${codeName}`);
      }
      // The indexes are still created: skipping a validator skips nothing else.
      expect(server.indexes.get(COLLECTION.ratings)).toHaveLength(
        SCHEMA.find((spec) => spec.name === COLLECTION.ratings)!.indexes.length,
      );
    },
  );

  it('keeps the old validator when the user may not run collMod (Unauthorized)', async () => {
    const server = new FakeServer({ collModFails: 13 }).withBareCollections();
    const log = recordingLogger();
    const skipped = await ensureSchema(server.db(), log);
    expect(skipped.map((skip) => skip.reason)).toEqual(
      SCHEMA.map(() => 'the user lacks the collMod privilege; the existing validator stays'),
    );
    expect(log.lines.filter((line) => line.level === 'warn')).toHaveLength(1);
  });

  it('creates the collections without validators when the server takes none', async () => {
    const server = new FakeServer({ validatorFails: 115 });
    const log = recordingLogger();
    const skipped = await ensureSchema(server.db(), log);
    expect([...server.collections.keys()]).toEqual(SCHEMA.map((s) => s.name));
    for (const options of server.collections.values()) expect(options).toEqual({});
    expect(skipped).toEqual(
      SCHEMA.map((spec) => ({
        collection: spec.name,
        what: 'validator',
        reason: 'create with a validator: CommandNotSupported 115',
      })),
    );
    expect(log.lines.filter((line) => line.level === 'warn')).toHaveLength(1);

    // Restarting on the same server: the collections exist, still no error.
    await expect(ensureSchema(server.db(), recordingLogger())).resolves.toHaveLength(SCHEMA.length);
  });

  it('skips the TTL index when its option is refused; the counters do not depend on it', async () => {
    const server = new FakeServer({ ttlFails: 72 });
    const log = recordingLogger();
    const skipped = await ensureSchema(server.db(), log);
    expect(skipped).toEqual([
      {
        collection: 'rate_limits',
        what: 'index rate_limits_expire_ttl',
        reason: 'createIndexes: InvalidOptions 72',
      },
    ]);
    expect(server.indexes.get(COLLECTION.rateLimits)?.map((ix) => ix.name)).toEqual([
      'rate_limits_key_unique',
    ]);
    const [warning] = log.lines.filter((line) => line.level === 'warn');
    expect(warning.msg).toContain('rate_limits index rate_limits_expire_ttl');
  });

  it('does not skip an index correctness depends on: not ready, saying which and why', async () => {
    const server = new FakeServer({ uniqueFails: 115 });
    const log = recordingLogger();
    const attempt = ensureSchema(server.db(), log);
    await expect(attempt).rejects.toBeInstanceOf(MongoSchemaError);
    await expect(attempt).rejects.toThrow(
      /refused the index titles_slug_unique on titles \(createIndexes: CommandNotSupported 115\)/,
    );
    // The caller that retries start-up logs it, once; nothing here logs per attempt.
    expect(log.lines.filter((line) => line.level !== 'info')).toEqual([]);
  });

  it('stops on duplicates under a unique index, without logging per attempt', async () => {
    const server = new FakeServer({ indexFails: { ratings_target_voter_unique: 11000 } });
    const log = recordingLogger();
    await expect(ensureSchema(server.db(), log)).rejects.toThrow(
      /Cannot create the unique index ratings_target_voter_unique on ratings: documents share a targetKey \+ voterId value/,
    );
    expect(log.lines.filter((line) => line.level !== 'info')).toEqual([]);
  });

  it('propagates errors that are not about support (e.g. BadValue from collMod)', async () => {
    const server = new FakeServer({ collModFails: 2 }).withBareCollections();
    await expect(ensureSchema(server.db(), recordingLogger())).rejects.toMatchObject({ code: 2 });
  });
});
