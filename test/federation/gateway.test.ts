import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { ApolloGateway, RemoteGraphQLDataSource } from '@apollo/gateway';
import { ApolloServer } from '@apollo/server';
import { startStandaloneServer } from '@apollo/server/standalone';
import { parse, print } from 'graphql';
import { composeSupergraph } from '../../scripts/supergraph';
import { SUBGRAPH_FILE } from '../../src/graphql/schema/build';
import { startStreamingSubgraph, STREAMING_TYPE_DEFS } from '../fakes/streaming-subgraph';
import { errorCode, postRaw } from '../helpers/graphql-client';
import { buildServer, ROOT } from '../helpers/server-process';
import { startTestApp, type TestApp } from '../helpers/test-app';
import { tempDir } from '../helpers/temp-dirs';

/**
 * A supergraph on loopback: Reelcheck and another team's subgraph (which
 * extends Title by its TMDB identity) composed with @apollo/composition and
 * served by @apollo/gateway, telemetry off. Every outgoing connection the test
 * process makes is recorded: none may leave the loopback.
 */
process.env.APOLLO_TELEMETRY_DISABLED = 'true';

const connections: string[] = [];
const connect = net.Socket.prototype.connect;
beforeAll(() => {
  net.Socket.prototype.connect = function (this: net.Socket, ...args: unknown[]) {
    const [first] = args;
    const options = (typeof first === 'object' && first !== null ? first : {}) as {
      host?: string;
      path?: string;
    };
    const host = typeof first === 'number' ? String(args[1] ?? 'localhost') : options.host;
    if (!options.path) connections.push(host ?? 'localhost');
    return (connect as (...a: unknown[]) => net.Socket).apply(this, args);
  } as typeof connect;
});
afterAll(() => {
  net.Socket.prototype.connect = connect;
});

describe('composition', () => {
  it('composes Reelcheck with a subgraph that extends Title by tmdbId + mediaType: 0 errors', () => {
    const supergraph = composeSupergraph([
      {
        name: 'reelcheck',
        url: 'http://127.0.0.1:1/graphql',
        typeDefs: parse(fs.readFileSync(SUBGRAPH_FILE, 'utf8')),
      },
      { name: 'streaming', url: 'http://127.0.0.1:2/graphql', typeDefs: STREAMING_TYPE_DEFS },
    ]);
    expect(supergraph).toContain('streamingOn: [String!]! @join__field(graph: STREAMING)');
    expect(supergraph).toMatch(/@join__type\(graph: REELCHECK, key: "tmdbId mediaType"\)/);
  });

  it('npm run supergraph writes the supergraph SDL to a file', () => {
    buildServer();
    const dir = tempDir('reelcheck-supergraph-');
    const streaming = path.join(dir, 'streaming.graphql');
    fs.writeFileSync(streaming, print(STREAMING_TYPE_DEFS));
    const out = path.join(dir, 'supergraph.graphql');
    execFileSync(
      process.execPath,
      [
        path.join(ROOT, 'dist/scripts/supergraph.js'),
        '--out',
        out,
        `streaming=http://127.0.0.1:4001/graphql=${streaming}`,
      ],
      { cwd: ROOT, stdio: 'pipe' },
    );
    const sdl = fs.readFileSync(out, 'utf8');
    expect(sdl).toContain(
      'REELCHECK @join__graph(name: "reelcheck", url: "http://localhost:4000/graphql")',
    );
    expect(sdl).toContain(
      'STREAMING @join__graph(name: "streaming", url: "http://127.0.0.1:4001/graphql")',
    );
  });
});

/** What the gateway passes on to subgraphs: README "Federation", forwarding headers. */
interface GatewayContext {
  authorization?: string;
  forwardedFor: string;
}

