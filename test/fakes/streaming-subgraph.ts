import { ApolloServer } from '@apollo/server';
import { startStandaloneServer } from '@apollo/server/standalone';
import { buildSubgraphSchema } from '@apollo/subgraph';
import { parse } from 'graphql';

/**
 * Another team's subgraph, for the federation tests: it knows titles only by
 * their TMDB identity and adds where to stream them. It never talks to
 * Reelcheck; the router joins the two by the key `tmdbId mediaType`.
 */
export const STREAMING_TYPE_DEFS = parse(`
  extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key"])

  enum MediaType {
    MOVIE
    TV
  }

  type Title @key(fields: "tmdbId mediaType") {
    tmdbId: Int
    mediaType: MediaType!
    "Services that stream the title, from the streaming team's catalog."
    streamingOn: [String!]!
  }
`);

/** The streaming team's catalog: TMDB identity -> services. */
const STREAMING: Record<string, string[]> = { 'TV:136283': ['Netflix'] };

export async function startStreamingSubgraph(): Promise<{ url: string; stop(): Promise<void> }> {
  const server = new ApolloServer({
    schema: buildSubgraphSchema({
      typeDefs: STREAMING_TYPE_DEFS,
      resolvers: {
        Title: {
          __resolveReference: (ref: { tmdbId: number; mediaType: string }) => ref,
          streamingOn: (title: { tmdbId: number; mediaType: string }) =>
            STREAMING[`${title.mediaType}:${title.tmdbId}`] ?? [],
        },
      },
    }),
  });
  const { url } = await startStandaloneServer(server, { listen: { host: '127.0.0.1', port: 0 } });
  return { url, stop: () => server.stop() };
}
