import { Ctx, Field, FieldResolver, Int, ObjectType, Resolver, Root } from 'type-graphql';
import {
  type FactRecord,
  type FactReview as FactReviewRecord,
  ReportReason as Reasons,
} from '../../../model';
import type { Context } from '../../request/context';
import { ReportReason, ReviewOutcome, ReviewStatus } from '../enums';
import { Fact } from '../facts/fact';

/**
 * Fact.review: what the public sees of a fact's review (docs/reviews.md, "What
 * is public"): its state, the last outcome and date, and its open reports
 * counted by reason. Nothing about who reported or what they wrote.
 */

@ObjectType({ description: 'How many open reports of a fact give one reason.' })
export class ReportCount {
  @Field(() => ReportReason, { description: 'The reason the reports give.' })
  reason!: ReportReason;

  @Field(() => Int, { description: 'How many open reports give it (1 or more).' })
  count!: number;
}

@ObjectType({
  description:
    "Where an editor's review of a fact stands, and how many viewers' reports are waiting (public; who reported and what they wrote are editors' only).",
})
export class FactReview {
  @Field(() => ReviewStatus, {
    description:
      'NOT_REVIEWED until an editor resolves it, UNDER_REVIEW while one checks it, then REVIEWED. New reports never change it.',
  })
  status!: ReviewStatus;

  @Field(() => ReviewOutcome, {
    nullable: true,
    description:
      "The last resolution's outcome; null if never resolved. Kept while new reports wait for the next review.",
  })
  outcome!: ReviewOutcome | null;

  @Field(() => Date, {
    nullable: true,
    description: 'When the last resolution was made; null if never resolved.',
  })
  reviewedAt!: Date | null;
}

/** The open reports, counted by reason (zero counts left out), in ReportReason's order. */
function countsByReason(review: FactReviewRecord): ReportCount[] {
  return Object.values(Reasons)
    .map((reason) => ({ reason, count: review.reports.byReason[reason] }))
    .filter(({ count }) => count > 0);
}

@Resolver(() => FactReview)
export class FactReviewResolver {
  @FieldResolver(() => [ReportCount], {
    description:
      'Open reports (not yet closed by a review) counted by reason, in the order of ReportReason. Only reasons with at least one report are listed: an empty list means none is open.',
  })
  openReports(@Root() review: FactReviewRecord): ReportCount[] {
    return countsByReason(review);
  }

  @FieldResolver(() => Int, {
    description: 'How many reports are open, whatever their reason: the sum of openReports.',
  })
  openReportCount(@Root() review: FactReviewRecord): number {
    return review.reports.open;
  }
}

/** Fact.review lives here, beside FactReview, so fact.ts need not import this file. */
@Resolver(() => Fact)
export class FactReviewFieldResolver {
  @FieldResolver(() => FactReview, {
    description:
      "Viewers' reports and the editors' review of this fact: its state, the last outcome and the open reports counted by reason.",
  })
  review(@Root() fact: FactRecord, @Ctx() ctx: Context): Promise<FactReviewRecord> {
    return ctx.loaders.reviewByFactId.load(fact.id);
  }
}
