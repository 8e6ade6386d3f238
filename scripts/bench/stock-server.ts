import fs from 'node:fs';
import { ApolloServer } from '@apollo/server';
import { startStandaloneServer } from '@apollo/server/standalone';

/**
 * The bench's reference: a stock Apollo Server (standalone, default options
 * and plugins) with a hand-written SDL, serving the title page from memory.
 * The data is Reelcheck's own answer to the README's title page query
 * (BENCH_PAGE_FILE holds its `data`), so both return the same bytes; the
 * bench checks that before it measures. Forked by servers.ts; reports its
 * port over IPC.
 */

const typeDefs = `#graphql
  scalar DateTime
  enum MediaType { MOVIE TV }
  enum FactCategory { BEHIND_THE_SCENES DID_YOU_KNOW }
  enum AccuracyVerdict { UNRATED INACCURATE MOSTLY_INACCURATE MIXED MOSTLY_ACCURATE ACCURATE }

  type Query {
    title(id: ID, slug: String): Title
    ratingScale: [RatingLevel!]!
  }
  type Title {
    id: ID!
    slug: String!
    name: String!
    mediaType: MediaType!
    year: Int
    tagline: String
    overview: String
    tmdbId: Int
    verdictBlurb: String
    accuracy: AccuracySummary!
    tmdbScore: TmdbScore
    facts(category: FactCategory): [Fact!]!
    recommendations: [Recommendation!]!
  }
  type TmdbScore {
    voteAverage: Float!
    voteCount: Int!
    fetchedAt: DateTime!
    stale: Boolean!
  }
  type AccuracySummary {
    id: ID!
    count: Int!
    average: Float
    distribution: [Int!]!
    score: Float
    verdict: AccuracyVerdict!
  }
  type Fact {
    id: ID!
    category: FactCategory!
    text: String!
    position: Int!
    accuracy: AccuracySummary!
  }
  type Recommendation {
    id: ID!
    label: String!
    reason: String!
    title: Title!
  }
  type RatingLevel {
    score: Int!
    label: String!
    description: String!
  }
`;

type Fact = Record<string, unknown>;
interface PageData {
  title: Record<string, unknown> & { behindTheScenes: Fact[]; didYouKnow: Fact[] };
  ratingScale: unknown[];
}

/** The page as an in-memory record: the two aliased fact lists become one `facts` with categories. */
function titleRecord(page: PageData): Record<string, unknown> & { facts: Fact[] } {
  const { behindTheScenes, didYouKnow, ...title } = page.title;
  return {
    ...title,
    facts: [
      ...behindTheScenes.map((fact) => ({ ...fact, category: 'BEHIND_THE_SCENES' })),
      ...didYouKnow.map((fact) => ({ ...fact, category: 'DID_YOU_KNOW' })),
    ],
  };
}

async function main(): Promise<void> {
  const page = JSON.parse(fs.readFileSync(process.env.BENCH_PAGE_FILE!, 'utf8')) as PageData;
  const title = titleRecord(page);
  const server = new ApolloServer({
    typeDefs,
    resolvers: {
      Query: {
        title: () => title,
        ratingScale: () => page.ratingScale,
      },
      Title: {
        facts: (parent: typeof title, args: { category?: string | null }) =>
          args.category
            ? parent.facts.filter((fact) => fact.category === args.category)
            : parent.facts,
      },
    },
  });
  const { url } = await startStandaloneServer(server, { listen: { port: 0, host: '127.0.0.1' } });
  process.send!({ port: Number(new URL(url).port) });
  process.on('SIGTERM', () => process.exit(0));
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
