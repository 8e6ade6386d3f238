/**
 * Editors over HTTP, against the real app: authentication, every editor
 * mutation with its success and error paths (nothing written on any error),
 * revisions and CONFLICT, slugs, verification, comments and their
 * moderation, the audit trail. On the embedded store always, and on MongoDB
 * when TEST_MONGODB_URI is set.
 */
import { readCatalog } from '../../src/catalog/read';
import { toCatalogFile } from '../../src/catalog/format';
import type { Store } from '../../src/store/port';
import {
  AddFactDocument,
  ChangesDocument,
  CommentsDocument,
  CreateTitleDocument,
  EditorPageDocument,
  FactCommentsDocument,
  HideRatingCommentDocument,
  MoveFactDocument,
  RateAccuracyDocument,
  RemoveFactDocument,
  SetFactVerificationDocument,
  SetRecommendationsDocument,
  UpdateFactDocument,
  UpdateTitleDocument,
} from '../generated/graphql';
import { errorCode, execute, type GraphQLResponse, postRaw } from '../helpers/graphql-client';
import {
  freshDatabaseName,
  MONGODB_SUITE,
  TEST_MONGODB_URI,
  uriWithDatabase,
} from '../helpers/mongo';
import { startTestApp, type TestApp } from '../helpers/test-app';

const TOKEN = 'editor-token-8f3a1c9e77d24b51a6c0d2';
const EDITOR = { authorization: `Bearer ${TOKEN}` };

const stores: Array<[string, () => Record<string, string>]> = [
  ['Editors over HTTP: sqlite', () => ({})],
];
if (TEST_MONGODB_URI) {
  stores.push([
    `${MONGODB_SUITE}editors over HTTP`,
    () => ({ MONGODB_URI: uriWithDatabase(TEST_MONGODB_URI!, freshDatabaseName()) }),
  ]);
}

/** Everything editors can change, and the audit trail: equal before and after means nothing was written. */
async function storeState(store: Store): Promise<unknown> {
  const catalog = await readCatalog(store);
  const changes = await Promise.all(
    catalog.titles.map(async (t) => (await store.changesOfTitle(t.title.id, { first: 100 })).items),
  );
  return { catalog: toCatalogFile(catalog), changes };
}

function fields(response: GraphQLResponse<unknown>): string[] {
  const list = response.errors?.[0]?.extensions?.fields as Array<{ field: string }> | undefined;
  return (list ?? []).map((f) => f.field);
}

