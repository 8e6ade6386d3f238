import { Max, Min } from 'class-validator';
import {
  Args,
  ArgsType,
  Authorized,
  Ctx,
  Field,
  FieldResolver,
  Float,
  ID,
  Int,
  ObjectType,
  Query,
  Resolver,
  Root,
} from 'type-graphql';
import {
  type FactRecord,
  type FactReview as FactReviewRecord,
  type ReportRecord,
  type ReviewFigures as ReviewFiguresData,
  type TitleRecord,
} from '../../../model';
import type { ReviewQueueEntry as ReviewQueueEntryRecord } from '../../../store/port';
import { badUserInput } from '../../errors';
import { listComplexity } from '../../pipeline/complexity';
import { EDITOR } from '../../request/editor-auth';
import type { Context } from '../../request/context';
import { ReviewStatus } from '../enums';
import { Fact } from '../facts/fact';
import { parseReviewQueueCursor, requireGlobalId, toReviewQueueCursor } from '../node/ids';
import { PageArgs, pagedComplexity } from '../ratings/comments';
import { PageInfo, Title } from '../titles/title';
import { Report } from './report';
import { FactReview } from './review';

/**
 * Query.reviewQueue (editors only): the facts editors should check first,
 * each with the figures behind its rank and its open reports
 * (docs/reviews.md, "The queue's formula").
 */

const DEFAULT_QUEUE_PAGE = 20;
const DEFAULT_REPORTS = 20;
const MAX_REPORTS = 100;

/** A queue entry whose fact still exists, as the entry's fields read it. */
interface QueueEntry extends ReviewQueueEntryRecord {
  fact: FactRecord;
}

@ObjectType({
  description:
    'Why a fact ranks where it does in the review queue: priority = (lowShareLowerBound + reportsPart) / 2 (docs/reviews.md, "The queue\'s formula").',
})
export class ReviewFigures {
  @Field(() => Int, {
    description: 'Ratings since the last review (all of them if never reviewed).',
  })
  ratings!: number;

  @Field(() => Int, { description: 'Of those, scores 1 and 2 (inaccurate, mostly inaccurate).' })
  lowRatings!: number;

  @Field(() => Float, {
    description:
      'Wilson lower bound (95%) of lowRatings / ratings, 0 to 1: the share of low scores it is at least. 0 without ratings.',
  })
  lowShareLowerBound!: number;

  @Field(() => Int, { description: 'Open reports.' })
  openReports!: number;

  @Field(() => Int, { description: 'Open reports that name a source.' })
  reportsWithSource!: number;

  @Field(() => Float, {
    description:
      'The open reports weighed by reason (INACCURATE and MISLEADING 1, OUTDATED 0.75, UNVERIFIABLE and OTHER 0.5), plus 1 per source.',
  })
  reportWeight!: number;

  @Field(() => Float, { description: 'reportWeight / (reportWeight + 2), 0 to 1.' })
  reportsPart!: number;

  @Field(() => Float, {
    description: '(lowShareLowerBound + reportsPart) / 2, 0 to 1: the queue is in this order.',
  })
  priority!: number;
}

@ObjectType({ description: 'A fact in the review queue (editors only).' })
export class ReviewQueueEntry {
  @Field(() => Fact, { description: 'The fact to check.' })
  fact!: FactRecord;

  @Field(() => FactReview, { description: "The fact's review as it stands." })
  review!: FactReviewRecord;
}

@ArgsType()
class OpenReportsArgs {
  @Field(() => Int, {
    nullable: true,
    defaultValue: DEFAULT_REPORTS,
    description: `How many, 1 to ${MAX_REPORTS}; null means the default, ${DEFAULT_REPORTS}. figures.openReports counts them all.`,
  })
  @Min(1, { message: `first must be between 1 and ${MAX_REPORTS}` })
  @Max(MAX_REPORTS, { message: `first must be between 1 and ${MAX_REPORTS}` })
  first?: number | null;
}

@Resolver(() => ReviewQueueEntry)
export class ReviewQueueEntryResolver {
  @FieldResolver(() => Title, { description: 'The title whose page shows the fact.' })
  async title(@Root() entry: QueueEntry, @Ctx() ctx: Context): Promise<TitleRecord> {
    const title = await ctx.loaders.titleById.load(entry.titleId);
    if (!title) throw new Error(`the queued fact ${entry.factId} names no title`);
    return title;
  }

