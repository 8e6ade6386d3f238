import { defaultWriteConcern } from '../../src/store/mongo/connection';
import { MongoStore } from '../../src/store/mongo/mongo-store';

/** The store's write concern: journaled majority unless the URI names its own. */
describe('MongoDB write concern', () => {
  const writeConcernOf = (uri: string) => {
    const store = MongoStore.create({ uri, serverSelectionTimeoutMs: 1000 });
    const { client } = (
      store as unknown as {
        gate: { client: { options: { writeConcern?: { w?: unknown; journal?: unknown } } } };
      }
    ).gate;
    return client.options.writeConcern;
  };

  it('defaults to w: majority, journal: true', () => {
    expect(defaultWriteConcern('mongodb://db.example:27017/reelcheck')).toEqual({
      w: 'majority',
      journal: true,
    });
    expect(writeConcernOf('mongodb://db.example:27017/reelcheck')).toMatchObject({
      w: 'majority',
      journal: true,
    });
  });

  it('leaves what the URI names to the URI', () => {
    expect(defaultWriteConcern('mongodb://u:p@h1,h2/reelcheck?replicaSet=rs0&w=1')).toEqual({
      journal: true,
    });
    expect(defaultWriteConcern('mongodb://h/reelcheck?journal=false')).toEqual({ w: 'majority' });
    expect(writeConcernOf('mongodb://h/reelcheck?w=1')).toMatchObject({ w: 1, journal: true });
    expect(writeConcernOf('mongodb://h/reelcheck?w=2&journal=false')).toMatchObject({
      w: 2,
      journal: false,
    });
  });
});