describe.each(stores)('%s', (_name, env) => {
  let t: TestApp;
  const gql = <TData, TVariables>(
    document: Parameters<typeof execute<TData, TVariables>>[1],
    variables: TVariables,
    headers: Record<string, string> = EDITOR,
  ) => execute(t.url, document, variables, headers);
  const page = async (slug: string) => (await gql(EditorPageDocument, { slug })).data!.title!;

  beforeAll(async () => {
    t = await startTestApp({ env: { ADMIN_TOKEN: TOKEN, ...env() } });
  });
  afterAll(() => t?.stop());

  /** Runs `request`, expects `code` (and the fields), and that nothing was written. */
  async function refused(
    request: () => Promise<GraphQLResponse<unknown>>,
    code: string,
    field?: string,
  ): Promise<GraphQLResponse<unknown>> {
    const before = await storeState(t.store);
    const response = await request();
    expect(response.errors?.[0]?.extensions?.code).toBe(code);
    if (field && code === 'BAD_USER_INPUT') expect(fields(response)).toContain(field);
    if (field && code === 'NOT_FOUND') expect(response.errors?.[0]?.extensions?.field).toBe(field);
    expect(await storeState(t.store)).toEqual(before);
    return response;
  }

  describe('authentication', () => {
    const create = (headers: Record<string, string>) =>
      gql(CreateTitleDocument, { input: { name: 'Sneaky', mediaType: 'MOVIE' } }, headers);

    it('refuses editor mutations without a token, or with a wrong one: UNAUTHENTICATED, nothing written', async () => {
      const missing = await refused(() => create({}), 'UNAUTHENTICATED');
      expect(missing.status).toBe(401);
      expect(missing.errors![0].message).toContain('Authorization: Bearer <ADMIN_TOKEN>');
      await refused(() => create({ authorization: 'Bearer wrong-token' }), 'UNAUTHENTICATED');
      await refused(() => create({ authorization: `Basic ${TOKEN}` }), 'UNAUTHENTICATED');
      await refused(() => create({ authorization: `Bearer ${TOKEN}x` }), 'UNAUTHENTICATED');
    });

    it('throttles wrong tokens per client address: RATE_LIMITED, then even for the right token', async () => {
      const behindProxy = await startTestApp({
        env: { ADMIN_TOKEN: TOKEN, TRUST_PROXY: 'loopback', ...env() },
      });
      try {
        const from = (client: string, token: string) =>
          execute(
            behindProxy.url,
            CreateTitleDocument,
            { input: { name: 'Guessed', mediaType: 'MOVIE' } },
            { authorization: `Bearer ${token}`, 'x-forwarded-for': client },
          );
        const before = await storeState(behindProxy.store);
        const guesser = '203.0.113.10';
        for (let guess = 1; guess <= 5; guess++) {
          expect(errorCode(await from(guesser, `guess-${guess}`))).toBe('UNAUTHENTICATED');
        }
        const throttled = await from(guesser, 'guess-6');
        expect(errorCode(throttled)).toBe('RATE_LIMITED');
        expect(throttled.errors![0].message).toMatch(/failed editor authentications/);
        const retryAfter = throttled.errors![0].extensions!.retryAfterSeconds as number;
        expect(retryAfter).toBeGreaterThanOrEqual(1);
        expect(retryAfter).toBeLessThanOrEqual(60);
        // The right token is refused too (without being compared): a refusal reveals nothing.
        expect(errorCode(await from(guesser, TOKEN))).toBe('RATE_LIMITED');
        expect(await storeState(behindProxy.store)).toEqual(before);
        // Another client keeps its own budget.
        const editor = await from('203.0.113.20', TOKEN);
        expect(editor.errors).toBeUndefined();
        expect(editor.data!.createTitle.slug).toBe('guessed');
      } finally {
        await behindProxy.stop();
      }
    });

    it('checks the role before the input: bad input without a token is UNAUTHENTICATED', async () => {
      await refused(
        () => gql(CreateTitleDocument, { input: { name: ' ', mediaType: 'MOVIE' } }, {}),
        'UNAUTHENTICATED',
      );
    });

    it('keeps editor-only fields from readers, and the token out of the logs', async () => {
      const changes = await gql(ChangesDocument, { slug: 'the-glory' }, {});
      expect(errorCode(changes)).toBe('UNAUTHENTICATED');
      expect(changes.data?.title).toBeNull();
      const asEditor = await gql(ChangesDocument, { slug: 'the-glory', first: 1 });
      expect(asEditor.errors).toBeUndefined();
      // The token as a request id: every log line of the request carries that id.
      const sent = await fetch(`${t.url}/graphql?query=%7B__typename%7D`, {
        headers: { 'x-request-id': TOKEN },
      });
      expect(sent.headers.get('x-request-id')).toBe(TOKEN);
      expect(t.logs.some((line) => JSON.parse(line).requestId === '[REDACTED]')).toBe(true);
      expect(t.logs.join('\n')).not.toContain(TOKEN);
    });

    it('answers FORBIDDEN, saying how to enable it, when ADMIN_TOKEN is not set', async () => {
      const closed = await startTestApp({ env: env() });
      try {
        const before = await storeState(closed.store);
        const response = await execute(
          closed.url,
          CreateTitleDocument,
          { input: { name: 'Sneaky', mediaType: 'MOVIE' } },
          EDITOR,
        );
        expect(errorCode(response)).toBe('FORBIDDEN');
        expect(response.errors![0].message).toMatch(/set ADMIN_TOKEN/);
        expect(await storeState(closed.store)).toEqual(before);
      } finally {
        await closed.stop();
      }
    });
  });

  describe('titles', () => {
    it('creates a title with a slug from its name; a clash adds the year, then a counter', async () => {
      const first = await gql(CreateTitleDocument, {
        input: { name: 'The Glory', mediaType: 'MOVIE', year: 1999, genres: ['Drama'] },
      });
      expect(first.errors).toBeUndefined();
      expect(first.data!.createTitle).toMatchObject({
        slug: 'the-glory-1999',
        name: 'The Glory',
        revision: 1,
        genres: ['Drama'],
      });
      const second = await gql(CreateTitleDocument, {
        input: { name: 'The Glory!', mediaType: 'MOVIE', year: 1999 },
      });
      expect(second.data!.createTitle.slug).toBe('the-glory-1999-2');
      const korean = await gql(CreateTitleDocument, {
        input: { name: '더 글로리', mediaType: 'TV' },
      });
      expect(korean.data!.createTitle.slug).toBe('deo-geulrori');
      expect((await page('deo-geulrori')).name).toBe('더 글로리');
    });

    it('refuses invalid input with BAD_USER_INPUT naming the field', async () => {
      await refused(
        () => gql(CreateTitleDocument, { input: { name: '  ', mediaType: 'TV' } }),
        'BAD_USER_INPUT',
        'name',
      );
      await refused(
        () => gql(CreateTitleDocument, { input: { name: 'Ok', mediaType: 'TV', year: 3000 } }),
        'BAD_USER_INPUT',
        'year',
      );
    });

    it('updates at the expected revision; a stale revision is CONFLICT with the current one', async () => {
      const vincenzo = await page('vincenzo');
      const updated = await gql(UpdateTitleDocument, {
        id: vincenzo.id,
        input: { year: 2021, tagline: 'A consigliere comes home.' },
        expectedRevision: vincenzo.revision,
      });
      expect(updated.errors).toBeUndefined();
      expect(updated.data!.updateTitle).toMatchObject({
        year: 2021,
        tagline: 'A consigliere comes home.',
        revision: vincenzo.revision + 1,
        slug: 'vincenzo',
      });
      expect(Date.parse(updated.data!.updateTitle.updatedAt)).toBeGreaterThan(
        Date.parse(vincenzo.updatedAt),
      );
      const stale = await refused(
        () =>
          gql(UpdateTitleDocument, {
            id: vincenzo.id,
            input: { year: 1999 },
            expectedRevision: vincenzo.revision,
          }),
        'CONFLICT',
      );
      expect(stale.errors![0].extensions).toMatchObject({
        expectedRevision: vincenzo.revision,
        currentRevision: vincenzo.revision + 1,
      });
    });

    it('renames with a new slug; the old slug keeps resolving and cannot be taken', async () => {
      const myName = await page('my-name');
      const renamed = await gql(UpdateTitleDocument, {
        id: myName.id,
        input: { name: 'My Name Is' },
        expectedRevision: myName.revision,
      });
      expect(renamed.data!.updateTitle.slug).toBe('my-name-is');
      expect((await page('my-name')).id).toBe(myName.id);
      expect((await page('my-name')).slug).toBe('my-name-is');
      const newcomer = await gql(CreateTitleDocument, {
        input: { name: 'My Name', mediaType: 'TV' },
      });
      expect(newcomer.data!.createTitle.slug).toBe('my-name-2');
    });

    it('answers NOT_FOUND for an unknown title and BAD_USER_INPUT for a malformed id', async () => {
      const unknown = Buffer.from('Title:nosuchtitle').toString('base64url');
      await refused(
        () => gql(UpdateTitleDocument, { id: unknown, input: { year: 2000 }, expectedRevision: 1 }),
        'NOT_FOUND',
        'id',
      );
      await refused(
        () => gql(UpdateTitleDocument, { id: 'nope', input: { year: 2000 }, expectedRevision: 1 }),
        'BAD_USER_INPUT',
        'id',
      );
    });
    it('gives a TMDB identity to one title: CONFLICT naming tmdbId, and the entity key stays The Glory', async () => {
      const duplicate = await refused(
        () =>
          gql(CreateTitleDocument, {
            input: { name: 'Glory Duplicate', mediaType: 'TV', tmdbId: 136283 },
          }),
        'CONFLICT',
      );
      expect(duplicate.errors![0].extensions).toMatchObject({
        field: 'tmdbId',
        tmdbId: 136283,
        mediaType: 'TV',
        heldBySlug: 'the-glory',
      });
      expect(duplicate.errors![0].message).toContain(
        'tmdbId 136283 (TV) already belongs to the title "the-glory"',
      );
      const vincenzo = await page('vincenzo');
      await refused(
        () =>
          gql(UpdateTitleDocument, {
            id: vincenzo.id,
            input: { tmdbId: 136283 },
            expectedRevision: vincenzo.revision,
          }),
        'CONFLICT',
      );
      // TMDB numbers films apart: the same number as a film is another identity.
      const film = await gql(CreateTitleDocument, {
        input: { name: 'Glory, the Film', mediaType: 'MOVIE', tmdbId: 136283 },
      });
      expect(film.errors).toBeUndefined();
      const entities = await postRaw<{ _entities: Array<{ slug: string }> }>(t.url, {
        query: 'query($r: [_Any!]!) { _entities(representations: $r) { ... on Title { slug } } }',
        variables: {
          r: [
            { __typename: 'Title', tmdbId: 136283, mediaType: 'TV' },
            { __typename: 'Title', tmdbId: 136283, mediaType: 'MOVIE' },
          ],
        },
      });
      expect(entities.data!._entities).toEqual([
        { slug: 'the-glory' },
        { slug: film.data!.createTitle.slug },
      ]);
    });
  });

  describe('facts', () => {
    it('adds, edits, moves and removes facts with revisions and positions 1..n', async () => {
      const glory = await page('the-glory');
      const added = await gql(AddFactDocument, {
        input: { titleId: glory.id, category: 'DID_YOU_KNOW', text: 'A new fact', position: 1 },
      });
      expect(added.errors).toBeUndefined();
      expect(added.data!.addFact).toMatchObject({
        position: 1,
        revision: 1,
        verification: { status: 'UNVERIFIED' },
      });
      const id = added.data!.addFact.id;
      const edited = await gql(UpdateFactDocument, {
        id,
        input: { text: 'A better fact' },
        expectedRevision: 1,
      });
      expect(edited.data!.updateFact).toMatchObject({ text: 'A better fact', revision: 2 });
      await refused(
        () => gql(UpdateFactDocument, { id, input: { text: 'Stale' }, expectedRevision: 1 }),
        'CONFLICT',
      );
      const moved = await gql(MoveFactDocument, { id, position: 9 });
      expect(moved.data!.moveFact).toMatchObject({ position: 9, revision: 3 });
      await refused(
        () => gql(MoveFactDocument, { id, position: 10 }),
        'BAD_USER_INPUT',
        'position',
      );
      const removed = await gql(RemoveFactDocument, { id });
      expect(removed.data!.removeFact.removedFactId).toBe(id);
      const dyk = (await page('the-glory')).facts.filter((f) => f.category === 'DID_YOU_KNOW');
      expect(dyk.map((f) => f.position)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
      await refused(() => gql(RemoveFactDocument, { id }), 'NOT_FOUND', 'id');
      await refused(() => gql(MoveFactDocument, { id, position: 1 }), 'NOT_FOUND', 'id');
    });

    it('refuses a fact without text, out of range, or on an unknown title', async () => {
      const glory = await page('the-glory');
      await refused(
        () =>
          gql(AddFactDocument, {
            input: { titleId: glory.id, category: 'DID_YOU_KNOW', text: '' },
          }),
        'BAD_USER_INPUT',
        'text',
      );
      await refused(
        () =>
          gql(AddFactDocument, {
            input: { titleId: glory.id, category: 'DID_YOU_KNOW', text: 'x', position: 10 },
          }),
        'BAD_USER_INPUT',
        'position',
      );
      await refused(
        () =>
          gql(AddFactDocument, {
            input: {
              titleId: Buffer.from('Title:nothing').toString('base64url'),
              category: 'DID_YOU_KNOW',
              text: 'x',
            },
          }),
        'NOT_FOUND',
        'titleId',
      );
    });

    it('publishes verification: the seed corrections, and what an editor sets', async () => {
      const glory = await page('the-glory');
      const status = (category: string, position: number) =>
        glory.facts.find((f) => f.category === category && f.position === position)!.verification;
      expect(status('BEHIND_THE_SCENES', 4).status).toBe('FALSE');
      expect(status('BEHIND_THE_SCENES', 2).status).toBe('DISPUTED');
      expect(status('DID_YOU_KNOW', 7)).toMatchObject({
        status: 'DISPUTED',
        sources: [{ url: 'https://en.wikipedia.org/wiki/Crash_Landing_on_You' }],
      });
      // Public: a reader sees it without a token.
      const reader = await gql(EditorPageDocument, { slug: 'the-glory' }, {});
      expect(reader.data!.title!.facts[3].verification.status).toBe('FALSE');

      const fact = glory.facts.find((f) => f.category === 'DID_YOU_KNOW' && f.position === 8)!;
      const set = await gql(SetFactVerificationDocument, {
        id: fact.id,
        input: {
          status: 'DISPUTED',
          note: 'Netflix does not publish sales figures.',
          sources: [{ url: 'https://example.org/netflix', label: 'Example' }],
        },
      });
      expect(set.errors).toBeUndefined();
      expect(set.data!.setFactVerification).toMatchObject({
        revision: fact.revision + 1,
        verification: { status: 'DISPUTED', sources: [{ url: 'https://example.org/netflix' }] },
      });
      await refused(
        () =>
          gql(SetFactVerificationDocument, {
            id: fact.id,
            input: { status: 'FALSE', sources: [] },
          }),
        'BAD_USER_INPUT',
        'sources',
      );
      await refused(
        () =>
          gql(SetFactVerificationDocument, {
            id: fact.id,
            input: { status: 'FALSE', sources: [{ url: 'javascript:alert(1)', label: 'x' }] },
          }),
        'BAD_USER_INPUT',
        'sources[0].url',
      );
    });
  });

  describe('recommendations', () => {
    it('replaces Watch Next in order; unknown or repeated titles are refused', async () => {
      const glory = await page('the-glory');
      const vincenzo = await page('vincenzo');
      const set = await gql(SetRecommendationsDocument, {
        titleId: glory.id,
        items: [{ titleId: vincenzo.id, label: 'More Revenge', reason: '' }],
      });
      expect(set.errors).toBeUndefined();
      expect(set.data!.setRecommendations.recommendations).toMatchObject([
        { label: 'More Revenge', reason: '', title: { slug: 'vincenzo' } },
      ]);
      const nothing = Buffer.from('Title:nothing').toString('base64url');
      await refused(
        () =>
          gql(SetRecommendationsDocument, {
            titleId: glory.id,
            items: [{ titleId: nothing, label: 'x', reason: '' }],
          }),
        'NOT_FOUND',
        'items[0].titleId',
      );
      await refused(
        () =>
          gql(SetRecommendationsDocument, {
            titleId: glory.id,
            items: [{ titleId: glory.id, label: 'x', reason: '' }],
          }),
        'BAD_USER_INPUT',
        'items[0].titleId',
      );
      await refused(
        () =>
          gql(SetRecommendationsDocument, {
            titleId: glory.id,
            items: [{ titleId: vincenzo.id, label: '', reason: '' }],
          }),
        'BAD_USER_INPUT',
        'items[0].label',
      );
    });
  });

  describe('comments and moderation', () => {
    const rate = (titleId: string, voterId: string, comment: string | null, factId?: string) =>
      postRaw<{ rateAccuracy: { rating: { id: string } } }>(t.url, {
        query:
          'mutation($input: RateAccuracyInput!) { rateAccuracy(input: $input) { rating { id } } }',
        variables: { input: { titleId, factId, score: 3, voterId, comment } },
      });

    it('lists comments newest first, page by page; hiding one takes it out for readers', async () => {
      const vincenzo = await page('vincenzo');
      const ids: string[] = [];
      for (let i = 1; i <= 5; i++) {
        const rated = await rate(vincenzo.id, `commenter-${i}`, i === 3 ? null : `Comment ${i}`);
        ids.push(rated.data!.rateAccuracy.rating.id);
        await new Promise((resolve) => setTimeout(resolve, 5)); // distinct times
      }
      const read = async (first: number, after?: string | null) =>
        (await gql(CommentsDocument, { slug: 'vincenzo', first, after }, {})).data!.title!.comments;
      const one = await read(2);
      expect(one.edges.map((e) => e.node.comment)).toEqual(['Comment 5', 'Comment 4']);
      expect(one.pageInfo).toMatchObject({ hasNextPage: true, hasPreviousPage: false });
      const two = await read(2, one.pageInfo.endCursor);
      expect(two.edges.map((e) => e.node.comment)).toEqual(['Comment 2', 'Comment 1']);
      expect(two.pageInfo.hasNextPage).toBe(false);

      const hidden = await gql(HideRatingCommentDocument, { ratingId: ids[3], reason: 'Spam' });
      expect(hidden.errors).toBeUndefined();
      expect(hidden.data!.hideRatingComment).toMatchObject({
        comment: 'Comment 4', // editors still see it
        moderation: { reason: 'Spam' },
      });
      expect((await read(10)).edges.map((e) => e.node.comment)).toEqual([
        'Comment 5',
        'Comment 2',
        'Comment 1',
      ]);
      // A reader who reaches the rating by id sees no comment, and no moderation.
      const byId = await postRaw<{ node: { comment: string | null } }>(t.url, {
        query: `{ node(id: "${ids[3]}") { ... on Rating { comment } } }`,
      });
      expect(byId.data!.node.comment).toBeNull();
      const moderation = await postRaw(t.url, {
        query: `{ node(id: "${ids[3]}") { ... on Rating { moderation { reason } } } }`,
      });
      expect(errorCode(moderation)).toBe('UNAUTHENTICATED');
      const bad = await postRaw(t.url, {
        query: `{ title(slug: "vincenzo") { comments(after: "x") { pageInfo { hasNextPage } } } }`,
      });
      expect(errorCode(bad)).toBe('BAD_USER_INPUT');
    });

    it("lists a fact's comments apart from the page's", async () => {
      const glory = await page('the-glory');
      const fact = glory.facts[0];
      await rate(glory.id, 'fact-commenter', 'About this fact', fact.id);
      const comments = await gql(FactCommentsDocument, { id: fact.id, first: 5 }, {});
      const node = comments.data!.node as {
        comments: { edges: Array<{ node: { comment: string } }> };
      };
      expect(node.comments.edges.map((e) => e.node.comment)).toEqual(['About this fact']);
    });

    it('refuses to hide what is not there', async () => {
      await refused(
        () =>
          gql(HideRatingCommentDocument, {
            ratingId: Buffer.from('Rating:999999').toString('base64url'),
            reason: 'x',
          }),
        'NOT_FOUND',
        'ratingId',
      );
      const glory = await page('the-glory');
      const silent = await rate(glory.id, 'silent-voter', null);
      await refused(
        () =>
          gql(HideRatingCommentDocument, {
            ratingId: silent.data!.rateAccuracy.rating.id,
            reason: 'x',
          }),
        'BAD_USER_INPUT',
        'ratingId',
      );
      await refused(
        () =>
          gql(HideRatingCommentDocument, {
            ratingId: silent.data!.rateAccuracy.rating.id,
            reason: ' ',
          }),
        'BAD_USER_INPUT',
        'reason',
      );
    });
  });

  describe('errors name their field one way', () => {
    it('by its path in the arguments, input left out, and the message says it once: every mutation', async () => {
      const glory = await page('the-glory');
      const vincenzo = await page('vincenzo');
      const fact = glory.facts.find((f) => f.category === 'DID_YOU_KNOW')!;
      const dykCount = glory.facts.filter((f) => f.category === 'DID_YOU_KNOW').length;
      const nope = 'VGl0bGU6bm9wZQ'; // Title:nope, well-formed, names nothing
      const url = 'https://example.org/source';
      const cases: Array<[string, () => Promise<GraphQLResponse<unknown>>, string, string]> = [
        [
          'createTitle: a genre twice',
          () =>
            gql(CreateTitleDocument, {
              input: { name: 'Twice', mediaType: 'TV', genres: ['Drama', ' drama'] },
            }),
          'BAD_USER_INPUT',
          'genres',
        ],
        [
          'updateTitle: name null',
          () =>
            gql(UpdateTitleDocument, {
              id: glory.id,
              input: { name: null },
              expectedRevision: glory.revision,
            }),
          'BAD_USER_INPUT',
          'name',
        ],
        [
          'updateTitle: expectedRevision -1',
          () =>
            gql(UpdateTitleDocument, { id: glory.id, input: { year: 2001 }, expectedRevision: -1 }),
          'BAD_USER_INPUT',
          'expectedRevision',
        ],
        [
          'updateTitle: a genre twice',
          () =>
            gql(UpdateTitleDocument, {
              id: glory.id,
              input: { genres: ['Drama', 'Drama'] },
              expectedRevision: glory.revision,
            }),
          'BAD_USER_INPUT',
          'genres',
        ],
        [
          'addFact: malformed titleId',
          () =>
            gql(AddFactDocument, {
              input: { titleId: 'nope', category: 'DID_YOU_KNOW', text: 'x' },
            }),
          'BAD_USER_INPUT',
          'titleId',
        ],
        [
          'addFact: titleId of nothing',
          () =>
            gql(AddFactDocument, { input: { titleId: nope, category: 'DID_YOU_KNOW', text: 'x' } }),
          'NOT_FOUND',
          'titleId',
        ],
        [
          'addFact: position past the end',
          () =>
            gql(AddFactDocument, {
              input: { titleId: glory.id, category: 'DID_YOU_KNOW', text: 'x', position: 99 },
            }),
          'BAD_USER_INPUT',
          'position',
        ],
        [
          'updateFact: expectedRevision 0',
          () => gql(UpdateFactDocument, { id: fact.id, input: { text: 'x' }, expectedRevision: 0 }),
          'BAD_USER_INPUT',
          'expectedRevision',
        ],
        [
          'moveFact: position 2147483647',
          () => gql(MoveFactDocument, { id: fact.id, position: 2147483647 }),
          'BAD_USER_INPUT',
          'position',
        ],
        [
          'moveFact: position 0',
          () => gql(MoveFactDocument, { id: fact.id, position: 0 }),
          'BAD_USER_INPUT',
          'position',
        ],
        [
          'setFactVerification: a url twice',
          () =>
            gql(SetFactVerificationDocument, {
              id: fact.id,
              input: {
                status: 'VERIFIED',
                sources: [
                  { url, label: 'One' },
                  { url, label: 'Two' },
                ],
              },
            }),
          'BAD_USER_INPUT',
          'sources[1].url',
        ],
        [
          'setRecommendations: titleId of nothing',
          () =>
            gql(SetRecommendationsDocument, {
              titleId: nope,
              items: [{ titleId: vincenzo.id, label: 'x', reason: '' }],
            }),
          'NOT_FOUND',
          'titleId',
        ],
        [
          'setRecommendations: the second entry without a label',
          () =>
            gql(SetRecommendationsDocument, {
              titleId: glory.id,
              items: [
                { titleId: vincenzo.id, label: 'ok', reason: '' },
                { titleId: vincenzo.id, label: ' ', reason: '' },
              ],
            }),
          'BAD_USER_INPUT',
          'items[1].label',
        ],
        [
          'setRecommendations: a title twice',
          () =>
            gql(SetRecommendationsDocument, {
              titleId: glory.id,
              items: [
                { titleId: vincenzo.id, label: 'a', reason: '' },
                { titleId: vincenzo.id, label: 'b', reason: '' },
              ],
            }),
          'BAD_USER_INPUT',
          'items[1].titleId',
        ],
        [
          'hideRatingComment: blank reason',
          () => gql(HideRatingCommentDocument, { ratingId: 'UmF0aW5nOjE', reason: ' ' }),
          'BAD_USER_INPUT',
          'reason',
        ],
        [
          'rateAccuracy (the model): score 6',
          () =>
            gql(RateAccuracyDocument, {
              input: { titleId: glory.id, score: 6, voterId: 'field-names-voter' },
            }),
          'BAD_USER_INPUT',
          'score',
        ],
      ];
      expect(dykCount).toBeLessThan(99);
      for (const [what, request, code, field] of cases) {
        const response = await refused(request, code, field);
        const error = response.errors![0];
        const named =
          code === 'NOT_FOUND'
            ? [error.extensions?.field]
            : (error.extensions?.fields as Array<{ field: string }>).map((f) => f.field);
        expect({ what, named }).toEqual({ what, named: [field] });
        // "position: position must be from 1 to 8" said it twice.
        const twice =
          error.message.split(field).length > 2 || /(\b[\w.[\]]+): \1\b/.test(error.message);
        expect({ what, twice }).toEqual({ what, twice: false });
      }
    });
  });

  describe('audit trail', () => {
    it('records every editor write with before and after, newest first, for editors only', async () => {
      const vincenzo = await page('vincenzo');
      await gql(UpdateTitleDocument, {
        id: vincenzo.id,
        input: { overview: 'Audit me' },
        expectedRevision: vincenzo.revision,
      });
      const changes = (await gql(ChangesDocument, { slug: 'vincenzo', first: 50 })).data!.title!
        .changes;
      const [latest] = changes.edges.map((e) => e.node);
      expect(latest).toMatchObject({
        operation: 'UPDATE_TITLE',
        entityType: 'TITLE',
        entityId: vincenzo.id,
        revision: vincenzo.revision + 1,
        fields: [{ field: 'overview', before: null, after: 'Audit me' }],
      });
      const operations = changes.edges.map((e) => e.node.operation);
      // Earlier tests changed Vincenzo's fields and hid one of its comments.
      expect(operations).toEqual(expect.arrayContaining(['UPDATE_TITLE', 'HIDE_RATING_COMMENT']));
      // The record is a Node editors can refetch; readers cannot.
      const node = await postRaw(t.url, { query: `{ node(id: "${latest.id}") { id } }` }, EDITOR);
      expect(node.data).toEqual({ node: { id: latest.id } });
      expect(
        errorCode(await postRaw(t.url, { query: `{ node(id: "${latest.id}") { id } }` })),
      ).toBe('UNAUTHENTICATED');
    });
  });
});
