/**
 * MongoDB's audit trail across a crash: an editor write stores its change
 * records inside the document it changes (one atomic update), then copies
 * them to `changes`. Here the copy fails as if the process died right after
 * the document write; the change must still be listed with its record, and
 * a later write must not lose it.
 */
import { writeCatalog } from '../../src/catalog/write';
import { hideComment, updateTitle } from '../../src/model';
import { loadCatalog } from '../../src/seed/catalog';
import type { MongoAudit } from '../../src/store/mongo/audit';
import { MongoStore } from '../../src/store/mongo/mongo-store';
import { describeMongo, openTestDatabase, type TestDatabase } from '../helpers/mongo';

describeMongo('audit trail across a crash between the document write and the copy', (uri) => {
  let database: TestDatabase;
  let store: MongoStore;
  /**
   * The store's audit part (audit.ts), whose private copyChanges is the copy to
   * `changes` (the step after the atomic document write), to break it. Bracket
   * access keeps it typed: a rename or a move breaks the typecheck.
   */
  let audit: MongoAudit;
  let original: MongoAudit['copyChanges'];
  const crash = () => {
    audit['copyChanges'] = async () => {
      throw new Error('simulated crash after the document write');
    };
  };
  const recover = () => {
    audit['copyChanges'] = original;
  };
  const ctx = (minute: number) => ({
    now: new Date(Date.UTC(2027, 0, 1, 0, minute)),
    newId: () => `c${minute}x${Math.random().toString(36).slice(2, 10)}`,
    operation: 'UPDATE_TITLE' as const,
  });
  const setYear = (year: number, minute: number) =>
    store.editTitles([
      {
        titleId: 'vincenzo',
        apply: (c) => updateTitle(ctx(minute), c!, { year }, c!.title.revision),
      },
    ]);

  beforeEach(async () => {
    database = openTestDatabase(uri);
    store = MongoStore.create({ uri: database.uri, serverSelectionTimeoutMs: 5000 });
    await store.ping();
    await writeCatalog(store, loadCatalog());
    audit = store['audit'];
    original = audit['copyChanges'].bind(audit);
  });
  afterEach(async () => {
    await store?.close();
    await database?.drop();
  });

  it('lists a change whose copy was interrupted, and keeps it through the next write', async () => {
    crash();
    await expect(setYear(2021, 1)).rejects.toThrow('simulated crash');
    recover();
    // The change happened, atomically with its record (still inside the title document).
    expect((await store.titlesByIds(['vincenzo']))[0]).toMatchObject({ year: 2021, revision: 2 });
    expect(await database.db.collection('changes').countDocuments({ entityId: 'vincenzo' })).toBe(
      1,
    );

    // A reader of the trail completes the copy first.
    const listed = await store.changesOfTitle('vincenzo', { first: 10 });
    expect(listed.items[0]).toMatchObject({
      revision: 2,
      fields: [{ field: 'year', after: 2021 }],
    });
    const doc = await database.db.collection('titles').findOne({ _id: 'vincenzo' as never });
    expect(doc?.pendingChanges).toBeUndefined();

    // Interrupted again; the next write copies the earlier record before replacing it.
    crash();
    await expect(setYear(2022, 2)).rejects.toThrow('simulated crash');
    recover();
    await setYear(2023, 3);
    const revisions = (await store.changesOfTitle('vincenzo', { first: 10 })).items
      .filter((c) => c.operation === 'UPDATE_TITLE')
      .map((c) => c.revision);
    expect(revisions).toEqual([4, 3, 2]);
  });

  it('lists a comment hidden just before the crash', async () => {
    const { rating } = await store.upsertRating(
      {
        target: { kind: 'TITLE', titleId: 'the-glory' },
        voterId: 'voter-crash',
        score: 1,
        comment: 'Rude',
      },
      new Date(),
    );
    crash();
    await expect(
      store.moderateRating(rating.id, (r) =>
        hideComment({ now: new Date(), newId: () => 'hide-1' }, r, 'abuse'),
      ),
    ).rejects.toThrow('simulated crash');
    recover();
    expect((await store.ratingsByIds([rating.id]))[0]?.hidden?.reason).toBe('abuse');
    const { items } = await store.changesOfTitle('the-glory', { first: 1 });
    expect(items[0]).toMatchObject({
      id: 'hide-1',
      operation: 'HIDE_RATING_COMMENT',
      entityId: rating.id,
    });
  });
});