describe('a gateway in front of both subgraphs', () => {
  const ADMIN_TOKEN = 'gateway-editor-token-0c5e9a7b13d2f468';
  let reelcheck: TestApp;
  let streaming: { url: string; stop(): Promise<void> };
  let gateway: ApolloServer<GatewayContext>;
  let gatewayUrl: string;

  beforeAll(async () => {
    // As deployed behind a router: TRUST_PROXY names it (here: loopback).
    reelcheck = await startTestApp({
      env: { TRUST_PROXY: 'loopback', RATINGS_RATE_LIMIT_PER_MINUTE: '2', ADMIN_TOKEN },
    });
    streaming = await startStreamingSubgraph();
    const supergraphSdl = composeSupergraph([
      {
        name: 'reelcheck',
        url: `${reelcheck.url}/graphql`,
        typeDefs: parse(fs.readFileSync(SUBGRAPH_FILE, 'utf8')),
      },
      { name: 'streaming', url: streaming.url, typeDefs: STREAMING_TYPE_DEFS },
    ]);
    // Forwards Authorization, and X-Forwarded-For with the caller's address added, as a proxy does.
    gateway = new ApolloServer<GatewayContext>({
      gateway: new ApolloGateway({
        supergraphSdl,
        buildService: ({ url }) =>
          new RemoteGraphQLDataSource<GatewayContext>({
            url,
            willSendRequest({ request, context }) {
              if (context.authorization) {
                request.http!.headers.set('authorization', context.authorization);
              }
              request.http!.headers.set('x-forwarded-for', context.forwardedFor);
            },
          }),
      }),
    });
    ({ url: gatewayUrl } = await startStandaloneServer(gateway, {
      listen: { host: '127.0.0.1', port: 0 },
      context: async ({ req }) => ({
        authorization: req.headers.authorization,
        forwardedFor: [req.headers['x-forwarded-for'], req.socket.remoteAddress]
          .filter(Boolean)
          .join(', '),
      }),
    }));
    gatewayUrl = gatewayUrl.replace(/\/$/, '');
  });

  afterAll(async () => {
    await gateway?.stop();
    await streaming?.stop();
    await reelcheck?.stop();
  });

  const viaGateway = <T>(
    query: string,
    variables?: Record<string, unknown>,
    headers: Record<string, string> = {},
  ) => postRaw<T>(gatewayUrl.replace(/\/graphql$/, ''), { query, variables }, headers);

  it("answers one query with Reelcheck's title page and the other subgraph's field", async () => {
    const res = await viaGateway<{
      title: {
        name: string;
        streamingOn: string[];
        accuracy: { count: number };
        facts: Array<{ text: string }>;
        recommendations: Array<{ title: { name: string; streamingOn: string[] } }>;
      };
    }>(`{
      title(slug: "the-glory") {
        name
        streamingOn
        accuracy { count verdict }
        facts { text }
        recommendations { label title { name streamingOn } }
      }
    }`);
    expect(res.errors).toBeUndefined();
    expect(res.data!.title).toMatchObject({ name: 'The Glory', streamingOn: ['Netflix'] });
    expect(res.data!.title.facts).toHaveLength(16);
    // Vincenzo has no TMDB id: the other subgraph cannot know it, and says so with [].
    expect(res.data!.title.recommendations[0].title).toEqual({ name: 'Vincenzo', streamingOn: [] });
  });

  it('routes rateAccuracy to Reelcheck and answers with the new summary', async () => {
    const page = await viaGateway<{ title: { id: string } }>('{ title(slug: "the-glory") { id } }');
    const titleId = page.data!.title.id;
    const rated = await viaGateway<{
      rateAccuracy: { title: { accuracy: { count: number }; streamingOn: string[] } };
    }>(
      `mutation Rate($input: RateAccuracyInput!) {
        rateAccuracy(input: $input) { title { accuracy { count } streamingOn } }
      }`,
      { input: { titleId, score: 5, voterId: 'gateway-voter-1' } },
    );
    expect(rated.errors).toBeUndefined();
    expect(rated.data!.rateAccuracy.title).toEqual({
      accuracy: { count: 1 },
      streamingOn: ['Netflix'],
    });
  });

  it('forwards Authorization and X-Forwarded-For: editors edit through it, and each client has its own rating budget', async () => {
    const create = (headers: Record<string, string>) =>
      viaGateway<{ createTitle: { slug: string } }>(
        'mutation { createTitle(input: { name: "Via Gateway", mediaType: MOVIE }) { slug } }',
        undefined,
        headers,
      );
    expect(errorCode(await create({}))).toBe('UNAUTHENTICATED');
    const created = await create({ authorization: `Bearer ${ADMIN_TOKEN}` });
    expect(created.errors).toBeUndefined();
    expect(created.data!.createTitle.slug).toBe('via-gateway');

    // Two clients behind the gateway (addresses from a load balancer's X-Forwarded-For), 2 ratings a minute each.
    const page = await viaGateway<{ title: { id: string } }>('{ title(slug: "vincenzo") { id } }');
    const rate = (client: string, voterId: string) =>
      viaGateway(
        'mutation Rate($input: RateAccuracyInput!) { rateAccuracy(input: $input) { rating { id } } }',
        { input: { titleId: page.data!.title.id, score: 4, voterId } },
        { 'x-forwarded-for': client },
      );
    expect((await rate('198.51.100.1', 'behind-gateway-a1')).errors).toBeUndefined();
    expect((await rate('198.51.100.1', 'behind-gateway-a2')).errors).toBeUndefined();
    expect(errorCode(await rate('198.51.100.1', 'behind-gateway-a3'))).toBe('RATE_LIMITED');
    expect((await rate('198.51.100.2', 'behind-gateway-b1')).errors).toBeUndefined();
    expect((await rate('198.51.100.2', 'behind-gateway-b2')).errors).toBeUndefined();
  });

  it('made no connection outside the loopback', () => {
    expect(connections.length).toBeGreaterThan(0);
    expect(connections.filter((host) => !/^(127\.0\.0\.1|localhost|::1)$/.test(host))).toEqual([]);
  });
});
