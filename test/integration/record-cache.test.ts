import { print } from 'graphql';
import {
  AddFactDocument,
  RateAccuracyDocument,
  SetRecommendationsDocument,
  TitlePageDocument,
  UpdateTitleDocument,
} from '../generated/graphql';
import { postRaw } from '../helpers/graphql-client';
import { startCountingTestApp, startTestApp, type TestApp } from '../helpers/test-app';

/**
 * The record cache over HTTP (src/cache/records.ts), with the response cache
 * off so every request runs its query: what a query reads again comes from
 * memory (no store call), and each write through the app shows in the next
 * read, with only what it changed read again.
 */

const TOKEN = 'editor-token-for-the-record-cache-test-0123456789';
const EDITOR = { authorization: `Bearer ${TOKEN}` };
const PAGE = print(TitlePageDocument);
const SUMMARY = '{ title(slug: "the-glory") { id revision tagline accuracy { count } } }';

interface Summary {
  id: string;
  revision: number;
  tagline: string;
  accuracy: { count: number };
}

describe('record cache', () => {
  let t: TestApp & { calls: Map<string, number> };
  beforeAll(async () => {
    t = await startCountingTestApp({
      env: {
        RESPONSE_CACHE: 'false',
        RECORD_CACHE: 'true',
        ADMIN_TOKEN: TOKEN,
        RATINGS_RATE_LIMIT_PER_MINUTE: '100000',
      },
    });
  });
  afterAll(() => t?.stop());

  /** The query's answer and the store calls it made, by method. */
  async function read<T>(query: string, variables?: Record<string, unknown>, headers = {}) {
    t.calls.clear();
    const res = await postRaw<T>(t.url, { query, variables }, headers);
    expect(res.errors).toBeUndefined();
    return { data: res.data!, calls: Object.fromEntries(t.calls) };
  }

  it('answers a title page read again from memory, without a store call', async () => {
    const first = await read(PAGE, { slug: 'the-glory' });
    expect(Object.keys(first.calls).length).toBeGreaterThan(0);
    const again = await read(PAGE, { slug: 'the-glory' });
    expect(again.calls).toEqual({});
    expect(again.data).toEqual(first.data);
  });

  it('shows a rating to the next read, reading only the rated aggregate again', async () => {
    const before = await read<{ title: Summary }>(SUMMARY);
    const rated = await postRaw(t.url, {
      query: print(RateAccuracyDocument),
      variables: { input: { titleId: before.data.title.id, score: 5, voterId: 'record-cache-1' } },
    });
    expect(rated.errors).toBeUndefined();
    const after = await read<{ title: Summary }>(SUMMARY);
    expect(after.data.title.accuracy.count).toBe(before.data.title.accuracy.count + 1);
    expect(after.calls).toEqual({ aggregatesByTargets: 1 });
  });

  it("shows an editor's change to the next anonymous read", async () => {
    const before = await read<{ title: Summary }>(SUMMARY);
    const tagline = `Edited at ${Date.now()}`;
    const { id, revision } = before.data.title;
    const edit = await postRaw(
      t.url,
      {
        query: print(UpdateTitleDocument),
        variables: { id, input: { tagline }, expectedRevision: revision },
      },
      EDITOR,
    );
    expect(edit.errors).toBeUndefined();
    const after = await read<{ title: Summary }>(SUMMARY);
    expect(after.data.title.tagline).toBe(tagline);
    expect(after.data.title.revision).toBe(revision + 1);
  });

  it("shows an editor's new fact, Watch Next and rename to the next anonymous read", async () => {
    interface Page {
      title: {
        id: string;
        name: string;
        slug: string;
        facts: Array<{ text: string }>;
        recommendations: Array<{ title: { slug: string } }>;
      } | null;
    }
    const pageOf = (slug: string) =>
      read<Page>(
        `{ title(slug: "${slug}") { id name slug facts { text } recommendations { title { slug } } } }`,
      );
    const before = await pageOf('my-name');
    expect((await pageOf('my-name')).calls).toEqual({});
    const titleId = before.data.title!.id;
    const glory = (await read<{ title: Summary }>(SUMMARY)).data.title.id;
    const edit = async (query: string, variables: Record<string, unknown>) =>
      expect((await postRaw(t.url, { query, variables }, EDITOR)).errors).toBeUndefined();

    const text = `A fact added at ${Date.now()}.`;
    await edit(print(AddFactDocument), { input: { titleId, category: 'DID_YOU_KNOW', text } });
    expect((await pageOf('my-name')).data.title!.facts.map((fact) => fact.text)).toContain(text);

    await edit(print(SetRecommendationsDocument), {
      titleId,
      items: [{ titleId: glory, label: 'More revenge', reason: 'Also about revenge.' }],
    });
    expect((await pageOf('my-name')).data.title!.recommendations).toEqual([
      { title: { slug: 'the-glory' } },
    ]);

    const { revision } = (
      await read<{ title: Summary }>(
        `{ title(slug: "my-name") { id revision tagline accuracy { count } } }`,
      )
    ).data.title;
    await edit(print(UpdateTitleDocument), {
      id: titleId,
      input: { name: 'My Name Renamed' },
      expectedRevision: revision,
    });
    const renamed = await pageOf('my-name-renamed');
    expect(renamed.data.title).toMatchObject({ id: titleId, name: 'My Name Renamed' });
    // The old slug keeps resolving, to the renamed title.
    expect((await pageOf('my-name')).data.title).toMatchObject({
      id: titleId,
      slug: 'my-name-renamed',
    });
  });

  it('resolves federation entities from kept records (the subgraph marks its own copies)', async () => {
    const { data } = await read<{ title: Summary }>(SUMMARY);
    const entities = `query ($r: [_Any!]!) { _entities(representations: $r) { ... on Title { id slug } } }`;
    const representations = { r: [{ __typename: 'Title', id: data.title.id }] };
    const first = await read<{ _entities: unknown[] }>(entities, representations);
    const again = await read<{ _entities: unknown[] }>(entities, representations);
    expect(again.calls).toEqual({});
    for (const res of [first, again]) {
      expect(res.data._entities).toEqual([{ id: data.title.id, slug: 'the-glory' }]);
    }
  });
});

