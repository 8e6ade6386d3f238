import fs from 'node:fs';
import { GraphQLError } from 'graphql';
import { summarize } from '../../src/model';

/**
 * What the bench's peers (stock-server.ts, mercurius-server.ts) serve: title
 * pages held in memory, and ratings applied to them by Reelcheck's rules.
 *
 * The pages are Reelcheck's own answers to the title page query (the bench
 * writes them to BENCH_PAGES_FILE as `{ "<slug>": <the response's data> }`),
 * so a peer returns Reelcheck's bytes; the bench checks that before it
 * measures. A rating (rateAccuracy, page ratings only) updates the title's
 * summary the way Reelcheck does: one rating per voter per title (rating
 * again replaces the earlier score), summaries derived by Reelcheck's own
 * summarize(). Every rating makes a new title record (nothing is changed in
 * place), so a cache that keeps a record shows the old summary until it is
 * invalidated, as a cache in front of a store would.
 */

export const PEER_TYPE_DEFS = `#graphql
  scalar DateTime
  enum MediaType { MOVIE TV }
  enum FactCategory { BEHIND_THE_SCENES DID_YOU_KNOW }
  enum AccuracyVerdict { UNRATED INACCURATE MOSTLY_INACCURATE MIXED MOSTLY_ACCURATE ACCURATE }

  type Query {
    title(id: ID, slug: String): Title
    ratingScale: [RatingLevel!]!
  }
  type Mutation {
    rateAccuracy(input: RateAccuracyInput!): RateAccuracyPayload!
  }
  input RateAccuracyInput {
    titleId: ID!
    factId: ID
    score: Int!
    voterId: String!
    comment: String
  }
  type RateAccuracyPayload {
    accuracy: AccuracySummary!
    title: Title!
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

/** A title page response's `data`, as Reelcheck answered the title page query. */
export interface PageData {
  title: Record<string, unknown> & {
    id: string;
    accuracy: PeerSummary;
    behindTheScenes: Fact[];
    didYouKnow: Fact[];
  };
  ratingScale: unknown[];
}

/** An accuracy summary as served: the page's selection, plus score. */
export interface PeerSummary {
  id: string;
  count: number;
  average: number | null;
  distribution: number[];
  score?: number | null;
  verdict: string;
}

/** A title as a peer keeps it: the two aliased fact lists of the page become one `facts` with categories. */
export type TitleRecord = Record<string, unknown> & {
  id: string;
  accuracy: PeerSummary;
  facts: Fact[];
};

export interface RateInput {
  titleId: string;
  factId?: string | null;
  score: number;
  voterId: string;
  comment?: string | null;
}

const VOTER_ID = /^[A-Za-z0-9_-]{8,64}$/;

export function titleRecord(page: PageData): TitleRecord {
  const { behindTheScenes, didYouKnow, ...title } = page.title;
  return {
    ...title,
    facts: [
      ...behindTheScenes.map((fact) => ({ ...fact, category: 'BEHIND_THE_SCENES' })),
      ...didYouKnow.map((fact) => ({ ...fact, category: 'DID_YOU_KNOW' })),
    ],
  };
}

export class PeerPages {
  private readonly bySlug = new Map<string, TitleRecord>();
  private readonly slugOf = new Map<string, string>();
  /** `${titleId} ${voterId}` -> the score that voter gave (a rating again replaces it). */
  private readonly votes = new Map<string, number>();
  readonly ratingScale: unknown[];

  constructor(pages: Record<string, PageData>) {
    const all = Object.entries(pages);
    if (all.length === 0) throw new Error('no pages to serve');
    for (const [slug, page] of all) {
      const record = titleRecord(page);
      this.bySlug.set(slug, record);
      this.slugOf.set(record.id, slug);
    }
    this.ratingScale = all[0][1].ratingScale;
  }

  /** How many titles are served. */
  get size(): number {
    return this.bySlug.size;
  }

  /** Reads BENCH_PAGES_FILE's format. */
  static fromFile(file: string): PeerPages {
    return new PeerPages(JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, PageData>);
  }

  title(args: { id?: string | null; slug?: string | null }): TitleRecord | null {
    const slug = args.slug ?? (args.id ? this.slugOf.get(args.id) : undefined);
    return (slug !== undefined && this.bySlug.get(slug)) || null;
  }

  /** Applies a page rating as Reelcheck does; the title's new summary, and the title. */
  rate(input: RateInput): { accuracy: PeerSummary; title: TitleRecord } {
    if (!Number.isInteger(input.score) || input.score < 1 || input.score > 5) {
      throw badInput('score must be an integer from 1 to 5');
    }
    if (!VOTER_ID.test(input.voterId)) {
      throw badInput('voterId must be 8 to 64 characters of A-Z, a-z, 0-9, _ and -');
    }
    if (input.comment != null && input.comment.length > 500) {
      throw badInput('comment must be at most 500 characters');
    }
    if (input.factId != null) throw badInput('the bench peers take page ratings only');
    const slug = this.slugOf.get(input.titleId);
    const title = slug === undefined ? undefined : this.bySlug.get(slug);
    if (slug === undefined || !title) {
      throw new GraphQLError('No such title', { extensions: { code: 'NOT_FOUND' } });
    }
    const vote = `${input.titleId} ${input.voterId}`;
    const previous = this.votes.get(vote);
    const distribution = [...title.accuracy.distribution] as [
      number,
      number,
      number,
      number,
      number,
    ];
    if (previous !== undefined) distribution[previous - 1]--;
    distribution[input.score - 1]++;
    this.votes.set(vote, input.score);
    const { targetKey: _targetKey, ...summary } = summarize({
      targetKey: title.id,
      count: distribution.reduce((count, n) => count + n, 0),
      sum: distribution.reduce((sum, n, i) => sum + n * (i + 1), 0),
      distribution,
    });
    const accuracy: PeerSummary = { id: title.accuracy.id, ...summary };
    const updated: TitleRecord = { ...title, accuracy };
    this.bySlug.set(slug, updated);
    return { accuracy, title: updated };
  }
}

function badInput(message: string): GraphQLError {
  return new GraphQLError(message, { extensions: { code: 'BAD_USER_INPUT' } });
}

/** The peers' resolvers (one set for Apollo and Mercurius): lookups in memory, nothing else. */
export function peerResolvers(pages: PeerPages) {
  return {
    Query: {
      title: (_: unknown, args: { id?: string | null; slug?: string | null }) => pages.title(args),
      ratingScale: () => pages.ratingScale,
    },
    Mutation: {
      rateAccuracy: (_: unknown, args: { input: RateInput }) => pages.rate(args.input),
    },
    Title: {
      facts: (parent: TitleRecord, args: { category?: string | null }) =>
        args.category
          ? parent.facts.filter((fact) => fact.category === args.category)
          : parent.facts,
    },
  };
}
