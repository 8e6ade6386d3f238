import { IsOptional, ValidateNested } from 'class-validator';
import {
  Arg,
  Authorized,
  Ctx,
  Field,
  FieldResolver,
  ID,
  InputType,
  Int,
  Mutation,
  ObjectType,
  Resolver,
  Root,
} from 'type-graphql';
import {
  type FactRecord,
  type FactReview as FactReviewRecord,
  MAX_RESOLUTION_NOTE_LENGTH,
  type ReviewResolution as ReviewResolutionRecord,
  type TitleRecord,
} from '../../../model';
import type { ResolutionEdit, TransitionResult } from '../../../reviews/service';
import { badUserInput } from '../../errors';
import { EDITOR } from '../../request/editor-auth';
import type { Context } from '../../request/context';
import { FactVerificationInput } from '../curation/editing';
import { ReviewOutcome } from '../enums';
import { Fact } from '../facts/fact';
import { requireGlobalId } from '../node/ids';
import { Title } from '../titles/title';
import { FactReview } from './review';

/**
 * Editors' transitions of a fact's review (docs/reviews.md, "Review
 * states"): take it up, resolve it. Each is one ReviewStore.transitionReview
 * write, with its change record and, for a resolution, the fact's edit.
 */

@InputType({ description: 'The fact an editor takes up.' })
export class TakeUpReviewInput {
  @Field(() => ID, { description: 'A queued fact (Fact.id), not already under review.' })
  factId!: string;
}

@InputType({
  description:
    "An editor's resolution of a queued fact's review. Besides the outcome it may change the fact, with at most one of text and verification; outcome REMOVED removes the fact and takes neither.",
})
export class ResolveReviewInput {
  @Field(() => ID, { description: 'A queued fact (Fact.id), taken up or not.' })
  factId!: string;

  @Field(() => ReviewOutcome, { description: 'How the review ends (public, with its date).' })
  outcome!: ReviewOutcome;

  @Field(() => String, {
    nullable: true,
    description: `The editor's note, at most ${MAX_RESOLUTION_NOTE_LENGTH} characters (editors only: the audit trail keeps it).`,
  })
  note?: string | null;

  @Field(() => String, {
    nullable: true,
    description:
      "The fact's corrected text: a report's suggestedText as it is, or the editor's own wording (the rule of every fact's text: not blank, at most 1,000 characters). Needs outcome CORRECTED and expectedRevision.",
  })
  text?: string | null;

  @Field(() => Int, {
    nullable: true,
    description:
      "With text: the fact's revision you read; if it changed since, the answer is CONFLICT and nothing is written.",
  })
  expectedRevision?: number | null;

  @Field(() => FactVerificationInput, {
    nullable: true,
    description: "Sets the fact's verification with the resolution, as setFactVerification does.",
  })
  @IsOptional()
  @ValidateNested()
  verification?: FactVerificationInput | null;
}

@ObjectType({ description: "An editor's resolution of a fact's review (editors only)." })
export class ReviewResolution {
  @Field(() => ReviewOutcome, { description: 'How the review ended.' })
  outcome!: ReviewOutcome;

  @Field(() => String, { nullable: true, description: "The editor's note; null if none." })
  note!: string | null;

  @Field({ description: "When it was resolved (the review's reviewedAt)." })
  resolvedAt!: Date;
}

@ObjectType({ description: 'The result of takeUpReview.' })
export class TakeUpReviewPayload {
  @Field(() => FactReview, { description: "The fact's review, now UNDER_REVIEW." })
  review!: FactReviewRecord;

  @Field(() => Fact, { description: 'The fact taken up.' })
  fact!: FactRecord;
}

@ObjectType({ description: 'The result of resolveReview.' })
export class ResolveReviewPayload {
  @Field(() => FactReview, { description: "The fact's review, now REVIEWED with the outcome." })
  review!: FactReviewRecord;

  @Field(() => ReviewResolution, { description: 'The resolution as stored.' })
  resolution!: ReviewResolutionRecord;

