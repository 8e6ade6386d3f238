import {
  Arg,
  Ctx,
  Field,
  FieldResolver,
  ID,
  InputType,
  Mutation,
  ObjectType,
  Resolver,
  Root,
} from 'type-graphql';
import {
  type FactRecord,
  MAX_REPORT_NOTE_LENGTH,
  MAX_SOURCE_URL_LENGTH,
  MAX_SUGGESTED_TEXT_LENGTH,
  type ReportRecord,
} from '../../../model';
import type { Context } from '../../request/context';
import { ReportReason, ReportState } from '../enums';
import { Fact } from '../facts/fact';
import { requireGlobalId, toGlobalId } from '../node/ids';
import { Node } from '../node/node';

/**
 * Viewers' reports (docs/reviews.md): reportFact for anyone, the Report type
 * for editors only (it is reached only through editor fields: the review
 * queue, node(id) with an editor's token).
 */

@ObjectType({
  implements: Node,
  description:
    "A viewer's report that a fact is wrong (editors only): why, who (the anonymous voter id), and what they propose.",
})
export class Report extends Node {
  @Field(() => ReportReason, { description: 'Why the viewer thinks the fact is wrong.' })
  reason!: ReportReason;

  @Field({ description: 'The anonymous voter id the viewer reported (and rates) with.' })
  voterId!: string;

  @Field(() => String, { nullable: true, description: "The viewer's note; null if none." })
  note!: string | null;

  @Field(() => String, {
    nullable: true,
    description:
      'An http(s) source the viewer gives, as the URL parser normalized it; null if none.',
  })
  sourceUrl!: string | null;

  @Field(() => String, {
    nullable: true,
    description:
      "The text the viewer proposes for the fact; null if none. An editor may apply it as it is with resolveReview's text.",
  })
  suggestedText!: string | null;

  @Field(() => ReportState, { description: 'OPEN until a resolution of the fact closes it.' })
  state!: ReportState;

  @Field({ description: 'When the voter first reported the fact (kept when they replace it).' })
  createdAt!: Date;

  @Field({ description: 'When the voter last replaced it, or when a resolution closed it.' })
  updatedAt!: Date;
}

@Resolver(() => Report)
export class ReportResolver {
  @FieldResolver(() => ID, { description: "The report's global ID." })
  id(@Root() report: ReportRecord): string {
    return toGlobalId('Report', report.id);
  }

  @FieldResolver(() => Fact, {
    nullable: true,
    description: 'The reported fact; null once it was removed.',
  })
  fact(@Root() report: ReportRecord, @Ctx() ctx: Context): Promise<FactRecord | null> {
    return ctx.loaders.factById.load(report.factId);
  }
}

@InputType({
  description:
    "A viewer's report that a fact is wrong. One open report per voter and fact: reporting again replaces it.",
})
export class ReportFactInput {
  @Field(() => ID, { description: 'The reported fact (Fact.id).' })
  factId!: string;

  @Field({
    description:
      'The anonymous id the app generates once per device (8 to 64 of A-Z a-z 0-9 _ -), the one it rates with.',
  })
  voterId!: string;

  @Field(() => ReportReason, { description: 'Why the fact is wrong.' })
  reason!: ReportReason;

  @Field(() => String, {
    nullable: true,
    description: `Optional, at most ${MAX_REPORT_NOTE_LENGTH} characters after trimming; blank means none. Only editors see it.`,
  })
  note?: string | null;

  @Field(() => String, {
    nullable: true,
    description: `Optional http(s) URL of a source, at most ${MAX_SOURCE_URL_LENGTH} characters, without a user name or password. Weighs the report more in the queue.`,
  })
  sourceUrl?: string | null;

  @Field(() => String, {
    nullable: true,
    description: `Optional: the text the fact should have, as an editor could apply it (not blank, at most ${MAX_SUGGESTED_TEXT_LENGTH} characters).`,
  })
  suggestedText?: string | null;
}

@ObjectType({
  description:
    'The result of reportFact: the fact, whose review (select Fact.review) counts the report already.',
})
export class ReportFactPayload {
  @Field(() => Fact, { description: 'The reported fact; its review includes this report.' })
  fact!: FactRecord;

  @Field({
    description:
      "True when a new report was filed; false when it replaced the voter's open report of the fact.",
  })
  created!: boolean;
}

@Resolver()
export class ReportFactResolver {
  /**
   * The id is parsed here (BAD_USER_INPUT naming factId); the service checks
   * the rest before it spends the rate limit (ReviewService.report says why).
   */
  @Mutation(() => ReportFactPayload, {
    description:
      "Reports a fact as wrong, with a reason and optionally a note, a source and a suggested text: it goes to the editors' review queue. One open report per voter and fact (reporting again replaces it). Spends the client's rating budget (RATINGS_RATE_LIMIT_PER_MINUTE counts ratings and reports together).",
  })
  async reportFact(
    @Arg('input', () => ReportFactInput, { description: 'The fact, the voter and the report.' })
    input: ReportFactInput,
    @Ctx() ctx: Context,
  ): Promise<ReportFactPayload> {
    const result = await ctx.reviews.report(
      {
        factId: requireGlobalId('Fact', input.factId, 'factId'),
        voterId: input.voterId,
        reason: input.reason,
        note: input.note,
        sourceUrl: input.sourceUrl,
        suggestedText: input.suggestedText,
      },
      { address: ctx.clientAddress, logger: ctx.logger },
    );
    // Fact.review, if selected, reads this very review.
    ctx.loaders.reviewByFactId.prime(result.fact.id, result.review);
    return { fact: result.fact, created: result.created };
  }
}
