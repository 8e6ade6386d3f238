import Fastify from 'fastify';
import mercurius from 'mercurius';
import mercuriusCache from 'mercurius-cache';
import { PEER_TYPE_DEFS, PeerPages, peerResolvers, type TitleRecord } from './peer-pages';

/**
 * A peer on another GraphQL stack: Mercurius 16 on Fastify 5, with graphql-jit
 * compiling every query from its first repeat (`jit: 1`), serving the same
 * title pages from memory with the same SDL and resolvers as the stock
 * Apollo peer (peer-pages.ts; BENCH_PAGES_FILE).
 *
 * With BENCH_MERCURIUS_CACHE=true, mercurius-cache keeps `Query.title` and
 * `Query.ratingScale` answers in memory for BENCH_CACHE_TTL_SECONDS (the bench
 * gives Reelcheck's default response cache max age), each title's answer
 * referenced as `title:<id>`, and a rating invalidates its title's
 * reference before its answer is sent, so the next read shows it.
 * Forked by servers.ts; reports its port over IPC.
 */
async function main(): Promise<void> {
  const pages = PeerPages.fromFile(process.env.BENCH_PAGES_FILE!);
  const app = Fastify({ logger: false });
  await app.register(mercurius, {
    schema: PEER_TYPE_DEFS,
    resolvers: peerResolvers(pages),
    jit: 1,
    graphiql: false,
  });
  if (process.env.BENCH_MERCURIUS_CACHE === 'true') {
    const ttl = Number(process.env.BENCH_CACHE_TTL_SECONDS ?? '2');
    await app.register(mercuriusCache, {
      ttl,
      storage: { type: 'memory', options: { size: 4 * pages.size, invalidation: true } },
      policy: {
        Query: {
          title: {
            references: (_: unknown, _key: string, result: TitleRecord | null) =>
              result ? [`title:${result.id}`] : [],
          },
          ratingScale: true,
        },
        Mutation: {
          rateAccuracy: {
            invalidate: (
              _self: unknown,
              _args: unknown,
              _ctx: unknown,
              _info: unknown,
              result: { title: TitleRecord },
            ) => [`title:${result.title.id}`],
          },
        },
      },
    });
  }
  // Apollo Server (and so Reelcheck) ends a JSON response with a newline; so
  // that the bytes are the same, Mercurius's get one too.
  app.addHook('onSend', (_request, _reply, payload, done) => {
    done(null, typeof payload === 'string' ? `${payload}\n` : payload);
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  process.send!({ port: typeof address === 'object' && address ? address.port : 0 });
  process.on('SIGTERM', () => process.exit(0));
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