  @Field(() => Fact, {
    nullable: true,
    description:
      'The fact after the resolution (its new text or verification, its revision); null when it was removed.',
  })
  fact!: FactRecord | null;
}

/** What resolveReview answers; its title is read through the request's loaders, after the write. */
type ResolvedRoot = ResolveReviewPayload & { titleId: string };

@Resolver(() => ResolveReviewPayload)
export class ResolveReviewPayloadResolver {
  @FieldResolver(() => Title, {
    description: "The fact's title: select its facts to update caches after a removal.",
  })
  async title(@Root() payload: ResolvedRoot, @Ctx() ctx: Context): Promise<TitleRecord> {
    const title = await ctx.loaders.titleById.load(payload.titleId);
    if (!title) throw new Error(`the resolved fact's title ${payload.titleId} is gone`);
    return title;
  }
}

@Resolver()
export class ReviewTransitionResolver {
  @Authorized(EDITOR)
  @Mutation(() => TakeUpReviewPayload, {
    description:
      'Editors: takes up a queued fact: its page shows UNDER_REVIEW until it is resolved. Refused (BAD_USER_INPUT naming factId) for a fact not in the queue or already under review.',
  })
  async takeUpReview(
    @Arg('input', () => TakeUpReviewInput, { description: 'The fact to take up.' })
    input: TakeUpReviewInput,
    @Ctx() ctx: Context,
  ): Promise<TakeUpReviewPayload> {
    const result = await ctx.reviews.takeUp(requireGlobalId('Fact', input.factId, 'factId'));
    ctx.loaders.reviewByFactId.prime(result.fact!.id, result.review);
    return { review: result.review, fact: result.fact! };
  }

  @Authorized(EDITOR)
  @Mutation(() => ResolveReviewPayload, {
    description:
      "Editors: resolves a queued fact's review with an outcome: its open reports close, its ratings so far count as answered, and with it the fact may get a corrected text such as a reporter's suggestion (CORRECTED), a verification, or be removed (REMOVED), all in one write. Refused (BAD_USER_INPUT naming the field) for a fact not in the queue or a combination that makes no sense; CONFLICT when the fact moved past expectedRevision.",
  })
  async resolveReview(
    @Arg('input', () => ResolveReviewInput, {
      description: 'The fact, the outcome, what to change.',
    })
    input: ResolveReviewInput,
    @Ctx() ctx: Context,
  ): Promise<ResolvedRoot> {
    const factId = requireGlobalId('Fact', input.factId, 'factId');
    const result: TransitionResult = await ctx.reviews.resolve({
      factId,
      outcome: input.outcome,
      note: input.note ?? null,
      edit: resolutionEdit(input),
    });
    ctx.loaders.reviewByFactId.prime(factId, result.review);
    return {
      review: result.review,
      resolution: result.resolution!,
      fact: result.fact,
      titleId: result.resolution!.titleId,
    };
  }
}

/** What the input asks to change besides the review; BAD_USER_INPUT for a combination that makes no sense. */
function resolutionEdit(input: ResolveReviewInput): ResolutionEdit {
  const { text, expectedRevision, verification } = input;
  if (text != null && verification != null) {
    throw badUserInput('verification cannot be given with text: give at most one', 'verification');
  }
  if (text == null) {
    if (expectedRevision != null) {
      throw badUserInput(
        'expectedRevision goes with text: it is the revision of the fact the text replaces',
        'expectedRevision',
      );
    }
    if (verification == null) return { kind: 'none' };
    return {
      kind: 'verification',
      verification: {
        status: verification.status,
        note: verification.note?.trim() ? verification.note : null,
        sources: verification.sources.map(({ url, label }) => ({ url, label })),
      },
    };
  }
  if (expectedRevision == null || expectedRevision < 1) {
    throw badUserInput(
      'expectedRevision must be 1 or more with text: send the fact revision you read',
      'expectedRevision',
    );
  }
  return { kind: 'text', text, expectedRevision };
}
