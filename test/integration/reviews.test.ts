/**
 * Reports and the review queue over HTTP, against the real app (issue 22;
 * docs/reviews.md): viewers' reportFact with its validation and rate limit,
 * the public Fact.review (also through the response cache and federation),
 * and editors' queue, take-up and resolution, each refusal leaving the store
 * as it was. On the embedded store always, and on MongoDB when
 * TEST_MONGODB_URI is set.
 */
import { toCatalogFile } from '../../src/catalog/format';
import { readCatalog } from '../../src/catalog/read';
import { toGlobalId } from '../../src/graphql/schema/node/ids';
import type { Store } from '../../src/store/port';
import { errorCode, type GraphQLResponse, postRaw } from '../helpers/graphql-client';
import {
  freshDatabaseName,
  MONGODB_SUITE,
  TEST_MONGODB_URI,
  uriWithDatabase,
} from '../helpers/mongo';
import { startCountingTestApp, startTestApp, type TestApp } from '../helpers/test-app';

const TOKEN = 'editor-token-for-the-reviews-test-5c1e9a';
const EDITOR = { authorization: `Bearer ${TOKEN}` };
const GLORY = toGlobalId('Title', 'the-glory');
const factId = (key: string) => toGlobalId('Fact', key);

const stores: Array<[string, () => Record<string, string>]> = [
  ['Reports and reviews over HTTP: sqlite', () => ({})],
];
if (TEST_MONGODB_URI) {
  stores.push([
    `${MONGODB_SUITE}reports and reviews over HTTP`,
    () => ({ MONGODB_URI: uriWithDatabase(TEST_MONGODB_URI!, freshDatabaseName()) }),
  ]);
}

const REVIEW_FIELDS = 'status outcome reviewedAt openReportCount openReports { reason count }';

const REPORT = `mutation Report($input: ReportFactInput!) {
  reportFact(input: $input) { created fact { id review { ${REVIEW_FIELDS} } } }
}`;

const FACT = `query Fact($id: ID!) {
  node(id: $id) { ... on Fact { id text revision review { ${REVIEW_FIELDS} } } }
}`;

const QUEUE = `query Queue($first: Int, $after: String, $titleId: ID, $status: ReviewStatus) {
  reviewQueue(first: $first, after: $after, titleId: $titleId, status: $status) {
    edges {
      cursor
      node {
        fact { id text revision }
        title { slug }
        takenUpAt
        review { status outcome }
        figures {
          ratings lowRatings lowShareLowerBound openReports reportsWithSource
          reportWeight reportsPart priority
        }
        openReports {
          id reason voterId note sourceUrl suggestedText state createdAt updatedAt
          fact { id }
        }
      }
    }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
}`;

const TAKE_UP = `mutation TakeUp($input: TakeUpReviewInput!) {
  takeUpReview(input: $input) { review { status } fact { id } }
}`;

const RESOLVE = `mutation Resolve($input: ResolveReviewInput!) {
  resolveReview(input: $input) {
    review { ${REVIEW_FIELDS} }
    resolution { outcome note resolvedAt }
    fact { id text revision verification { status note sources { url label } } }
    title { slug facts { id } }
  }
}`;

interface Review {
  status: string;
  outcome: string | null;
  reviewedAt: string | null;
  openReportCount: number;
  openReports: Array<{ reason: string; count: number }>;
}

interface QueueReport {
  id: string;
  reason: string;
  voterId: string;
  note: string | null;
  sourceUrl: string | null;
  suggestedText: string | null;
  state: string;
  createdAt: string;
  updatedAt: string;
  fact: { id: string };
}

interface QueueEntry {
  fact: { id: string; text: string; revision: number };
  title: { slug: string };
  takenUpAt: string | null;
  review: { status: string; outcome: string | null };
  figures: Record<string, number>;
  openReports: QueueReport[];
}

interface QueuePage {
  reviewQueue: {
    edges: Array<{ cursor: string; node: QueueEntry }>;
    pageInfo: {
      hasNextPage: boolean;
      hasPreviousPage: boolean;
      startCursor: string | null;
      endCursor: string | null;
    };
  };
}

/** Everything reviews and editors can change: equal before and after means nothing was written. */
async function storeState(store: Store): Promise<unknown> {
  const catalog = await readCatalog(store);
  const factIds = catalog.titles.flatMap((t) => t.facts.map((f) => f.id));
  const changes = await Promise.all(
    catalog.titles.map(async (t) => (await store.changesOfTitle(t.title.id, { first: 100 })).items),
  );
  return {
    catalog: toCatalogFile(catalog),
    changes,
    reviews: await store.reviewsOfFacts(factIds),
    reports: await store.openReportsOfFacts(factIds),
  };
}

function fields(response: GraphQLResponse<unknown>): string[] {
  const list = response.errors?.[0]?.extensions?.fields as Array<{ field: string }> | undefined;
  return (list ?? []).map((f) => f.field);
}