describe('record cache under the response cache', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t?.stop());

  const get = (query: string) =>
    fetch(`${t.url}/graphql?${new URLSearchParams({ query }).toString()}`);

  it('gives a kept answer computed from records read over a second ago their Age', async () => {
    expect((await get('{ title(slug: "vincenzo") { name year } }')).headers.get('age')).toBeNull();
    await new Promise((resolve) => setTimeout(resolve, 1100));
    // Another document: the response cache misses, the records were read over a second ago.
    const fromRecords = await get('{ title(slug: "vincenzo") { year name } }');
    expect(fromRecords.headers.get('age')).toBe('1');
    expect(fromRecords.headers.get('cache-control')).toBe('public, max-age=2');
    const hit = await get('{ title(slug: "vincenzo") { year name } }');
    expect(Number(hit.headers.get('age'))).toBeGreaterThanOrEqual(1);
    expect(hit.headers.get('age')).not.toContain(',');
  });
});

describe('records given at once, in answers the response cache keeps', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ env: { RATINGS_RATE_LIMIT_PER_MINUTE: '100000' } });
  });
  afterAll(() => t?.stop());

  const FACT_COUNTS = '{ title(slug: "the-glory") { id facts { id accuracy { count } } } }';
  interface FactCounts {
    title: { id: string; facts: Array<{ id: string; accuracy: { count: number } }> };
  }
  const page = async () => (await postRaw<FactCounts>(t.url, { query: FACT_COUNTS })).data!.title;
  const rate = async (titleId: string, factId: string) => {
    const res = await postRaw(t.url, {
      query: print(RateAccuracyDocument),
      variables: { input: { titleId, factId, score: 2, voterId: `voter-${factId}` } },
    });
    expect(res.errors).toBeUndefined();
  };

  /** A counter of /metrics, by its name and labels as written there. */
  const counter = async (series: string) => {
    const text = await (await fetch(`${t.url}/metrics`)).text();
    const line = text.split('\n').find((l) => l.startsWith(`${series} `));
    return line ? Number(line.split(' ').pop()) : 0;
  };
  const RECORD_HITS = 'reelcheck_record_cache_lookups_total{result="hit"}';
  const ANSWER_HITS = 'reelcheck_response_cache_lookups_total{result="hit"}';

  it('drops a kept answer when a record it was given from memory is written', async () => {
    const first = await page();
    const [fact0, fact1] = first.facts;
    await rate(first.id, fact0.id);
    // Built again: fact 0's aggregate from the store, the other records from memory...
    const recordHits = await counter(RECORD_HITS);
    const second = await page();
    expect(second.facts[0].accuracy.count).toBe(fact0.accuracy.count + 1);
    expect(await counter(RECORD_HITS)).toBeGreaterThan(recordHits);
    // ...and kept: asked again, it is answered from the response cache.
    const answerHits = await counter(ANSWER_HITS);
    expect(await page()).toEqual(second);
    expect(await counter(ANSWER_HITS)).toBe(answerHits + 1);
    // Fact 1's aggregate came from memory into the kept answer: rating it must drop that answer.
    await rate(first.id, fact1.id);
    const third = await page();
    expect(third.facts[1].accuracy.count).toBe(fact1.accuracy.count + 1);
  });
});
