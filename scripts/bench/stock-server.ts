import { ApolloServer } from '@apollo/server';
import { startStandaloneServer } from '@apollo/server/standalone';
import { PEER_TYPE_DEFS, PeerPages, peerResolvers } from './peer-pages';

/**
 * The bench's reference: a stock Apollo Server (standalone, default options
 * and plugins) with a hand-written SDL, serving title pages from memory and
 * applying ratings to them (peer-pages.ts). The pages are Reelcheck's own
 * answers (BENCH_PAGES_FILE), so both return the same bytes; the bench
 * checks that before it measures. Forked by servers.ts; reports its port over
 * IPC.
 */
async function main(): Promise<void> {
  const pages = PeerPages.fromFile(process.env.BENCH_PAGES_FILE!);
  const server = new ApolloServer({ typeDefs: PEER_TYPE_DEFS, resolvers: peerResolvers(pages) });
  const { url } = await startStandaloneServer(server, { listen: { port: 0, host: '127.0.0.1' } });
  process.send!({ port: Number(new URL(url).port) });
  process.on('SIGTERM', () => process.exit(0));
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