describe.each(stores)('%s', (_name, env) => {
  /** One GraphQL request to `app`. */
  const ask = <T = Record<string, unknown>>(
    app: TestApp,
    query: string,
    variables: Record<string, unknown> = {},
    headers: Record<string, string> = {},
  ) => postRaw<T>(app.url, { query, variables }, headers);

  /** Runs `request`, expects `code` (naming `field`), and that nothing was written. */
  async function refused(
    app: TestApp,
    request: () => Promise<GraphQLResponse<unknown>>,
    code: string,
    field?: string,
  ): Promise<GraphQLResponse<unknown>> {
    const before = await storeState(app.store);
    const response = await request();
    expect(errorCode(response)).toBe(code);
    if (field && code === 'BAD_USER_INPUT') expect(fields(response)).toEqual([field]);
    if (field && code === 'NOT_FOUND') expect(response.errors?.[0]?.extensions?.field).toBe(field);
    expect(await storeState(app.store)).toEqual(before);
    return response;
  }

  const report = (app: TestApp, input: Record<string, unknown>, headers = {}) =>
    ask<{ reportFact: { created: boolean; fact: { id: string; review: Review } } }>(
      app,
      REPORT,
      { input },
      headers,
    );

  const reviewOf = async (app: TestApp, key: string): Promise<Review> =>
    (await ask<{ node: { review: Review } }>(app, FACT, { id: factId(key) })).data!.node.review;

  describe('viewers report facts', () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await startTestApp({
        env: { ADMIN_TOKEN: TOKEN, RATINGS_RATE_LIMIT_PER_MINUTE: '100000', ...env() },
      });
    });
    afterAll(() => t?.stop());

    it('files a report with a note, a source and a suggested text; the page counts it', async () => {
      const res = await report(t, {
        factId: factId('the-glory-bts-1'),
        voterId: 'viewer-report-1',
        reason: 'INACCURATE',
        note: '  She trained for months, not weeks.  ',
        sourceUrl: 'HTTPS://Example.COM/interview?x=1#top',
        suggestedText: ' Song Hye-kyo trained for the role. ',
      });
      expect(res.errors).toBeUndefined();
      expect(res.data!.reportFact).toEqual({
        created: true,
        fact: {
          id: factId('the-glory-bts-1'),
          review: {
            status: 'NOT_REVIEWED',
            outcome: null,
            reviewedAt: null,
            openReportCount: 1,
            openReports: [{ reason: 'INACCURATE', count: 1 }],
          },
        },
      });
      const [[stored]] = await t.store.openReportsOfFacts(['the-glory-bts-1']);
      expect(stored).toMatchObject({
        factId: 'the-glory-bts-1',
        titleId: 'the-glory',
        voterId: 'viewer-report-1',
        reason: 'INACCURATE',
        note: 'She trained for months, not weeks.',
        sourceUrl: 'https://example.com/interview?x=1#top',
        suggestedText: 'Song Hye-kyo trained for the role.',
        state: 'OPEN',
        closedBy: null,
      });
      expect(await reviewOf(t, 'the-glory-bts-1')).toEqual(res.data!.reportFact.fact.review);
    });

    it("replaces the voter's open report: one per voter and fact, same id, the tally moved", async () => {
      const input = { factId: factId('the-glory-bts-2'), voterId: 'viewer-replace-1' };
      const first = await report(t, {
        ...input,
        reason: 'OUTDATED',
        sourceUrl: 'https://a.example',
      });
      expect(first.data!.reportFact.created).toBe(true);
      const [[before]] = await t.store.openReportsOfFacts(['the-glory-bts-2']);

      const second = await report(t, { ...input, reason: 'MISLEADING', note: 'second thoughts' });
      expect(second.errors).toBeUndefined();
      expect(second.data!.reportFact.created).toBe(false);
      expect(second.data!.reportFact.fact.review).toMatchObject({
        openReportCount: 1,
        openReports: [{ reason: 'MISLEADING', count: 1 }],
      });
      const [reports] = await t.store.openReportsOfFacts(['the-glory-bts-2']);
      expect(reports).toHaveLength(1);
      expect(reports[0]).toMatchObject({
        id: before.id,
        createdAt: before.createdAt,
        reason: 'MISLEADING',
        note: 'second thoughts',
        sourceUrl: null,
      });
      const [review] = await t.store.reviewsOfFacts(['the-glory-bts-2']);
      expect(review.reports).toMatchObject({ open: 1, withSource: 0 });

      // Another voter's report is another report.
      const other = await report(t, {
        ...input,
        voterId: 'viewer-replace-2',
        reason: 'MISLEADING',
      });
      expect(other.data!.reportFact).toMatchObject({
        created: true,
        fact: { review: { openReportCount: 2, openReports: [{ reason: 'MISLEADING', count: 2 }] } },
      });
    });

    const valid = { factId: factId('the-glory-bts-3'), voterId: 'viewer-valid-1', reason: 'OTHER' };
    it.each([
      ['a 1-character voterId', { voterId: 'a' }, 'voterId'],
      ['a $gt-like voterId', { voterId: '{"$gt":""}' }, 'voterId'],
      ['a note of 501 characters', { note: 'n'.repeat(501) }, 'note'],
      ['an ftp source', { sourceUrl: 'ftp://example.com/file' }, 'sourceUrl'],
      ['a source that is no URL', { sourceUrl: 'not a url' }, 'sourceUrl'],
      ['a source with a password', { sourceUrl: 'https://user:pw@example.com/' }, 'sourceUrl'],
      [
        'a source of 2001 characters',
        { sourceUrl: `https://e.com/${'a'.repeat(1987)}` },
        'sourceUrl',
      ],
      ['a blank suggested text', { suggestedText: '   ' }, 'suggestedText'],
      ['a suggested text of 1001 characters', { suggestedText: 's'.repeat(1001) }, 'suggestedText'],
      ['a malformed factId', { factId: 'garbage!' }, 'factId'],
      ['a Title id as factId', { factId: GLORY }, 'factId'],
    ])(
      'refuses %s with BAD_USER_INPUT naming the field, writing nothing',
      async (_c, bad, field) => {
        const res = await refused(
          t,
          () => report(t, { ...valid, ...bad }),
          'BAD_USER_INPUT',
          field,
        );
        expect(res.errors![0].message).toContain(field);
        expect(res.data).toBeNull();
      },
    );

    it('refuses an unknown fact with NOT_FOUND naming factId, writing nothing', async () => {
      await refused(
        t,
        () => report(t, { ...valid, factId: factId('no-such-fact') }),
        'NOT_FOUND',
        'factId',
      );
    });

    it('shows the public review and nothing of who reported or what they wrote', async () => {
      const schema = await ask<{ __type: { fields: Array<{ name: string }> } }>(
        t,
        '{ __type(name: "FactReview") { fields { name } } }',
      );
      expect(schema.data!.__type.fields.map((f) => f.name).sort()).toEqual([
        'openReportCount',
        'openReports',
        'outcome',
        'reviewedAt',
        'status',
      ]);
      const page = await ask(
        t,
        `{ title(slug: "the-glory") { facts { id review { ${REVIEW_FIELDS} } } } }`,
      );
      expect(page.errors).toBeUndefined();
      const text = JSON.stringify(page.data);
      expect(text).toContain('"openReportCount":1');
      for (const secret of [
        'viewer-report-1',
        'months, not weeks',
        'example.com',
        'Song Hye-kyo trained',
      ]) {
        expect(text).not.toContain(secret);
      }

      // A report by its id is editors' only, as is the queue.
      const [[stored]] = await t.store.openReportsOfFacts(['the-glory-bts-1']);
      const byId = await ask(t, '{ node(id: "' + toGlobalId('Report', stored.id) + '") { id } }');
      expect(errorCode(byId)).toBe('UNAUTHENTICATED');
      expect(JSON.stringify(byId)).not.toContain('viewer-report-1');
      const queue = await ask(t, QUEUE);
      expect(errorCode(queue)).toBe('UNAUTHENTICATED');
      expect(queue.data).toBeNull();
      const editor = await ask<{ node: { voterId: string } }>(
        t,
        `{ node(id: "${toGlobalId('Report', stored.id)}") { ... on Report { voterId } } }`,
        {},
        EDITOR,
      );
      expect(editor.data!.node.voterId).toBe('viewer-report-1');
    });

    it('resolves Fact.review through _entities, as a router asks for it', async () => {
      const res = await ask<{ _entities: Array<{ id: string; review: Review } | null> }>(
        t,
        `query E($r: [_Any!]!) { _entities(representations: $r) { ... on Fact { id review { ${REVIEW_FIELDS} } } } }`,
        {
          r: [
            { __typename: 'Fact', id: factId('the-glory-bts-1') },
            { __typename: 'Fact', id: factId('the-glory-bts-8') },
          ],
        },
      );
      expect(res.errors).toBeUndefined();
      expect(res.data!._entities).toEqual([
        {
          id: factId('the-glory-bts-1'),
          review: expect.objectContaining({
            status: 'NOT_REVIEWED',
            openReportCount: 1,
            openReports: [{ reason: 'INACCURATE', count: 1 }],
          }),
        },
        {
          id: factId('the-glory-bts-8'),
          review: {
            status: 'NOT_REVIEWED',
            outcome: null,
            reviewedAt: null,
            openReportCount: 0,
            openReports: [],
          },
        },
      ]);
    });
  });

  describe('the response cache', () => {
    let t: TestApp & { calls: Map<string, number> };
    beforeAll(async () => {
      // The record cache off: an answer from the response cache is one that made no store call.
      t = await startCountingTestApp({ env: env() });
    });
    afterAll(() => t?.stop());

    it('never serves a kept page with stale counts after a report', async () => {
      const query = `{ title(slug: "the-glory") { facts(category: DID_YOU_KNOW) { id review { openReportCount openReports { reason count } } } } }`;
      const storeCalls = () => [...t.calls.values()].reduce((sum, n) => sum + n, 0);
      /** The fact's review as a GET of the page shows it, and the store calls that GET made. */
      const get = async () => {
        const before = storeCalls();
        const response = await fetch(`${t.url}/graphql?${new URLSearchParams({ query })}`);
        const body = (await response.json()) as {
          data: { title: { facts: Array<{ id: string; review: Review }> } };
        };
        const fact = body.data.title.facts.find((f) => f.id === factId('the-glory-dyk-7'))!;
        return { review: fact.review, storeCalls: storeCalls() - before };
      };
      const none = { openReportCount: 0, openReports: [] };
      const miss = await get();
      expect(miss.review).toEqual(none);
      expect(miss.storeCalls).toBeGreaterThan(0);
      // Kept: answered without a store call.
      expect(await get()).toEqual({ review: none, storeCalls: 0 });

      const filed = await report(t, {
        factId: factId('the-glory-dyk-7'),
        voterId: 'viewer-cache-1',
        reason: 'UNVERIFIABLE',
      });
      expect(filed.errors).toBeUndefined();
      const after = await get();
      expect(after.storeCalls).toBeGreaterThan(0);
      expect(after.review).toEqual({
        openReportCount: 1,
        openReports: [{ reason: 'UNVERIFIABLE', count: 1 }],
      });
    });
  });

  describe('the per-client rate limit, shared with ratings', () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await startTestApp({
        env: { RATINGS_RATE_LIMIT_PER_MINUTE: '3', TRUST_PROXY: 'loopback', ...env() },
      });
    });
    afterAll(() => t?.stop());

    const from = (client: string) => ({ 'x-forwarded-for': client });

    it('counts ratings and reports in one budget; bad input spends none; refused reports write nothing', async () => {
      const client = '203.0.113.31';
      const input = (n: number) => ({
        factId: factId(`the-glory-dyk-${n}`),
        voterId: 'viewer-limit-1',
        reason: 'INACCURATE',
      });
      // Refused input costs nothing.
      for (let i = 0; i < 5; i++) {
        expect(
          errorCode(await report(t, { ...input(1), note: 'x'.repeat(501) }, from(client))),
        ).toBe('BAD_USER_INPUT');
      }
      const rated = await ask(
        t,
        `mutation { rateAccuracy(input: {titleId: "${GLORY}", score: 2, voterId: "viewer-limit-1"}) { rating { id } } }`,
        {},
        from(client),
      );
      expect(rated.errors).toBeUndefined();
      expect((await report(t, input(1), from(client))).errors).toBeUndefined();
      expect((await report(t, input(2), from(client))).errors).toBeUndefined();

      const limited = await refused(t, () => report(t, input(3), from(client)), 'RATE_LIMITED');
      expect(limited.errors![0].message).toMatch(/ratings and reports/);
      const retryAfter = limited.errors![0].extensions!.retryAfterSeconds as number;
      expect(retryAfter).toBeGreaterThanOrEqual(1);
      expect(retryAfter).toBeLessThanOrEqual(60);
      // A rating is refused too: one budget.
      const rating = await ask(
        t,
        `mutation { rateAccuracy(input: {titleId: "${GLORY}", score: 3, voterId: "viewer-limit-2"}) { rating { id } } }`,
        {},
        from(client),
      );
      expect(errorCode(rating)).toBe('RATE_LIMITED');
      // Another client keeps its own budget.
      expect((await report(t, input(3), from('203.0.113.32'))).errors).toBeUndefined();
    });
  });

  describe('the editors: queue, take-up and resolution', () => {
    let t: TestApp;
    const asEditor = <T = Record<string, unknown>>(
      query: string,
      variables: Record<string, unknown> = {},
    ) => ask<T>(t, query, variables, EDITOR);
    const queue = (variables: Record<string, unknown> = {}) =>
      asEditor<QueuePage>(QUEUE, variables);
    const factsOf = (page: GraphQLResponse<QueuePage>) =>
      page.data!.reviewQueue.edges.map((edge) => edge.node.fact.id);
    const resolve = (input: Record<string, unknown>, headers: Record<string, string> = EDITOR) =>
      ask<{
        resolveReview: {
          review: Review;
          resolution: { outcome: string; note: string | null; resolvedAt: string };
          fact: { id: string; text: string; revision: number } | null;
          title: { slug: string; facts: Array<{ id: string }> };
        };
      }>(t, RESOLVE, { input }, headers);
    const takeUp = (key: string, headers: Record<string, string> = EDITOR) =>
      ask<{ takeUpReview: { review: { status: string } } }>(
        t,
        TAKE_UP,
        { input: { factId: factId(key) } },
        headers,
      );
    let vincenzoFact: string;

    /** Queue entries in a known order: every test below reads from these. */
    beforeAll(async () => {
      t = await startTestApp({
        env: { ADMIN_TOKEN: TOKEN, RATINGS_RATE_LIMIT_PER_MINUTE: '100000', ...env() },
      });
      const added = await asEditor<{ addFact: { id: string } }>(
        `mutation { addFact(input: {titleId: "${toGlobalId('Title', 'vincenzo')}", category: DID_YOU_KNOW, text: "Vincenzo was filmed in Italy."}) { id } }`,
      );
      expect(added.errors).toBeUndefined();
      vincenzoFact = added.data!.addFact.id;
      const file = async (id: string, voterId: string, reason: string, extra = {}) => {
        const res = await report(t, { factId: id, voterId, reason, ...extra });
        expect(res.errors).toBeUndefined();
      };
      // dyk-1: three INACCURATE with sources, one suggesting a text: weight 6, priority 0.375.
      await file(factId('the-glory-dyk-1'), 'voter-queue-1', 'INACCURATE', {
        sourceUrl: 'https://a.example/1',
        note: 'The year is wrong.',
        suggestedText: 'The corrected text of the first fact.',
      });
      await file(factId('the-glory-dyk-1'), 'voter-queue-2', 'INACCURATE', {
        sourceUrl: 'https://a.example/2',
      });
      await file(factId('the-glory-dyk-1'), 'voter-queue-3', 'INACCURATE', {
        sourceUrl: 'https://a.example/3',
      });
      // dyk-2: two MISLEADING, one suggesting a text: weight 2, priority 0.25.
      await file(factId('the-glory-dyk-2'), 'voter-queue-1', 'MISLEADING', {
        suggestedText: 'A suggestion for the second fact.',
      });
      await file(factId('the-glory-dyk-2'), 'voter-queue-2', 'MISLEADING');
      // Vincenzo's fact: one UNVERIFIABLE with a source: weight 1.5, priority 0.2143.
      await file(vincenzoFact, 'voter-queue-1', 'UNVERIFIABLE', { sourceUrl: 'https://v.example' });
      // dyk-3: one INACCURATE: weight 1, priority 0.1667.
      await file(factId('the-glory-dyk-3'), 'voter-queue-1', 'INACCURATE');
      // dyk-4: one OTHER: weight 0.5, priority 0.1.
      await file(factId('the-glory-dyk-4'), 'voter-queue-1', 'OTHER');
    });
    afterAll(() => t?.stop());

    it('refuses the queue, take-up and resolution to non-editors, writing nothing', async () => {
      const anonymous: Record<string, string> = {};
      for (const headers of [anonymous, { authorization: 'Bearer not-the-token' }]) {
        const listed = await ask(t, QUEUE, {}, headers);
        expect(errorCode(listed)).toBe('UNAUTHENTICATED');
        expect(listed.data).toBeNull();
        await refused(t, () => takeUp('the-glory-dyk-3', headers), 'UNAUTHENTICATED');
        await refused(
          t,
          () => resolve({ factId: factId('the-glory-dyk-3'), outcome: 'DISMISSED' }, headers),
          'UNAUTHENTICATED',
        );
      }
    });

    it('lists queued facts highest priority first, with their figures and open reports', async () => {
      const page = await queue();
      expect(page.errors).toBeUndefined();
      expect(factsOf(page)).toEqual([
        factId('the-glory-dyk-1'),
        factId('the-glory-dyk-2'),
        vincenzoFact,
        factId('the-glory-dyk-3'),
        factId('the-glory-dyk-4'),
      ]);
      const [first] = page.data!.reviewQueue.edges.map((edge) => edge.node);
      expect(first.title.slug).toBe('the-glory');
      expect(first.review).toEqual({ status: 'NOT_REVIEWED', outcome: null });
      expect(first.takenUpAt).toBeNull();
      expect(first.figures).toEqual({
        ratings: 0,
        lowRatings: 0,
        lowShareLowerBound: 0,
        openReports: 3,
        reportsWithSource: 3,
        reportWeight: 6,
        reportsPart: 0.75,
        priority: 0.375,
      });
      expect(first.openReports).toHaveLength(3);
      const withSuggestion = first.openReports.find((r) => r.voterId === 'voter-queue-1')!;
      expect(withSuggestion).toMatchObject({
        reason: 'INACCURATE',
        note: 'The year is wrong.',
        sourceUrl: 'https://a.example/1',
        suggestedText: 'The corrected text of the first fact.',
        state: 'OPEN',
        fact: { id: factId('the-glory-dyk-1') },
      });
      expect(Date.parse(withSuggestion.createdAt)).not.toBeNaN();
      // Newest first.
      const times = first.openReports.map((r) => Date.parse(r.updatedAt));
      expect([...times].sort((a, b) => b - a)).toEqual(times);
      expect(page.data!.reviewQueue.pageInfo).toMatchObject({
        hasNextPage: false,
        hasPreviousPage: false,
      });
    });

    it('pages with opaque cursors, and refuses a cursor it did not write', async () => {
      const first = await queue({ first: 2 });
      expect(factsOf(first)).toEqual([factId('the-glory-dyk-1'), factId('the-glory-dyk-2')]);
      const info = first.data!.reviewQueue.pageInfo;
      expect(info.hasNextPage).toBe(true);
      expect(info.endCursor).toBe(first.data!.reviewQueue.edges[1].cursor);
      const second = await queue({ first: 2, after: info.endCursor });
      expect(second.errors).toBeUndefined();
      expect(factsOf(second)).toEqual([vincenzoFact, factId('the-glory-dyk-3')]);
      expect(second.data!.reviewQueue.pageInfo.hasPreviousPage).toBe(true);
      const third = await queue({ first: 2, after: second.data!.reviewQueue.pageInfo.endCursor });
      expect(factsOf(third)).toEqual([factId('the-glory-dyk-4')]);
      expect(third.data!.reviewQueue.pageInfo.hasNextPage).toBe(false);

      const cursor = info.endCursor!;
      const decoded = Buffer.from(cursor, 'base64url').toString();
      const forged = [
        'garbage!',
        Buffer.from(decoded.replace(/:([^:]+)$/, ':$1$')).toString('base64url'),
        Buffer.from(decoded.replace(/^review:[^:]+/, 'review:2')).toString('base64url'),
        Buffer.from(decoded.replace(/^review:/, 'comment:')).toString('base64url'),
        `${cursor}=`,
      ];
      for (const after of forged) {
        const res = await queue({ after });
        expect(errorCode(res)).toBe('BAD_USER_INPUT');
        expect(fields(res)).toEqual(['after']);
      }
      const tooMany = await asEditor('{ reviewQueue(first: 101) { edges { cursor } } }');
      expect(errorCode(tooMany)).toBe('BAD_USER_INPUT');
      expect(fields(tooMany)).toEqual(['first']);
    });

    it('filters by title and by review status; a bad title id names titleId', async () => {
      const vincenzo = await queue({ titleId: toGlobalId('Title', 'vincenzo') });
      expect(factsOf(vincenzo)).toEqual([vincenzoFact]);
      expect(vincenzo.data!.reviewQueue.edges[0].node.title.slug).toBe('vincenzo');
      const bad = await queue({ titleId: factId('the-glory-dyk-1') });
      expect(errorCode(bad)).toBe('BAD_USER_INPUT');
      expect(fields(bad)).toEqual(['titleId']);
      const underReview = await queue({ status: 'UNDER_REVIEW' });
      expect(factsOf(underReview)).toEqual([]);
    });

    it('takes a fact up: the page says UNDER_REVIEW, the audit trail records it', async () => {
      const res = await takeUp('the-glory-dyk-3');
      expect(res.errors).toBeUndefined();
      expect(res.data!.takeUpReview.review.status).toBe('UNDER_REVIEW');
      expect(await reviewOf(t, 'the-glory-dyk-3')).toMatchObject({
        status: 'UNDER_REVIEW',
        openReportCount: 1,
      });
      const underReview = await queue({ status: 'UNDER_REVIEW' });
      expect(factsOf(underReview)).toEqual([factId('the-glory-dyk-3')]);
      expect(underReview.data!.reviewQueue.edges[0].node.takenUpAt).not.toBeNull();
      const changes = await t.store.changesOfTitle('the-glory', { first: 100 });
      expect(changes.items).toContainEqual(
        expect.objectContaining({
          operation: 'TAKE_UP_REVIEW',
          entityType: 'FACT_REVIEW',
          entityId: 'the-glory-dyk-3',
        }),
      );
      // Again: already under review. A fact nobody doubts: not queued.
      await refused(t, () => takeUp('the-glory-dyk-3'), 'BAD_USER_INPUT', 'factId');
      await refused(t, () => takeUp('the-glory-dyk-8'), 'BAD_USER_INPUT', 'factId');
      await refused(t, () => takeUp('no-such-fact'), 'NOT_FOUND', 'factId');
    });

    it('refuses resolutions that make no sense, naming the field, writing nothing', async () => {
      const suggestion = (await t.store.openReportsOfFacts(['the-glory-dyk-2']))[0].find(
        (r) => r.suggestedText !== null,
      )!;
      const dyk2 = factId('the-glory-dyk-2');
      const cases: Array<[Record<string, unknown>, string, string]> = [
        [{ factId: factId('the-glory-dyk-8'), outcome: 'DISMISSED' }, 'BAD_USER_INPUT', 'factId'],
        [{ factId: 'garbage!', outcome: 'DISMISSED' }, 'BAD_USER_INPUT', 'factId'],
        [{ factId: factId('no-such-fact'), outcome: 'DISMISSED' }, 'NOT_FOUND', 'factId'],
        [{ factId: dyk2, outcome: 'DISMISSED', note: 'n'.repeat(1001) }, 'BAD_USER_INPUT', 'note'],
        [
          {
            factId: dyk2,
            outcome: 'DISMISSED',
            text: suggestion.suggestedText,
            expectedRevision: 1,
          },
          'BAD_USER_INPUT',
          'outcome',
        ],
        [
          { factId: dyk2, outcome: 'CORRECTED', text: '   ', expectedRevision: 1 },
          'BAD_USER_INPUT',
          'text',
        ],
        [
          { factId: dyk2, outcome: 'CORRECTED', text: 't'.repeat(1001), expectedRevision: 1 },
          'BAD_USER_INPUT',
          'text',
        ],
        [
          { factId: dyk2, outcome: 'CORRECTED', text: suggestion.suggestedText },
          'BAD_USER_INPUT',
          'expectedRevision',
        ],
        [
          { factId: dyk2, outcome: 'DISMISSED', expectedRevision: 1 },
          'BAD_USER_INPUT',
          'expectedRevision',
        ],
        [
          {
            factId: dyk2,
            outcome: 'CORRECTED',
            text: suggestion.suggestedText,
            expectedRevision: 1,
            verification: {
              status: 'VERIFIED',
              sources: [{ url: 'https://s.example', label: 'S' }],
            },
          },
          'BAD_USER_INPUT',
          'verification',
        ],
        [
          {
            factId: dyk2,
            outcome: 'REMOVED',
            verification: { status: 'FALSE', sources: [{ url: 'https://s.example', label: 'S' }] },
          },
          'BAD_USER_INPUT',
          'verification',
        ],
        [
          {
            factId: dyk2,
            outcome: 'CONFIRMED_ACCURATE',
            verification: { status: 'VERIFIED', sources: [{ url: 'ftp://s.example', label: 'S' }] },
          },
          'BAD_USER_INPUT',
          'verification.sources[0].url',
        ],
      ];
      for (const [input, code, field] of cases) {
        const res = await refused(t, () => resolve(input), code, field);
        expect(res.data).toBeNull();
      }
    });

    it('resolves by applying a suggested text: text and revision move, reports close, one audit', async () => {
      const [reports] = await t.store.openReportsOfFacts(['the-glory-dyk-1']);
      const suggestion = reports.find((r) => r.suggestedText !== null)!;
      const before = (
        await ask<{ node: { revision: number } }>(t, FACT, { id: factId('the-glory-dyk-1') })
      ).data!.node;
      const res = await resolve({
        factId: factId('the-glory-dyk-1'),
        outcome: 'CORRECTED',
        note: 'Applied the first suggestion.',
        text: suggestion.suggestedText,
        expectedRevision: before.revision,
      });
      expect(res.errors).toBeUndefined();
      const resolved = res.data!.resolveReview;
      expect(resolved.fact).toMatchObject({
        id: factId('the-glory-dyk-1'),
        text: 'The corrected text of the first fact.',
        revision: before.revision + 1,
      });
      expect(resolved.review).toMatchObject({
        status: 'REVIEWED',
        outcome: 'CORRECTED',
        openReportCount: 0,
        openReports: [],
      });
      expect(resolved.review.reviewedAt).toBe(resolved.resolution.resolvedAt);
      expect(resolved.resolution).toMatchObject({
        outcome: 'CORRECTED',
        note: 'Applied the first suggestion.',
      });

      // The public page shows it; the queue no longer does; the reports are closed.
      expect(await reviewOf(t, 'the-glory-dyk-1')).toEqual(resolved.review);
      expect(factsOf(await queue())).not.toContain(factId('the-glory-dyk-1'));
      const closed = await t.store.reportsByIds(reports.map((r) => r.id));
      for (const r of closed) {
        expect(r).toMatchObject({ state: 'CLOSED', closedBy: expect.any(String) });
      }
      expect(new Set(closed.map((r) => r!.closedBy)).size).toBe(1);

      // The audit trail: the review's resolution and the fact's new text, both by resolveReview.
      const changes = await asEditor<{
        title: {
          changes: {
            edges: Array<{
              node: {
                operation: string;
                entityType: string;
                entityId: string;
                revision: number | null;
                fields: Array<{ field: string; before: unknown; after: unknown }>;
              };
            }>;
          };
        };
      }>(
        `{ title(slug: "the-glory") { changes(first: 10) { edges { node { operation entityType entityId revision fields { field before after } } } } } }`,
      );
      const nodes = changes.data!.title.changes.edges.map((e) => e.node);
      expect(nodes).toContainEqual(
        expect.objectContaining({
          operation: 'RESOLVE_REVIEW',
          entityType: 'FACT_REVIEW',
          entityId: factId('the-glory-dyk-1'),
          fields: expect.arrayContaining([
            { field: 'status', before: 'NOT_REVIEWED', after: 'REVIEWED' },
            { field: 'outcome', before: null, after: 'CORRECTED' },
            { field: 'note', before: null, after: 'Applied the first suggestion.' },
          ]),
        }),
      );
      expect(nodes).toContainEqual(
        expect.objectContaining({
          operation: 'RESOLVE_REVIEW',
          entityType: 'FACT',
          entityId: factId('the-glory-dyk-1'),
          revision: before.revision + 1,
          fields: [
            {
              field: 'text',
              before: expect.any(String),
              after: 'The corrected text of the first fact.',
            },
          ],
        }),
      );
    });

    it('answers CONFLICT when the fact moved past expectedRevision, writing nothing', async () => {
      const dyk2 = factId('the-glory-dyk-2');
      const [reports] = await t.store.openReportsOfFacts(['the-glory-dyk-2']);
      const suggestion = reports.find((r) => r.suggestedText !== null)!;
      const read = (await ask<{ node: { revision: number; text: string } }>(t, FACT, { id: dyk2 }))
        .data!.node;
      const edited = await asEditor(
        `mutation { updateFact(id: "${dyk2}", input: {text: "An editor's own wording."}, expectedRevision: ${read.revision}) { revision } }`,
      );
      expect(edited.errors).toBeUndefined();
      const res = await refused(
        t,
        () =>
          resolve({
            factId: dyk2,
            outcome: 'CORRECTED',
            text: suggestion.suggestedText,
            expectedRevision: read.revision,
          }),
        'CONFLICT',
      );
      expect(res.errors![0].extensions).toMatchObject({
        entity: 'Fact',
        expectedRevision: read.revision,
        currentRevision: read.revision + 1,
      });
      expect(await reviewOf(t, 'the-glory-dyk-2')).toMatchObject({
        status: 'NOT_REVIEWED',
        openReportCount: 2,
      });
    });

    it('resolves with a verification, and a taken-up fact, in one write each', async () => {
      const res = await resolve({
        factId: vincenzoFact,
        outcome: 'CONFIRMED_ACCURATE',
        verification: {
          status: 'VERIFIED',
          note: '  ',
          sources: [{ url: 'https://press.example/vincenzo', label: 'Press kit' }],
        },
      });
      expect(res.errors).toBeUndefined();
      expect(res.data!.resolveReview.fact).toMatchObject({
        id: vincenzoFact,
        text: 'Vincenzo was filmed in Italy.',
        revision: 2,
        verification: {
          status: 'VERIFIED',
          note: null,
          sources: [{ url: 'https://press.example/vincenzo', label: 'Press kit' }],
        },
      });
      expect(res.data!.resolveReview.review).toMatchObject({
        status: 'REVIEWED',
        outcome: 'CONFIRMED_ACCURATE',
      });

      const dismissed = await resolve({ factId: factId('the-glory-dyk-3'), outcome: 'DISMISSED' });
      expect(dismissed.errors).toBeUndefined();
      expect(dismissed.data!.resolveReview.review).toMatchObject({
        status: 'REVIEWED',
        outcome: 'DISMISSED',
        openReportCount: 0,
      });
      expect(dismissed.data!.resolveReview.resolution.note).toBeNull();
      // Resolved: no longer queued, so not again.
      await refused(
        t,
        () => resolve({ factId: factId('the-glory-dyk-3'), outcome: 'DISMISSED' }),
        'BAD_USER_INPUT',
        'factId',
      );
    });

    it('removes the fact with REMOVED: gone from its page and from the queue', async () => {
      const res = await resolve({ factId: factId('the-glory-dyk-4'), outcome: 'REMOVED' });
      expect(res.errors).toBeUndefined();
      expect(res.data!.resolveReview.fact).toBeNull();
      expect(res.data!.resolveReview.review).toMatchObject({
        status: 'REVIEWED',
        outcome: 'REMOVED',
      });
      expect(res.data!.resolveReview.title.facts.map((f) => f.id)).not.toContain(
        factId('the-glory-dyk-4'),
      );
      const gone = await ask<{ node: unknown }>(t, FACT, { id: factId('the-glory-dyk-4') });
      expect(gone.data!.node).toBeNull();
      expect(factsOf(await queue())).toEqual([factId('the-glory-dyk-2')]);
    });

    it('queues a fact on its ratings only past the threshold (default: 10 ratings)', async () => {
      const rate = (voterId: string) =>
        ask(
          t,
          `mutation { rateAccuracy(input: {titleId: "${GLORY}", factId: "${factId('the-glory-dyk-6')}", score: 1, voterId: "${voterId}"}) { rating { id } } }`,
        );
      for (const voter of ['voter-low-1', 'voter-low-2', 'voter-low-3']) {
        expect((await rate(voter)).errors).toBeUndefined();
      }
      // 3 low ratings of 3: a lower bound of 0.44, but fewer than 10 ratings.
      expect(factsOf(await queue())).not.toContain(factId('the-glory-dyk-6'));
    });
  });

  describe('the queue threshold from the configuration', () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await startTestApp({
        env: {
          ADMIN_TOKEN: TOKEN,
          RATINGS_RATE_LIMIT_PER_MINUTE: '100000',
          REVIEW_QUEUE_MIN_RATINGS: '3',
          REVIEW_QUEUE_MIN_LOWER_BOUND: '0.4',
          ...env(),
        },
      });
    });
    afterAll(() => t?.stop());

    it('queues a fact whose ratings cross REVIEW_QUEUE_MIN_RATINGS and _MIN_LOWER_BOUND', async () => {
      const rate = (voterId: string) =>
        ask(
          t,
          `mutation { rateAccuracy(input: {titleId: "${GLORY}", factId: "${factId('the-glory-dyk-6')}", score: 1, voterId: "${voterId}"}) { rating { id } } }`,
        );
      const queued = async () =>
        (await ask<QueuePage>(t, QUEUE, {}, EDITOR)).data!.reviewQueue.edges.map((e) => e.node);
      for (const voter of ['voter-low-1', 'voter-low-2']) {
        expect((await rate(voter)).errors).toBeUndefined();
      }
      expect(await queued()).toEqual([]);
      expect((await rate('voter-low-3')).errors).toBeUndefined();
      // 3 low ratings of 3: a lower bound of 0.44.
      const [entry] = await queued();
      expect(entry.fact.id).toBe(factId('the-glory-dyk-6'));
      expect(entry.figures).toMatchObject({ ratings: 3, lowRatings: 3, openReports: 0 });
      expect(entry.figures.lowShareLowerBound).toBeCloseTo(0.4385, 3);
      expect(await reviewOf(t, 'the-glory-dyk-6')).toMatchObject({ status: 'NOT_REVIEWED' });
    });
  });
});
