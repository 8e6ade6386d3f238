import { RateAccuracyDocument, TitlePageDocument } from '../generated/graphql';
import { print } from 'graphql';
import type { Store } from '../../src/store/port';
import { execute, postRaw } from '../helpers/graphql-client';
import { describeMongo, openTestDatabase, type TestDatabase } from '../helpers/mongo';
import { startTestApp, type TestApp, waitFor } from '../helpers/test-app';

/**
 * A first start on an empty store: the store answers, then the catalog is
 * written. Meanwhile a query would find no title (`{"title": null}`, a "not
 * found" a client or CDN may keep); instead every operation is refused with
 * SERVICE_UNAVAILABLE and HTTP 503, introspection aside, and nothing of it is
 * kept. The seeding is held here (wrapStore) while the store itself is ready.
 */
const GLORY_ID = Buffer.from('Title:the-glory').toString('base64url');

/** A store whose first editTitles (the seeding) waits until `release()`. */
function holdingSeeding(): {
  wrap: (store: Store) => Store;
  seeding: () => boolean;
  release: () => void;
} {
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  let seeding = false;
  const wrap = (store: Store): Store =>
    new Proxy(store, {
      get(target, property, receiver) {
        const value = Reflect.get(target, property, receiver);
        if (property !== 'editTitles' || typeof value !== 'function') return value;
        return async (...args: unknown[]) => {
          seeding = true;
          await released;
          return value.apply(target, args);
        };
      },
    });
  return { wrap, seeding: () => seeding, release };
}

function startingStoreTests(env: () => Record<string, string>) {
  let t: TestApp | undefined;
  afterEach(async () => {
    await t?.stop();
    t = undefined;
  });

  it('refuses operations with 503 SERVICE_UNAVAILABLE until seeded, keeps none of it, then serves the page', async () => {
    const held = holdingSeeding();
    t = await startTestApp({ env: env(), wrapStore: held.wrap, waitUntilReady: false });
    await waitFor(held.seeding);
    // The store answers (it is being written): without the gate this was {"title": null}.
    expect(await t.store.countTitles()).toBe(0);
    expect(t.app.bootstrap.ready).toBe(false);

    const pageQuery = print(TitlePageDocument);
    const getPage = () =>
      fetch(
        `${t!.url}/graphql?${new URLSearchParams({ query: pageQuery, variables: JSON.stringify({ slug: 'the-glory' }) })}`,
      );
    for (let i = 0; i < 3; i++) {
      const page = await execute(t.url, TitlePageDocument, { slug: 'the-glory' });
      expect(page.status).toBe(503);
      expect(page.data).toBeUndefined(); // refused as a whole: no null title, no partial data
      expect(page.errors?.map((e) => e.extensions?.code)).toEqual(['SERVICE_UNAVAILABLE']);

      const viaGet = await getPage(); // what a CDN would see
      expect(viaGet.status).toBe(503);
      expect(viaGet.headers.get('cache-control')).toBe('no-store');
      expect(viaGet.headers.get('retry-after')).toBe('1');
      const body = (await viaGet.json()) as {
        data?: unknown;
        errors: { extensions: { code: string } }[];
      };
      expect(body.data).toBeUndefined();
      expect(body.errors[0].extensions.code).toBe('SERVICE_UNAVAILABLE');

      const rating = await execute(t.url, RateAccuracyDocument, {
        input: { titleId: GLORY_ID, score: 5, voterId: `starting-voter-${i}` },
      });
      expect(rating.status).toBe(503);
      expect(rating.errors?.map((e) => e.extensions?.code)).toEqual(['SERVICE_UNAVAILABLE']);
    }
    // Needs no store, but is not introspection: refused too, so no operation answers half.
    const scale = await postRaw(t.url, { query: '{ __typename ratingScale { score } }' });
    expect(scale.status).toBe(503);
    // Introspection answers: the schema does not depend on the store.
    const typename = await postRaw(t.url, { query: '{ __typename }' });
    expect(typename).toMatchObject({ status: 200, data: { __typename: 'Query' } });
    const schema = await postRaw<{ __schema: { queryType: { name: string } } }>(t.url, {
      query: '{ __schema { queryType { name } } }',
    });
    expect(schema.data?.__schema.queryType.name).toBe('Query');
    expect((await fetch(`${t.url}/readyz`)).status).toBe(503);

    held.release();
    await waitFor(() => t!.app.bootstrap.ready, 10_000);
    expect((await fetch(`${t.url}/readyz`)).status).toBe(200);
    // The same GET again: the page, not a kept refusal.
    const served = await getPage();
    expect(served.status).toBe(200);
    const json = (await served.json()) as { data: { title: { name: string } | null } };
    expect(json.data.title?.name).toBe('The Glory');
    const page = await execute(t.url, TitlePageDocument, { slug: 'the-glory' });
    expect(page.errors).toBeUndefined();
    expect(page.data?.title?.name).toBe('The Glory');
    const rated = await execute(t.url, RateAccuracyDocument, {
      input: { titleId: GLORY_ID, score: 5, voterId: 'ready-voter' },
    });
    expect(rated.errors).toBeUndefined();
  });
}

describe('embedded store: a first start', () => {
  startingStoreTests(() => ({}));
});

describeMongo('a first start on an empty database', (uri) => {
  let database: TestDatabase;
  beforeEach(() => {
    database = openTestDatabase(uri);
  });
  afterEach(() => database?.drop());
  startingStoreTests(() => ({ MONGODB_URI: database.uri }));
});