  @FieldResolver(() => ReviewFigures, { description: 'The figures behind its rank.' })
  figures(@Root() entry: QueueEntry): ReviewFiguresData {
    return entry.rank.figures;
  }

  @FieldResolver(() => Date, {
    nullable: true,
    description: 'When an editor took it up; null unless its review is UNDER_REVIEW.',
  })
  takenUpAt(@Root() entry: QueueEntry): Date | null {
    return entry.review.takenUpAt;
  }

  @FieldResolver(() => [Report], {
    description:
      "The fact's open reports, newest first (voter ids, notes, sources and suggested texts).",
    complexity: listComplexity((args) =>
      Math.min(Math.max(Number(args.first ?? DEFAULT_REPORTS), 1), MAX_REPORTS),
    ),
  })
  async openReports(
    @Root() entry: QueueEntry,
    @Args() { first }: OpenReportsArgs,
    @Ctx() ctx: Context,
  ): Promise<ReportRecord[]> {
    const reports = await ctx.loaders.openReportsByFactId.load(entry.factId);
    return reports.slice(0, first ?? DEFAULT_REPORTS);
  }
}

@ObjectType({ description: 'A queued fact with its cursor (Relay).' })
export class ReviewQueueEdge {
  @Field({ description: 'Opaque position of this entry in the queue: pass it as `after`.' })
  cursor!: string;

  @Field(() => ReviewQueueEntry, { description: 'The queued fact.' })
  node!: QueueEntry;
}

@ObjectType({
  description: 'A page of the review queue, highest priority first (Relay connection).',
})
export class ReviewQueueConnection {
  @Field(() => [ReviewQueueEdge], { description: 'The entries of this page, in queue order.' })
  edges!: ReviewQueueEdge[];

  @Field(() => PageInfo, { description: 'Cursors and whether more entries follow.' })
  pageInfo!: PageInfo;
}

@ArgsType()
class ReviewQueueArgs extends PageArgs {
  @Field(() => ID, { nullable: true, description: "Only this title's facts; omit for all." })
  titleId?: string | null;

  @Field(() => ReviewStatus, {
    nullable: true,
    description: 'Only facts whose review is in this state (e.g. UNDER_REVIEW); omit for all.',
  })
  status?: ReviewStatus | null;
}

@Resolver()
export class ReviewQueueResolver {
  @Authorized(EDITOR)
  @Query(() => ReviewQueueConnection, {
    description:
      'Editors only: the facts viewers doubt, highest priority first (then by fact), from their ratings since the last review and their open reports. A fact is queued while it has an open report, is under review, or its ratings cross REVIEW_QUEUE_MIN_RATINGS / REVIEW_QUEUE_MIN_LOWER_BOUND. Pages do not shift when other entries move: page on with after.',
    complexity: pagedComplexity,
  })
  async reviewQueue(@Args() args: ReviewQueueArgs, @Ctx() ctx: Context) {
    const after = args.after == null ? null : parseReviewQueueCursor(args.after);
    if (args.after != null && after === null) {
      throw badUserInput('after is not a cursor returned by reviewQueue', 'after');
    }
    const titleId = args.titleId == null ? null : requireGlobalId('Title', args.titleId, 'titleId');
    const page = await ctx.reviews.queue({
      first: args.first ?? DEFAULT_QUEUE_PAGE,
      after,
      titleId,
      status: args.status ?? null,
    });
    const cursorOf = (entry: ReviewQueueEntryRecord) =>
      toReviewQueueCursor(entry.rank.priority, entry.factId);
    const facts = await Promise.all(
      page.items.map((entry) => ctx.loaders.factById.load(entry.factId)),
    );
    // A fact removed while the page was read has left the queue: it is left out of the page.
    const edges = page.items.flatMap((entry, i) => {
      const fact = facts[i];
      return fact ? [{ cursor: cursorOf(entry), node: { ...entry, fact } }] : [];
    });
    const last = page.items.at(-1);
    return {
      edges,
      pageInfo: {
        hasNextPage: page.hasNextPage,
        hasPreviousPage: args.after != null,
        startCursor: edges[0]?.cursor ?? null,
        // The store's last entry, shown or not: the next page starts after it.
        endCursor: last ? cursorOf(last) : null,
      },
    };
  }
}
